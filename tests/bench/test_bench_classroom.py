"""bench_classroom.py in tiny mode, so it cannot rot: two students press Generate N for a few
seconds on a real app server, in-process. The vLLM half is the same loop with GENAI_LLM_URL set
and vLLM started; it is not run here (another 25 s of CI for a server tests/serving checks)."""

from __future__ import annotations

import pytest

from bench import bench_classroom

pytestmark = pytest.mark.slow  # an app server start and a model load: about 20 s


def test_tiny_class_generates_without_errors(capsys):
    argv = ["--students", "2", "--seconds", "4", "--tokens", "5", "--think", "0.2"]
    assert bench_classroom.main([*argv, "--backends", "in-process"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| in-process | 2 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    runs, errors = int(cells[2]), int(cells[3])
    assert runs >= 2 and errors == 0, out
    assert "Problems:\n- none" in out


def test_unknown_backend_is_refused():
    with pytest.raises(SystemExit):
        bench_classroom.main(["--backends", "tgi"])
