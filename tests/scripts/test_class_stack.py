"""scripts/class_stack.py in a short rehearsal: a Chroma server and two app replicas on
loopback, sharing one data folder, all stopped at the end (vLLM left out: tests/serving
starts it)."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # two app servers and a Chroma server start: about 15 s


def test_two_replicas_share_the_chroma_server_and_data(tmp_path):
    cmd = [sys.executable, str(ROOT / "scripts" / "class_stack.py"), "--no-vllm"]
    cmd += ["--replicas", "2", "--seconds", "2", "--data", str(tmp_path)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    urls = re.findall(r"app replica \d: (http://127\.0\.0\.1:\d+)", out.stdout)
    assert len(urls) == 2 and urls[0] != urls[1]
    env = out.stdout.split("replica environment: ")[1].split("\n")[0]
    assert f"GENAI_DATA_DIR={tmp_path}" in env and "GENAI_CHROMA_HOST=127.0.0.1" in env
    assert "GENAI_LLM_URL" not in env
    assert (tmp_path / "chroma").is_dir()
    for url in urls:  # stopped with the script
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
