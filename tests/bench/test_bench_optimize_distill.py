"""bench/bench_optimize.py's distillation section in tiny mode, so it cannot rot: it runs, its raw
torch loop computes the same losses as core.distill, and it prints both ratios."""

from __future__ import annotations

import re

import pytest

from bench import bench_optimize

RATE = r"core \d+\.\d+ steps/s, raw torch \d+\.\d+ steps/s, ratio \d+\.\d+x \(goal >= 0\.9x\)"


def test_bench_optimize_distill_tiny_run(capsys):
    argv = ["--section", "distill", "--steps", "4", "--rounds", "1", "--no-recipe"]
    assert bench_optimize.main(argv) == 0
    out = capsys.readouterr().out
    assert len(re.findall(rf"^distill .*: {RATE}$", out, re.M)) == 2, out


def test_the_raw_loop_is_the_same_work_as_core():
    from core import models
    from core.distill import DistillConfig, StudentConfig, distill
    from core.distill.train import token_stream

    lm = models.load_causal_lm("tiny-gpt")
    cfg = DistillConfig(
        student=StudentConfig(n_layer=1, n_head=2, n_embd=32),
        steps=12,  # past one chunk: the alternation must not change what either student sees
        batch_size=2,
        seq_len=16,
        n_docs=20,
        eval_windows=1,
        sample_tokens=1,
    )
    r = distill(lm, cfg)
    stream = token_stream(lm.tokenizer, cfg.n_docs)
    _, soft = bench_optimize.raw_distill_loop(lm.model, stream, cfg, soft=True)
    _, hard = bench_optimize.raw_distill_loop(lm.model, stream, cfg, soft=False)
    assert list(r.distilled_losses) == pytest.approx(soft, rel=1e-4)
    assert list(r.hard_losses) == pytest.approx(hard, rel=1e-4)
    assert soft != hard
