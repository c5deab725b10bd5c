"""bench/bench_embeddings.py in tiny mode, so it cannot rot: it runs, checks its own answers
against scikit-learn and the raw forward pass, and prints every row."""

from __future__ import annotations

import re

from bench import bench_embeddings


def test_bench_embeddings_tiny_run(capsys):
    assert bench_embeddings.main(["--tokens", "300", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"[23]-D: core\.embeddings\.project .* ratio \d+\.\d+x", out)) == 2, out
    assert "short prompt" in out and "(256 tokens)" in out, out
    assert len(re.findall(r"ratio \d+\.\d+x \(goal <= 1\.2x\)", out)) == 2, out
