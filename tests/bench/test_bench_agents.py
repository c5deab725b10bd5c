"""bench/bench_agents.py in tiny mode, so it cannot rot: both sections run and print their
table and ratio line."""

from __future__ import annotations

import re

from bench import bench_agents


def test_bench_agents_tiny_run(capsys):
    assert bench_agents.main(["--n", "1", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "| Program-aided (PAL) |" in out and "| ReAct (tools) |" in out
    assert re.search(r"react_step [\d.]+ ms\s+model\.generate [\d.]+ ms\s+ratio [\d.]+x", out)
