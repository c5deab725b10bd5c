"""core.training.loop: the warm-up + cosine schedule and the clipped optimisation loop."""

from __future__ import annotations

import math

import pytest
import torch

from core.training.loop import optimise, warmup_cosine


@pytest.mark.parametrize(
    ("step", "want"),
    [
        (0, 0.25),  # warm-up: (step + 1) / warmup of the peak
        (3, 1.0),  # the last warm-up step reaches the peak
        (4, 1.0),  # the decay starts at the peak
        (9, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 5 / 10))),
        (14, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 10 / 10))),  # the floor, at the end
    ],
)
def test_warmup_cosine_case_table(step, want):
    got = warmup_cosine(step, peak=1.0, warmup=4, steps=14, floor=0.1)
    assert got == pytest.approx(want, abs=1e-12)


def test_the_schedule_never_leaves_floor_to_peak_after_the_warm_up():
    lrs = [warmup_cosine(s, peak=3e-3, warmup=5, steps=50, floor=0.05) for s in range(50)]
    assert all(0.05 * 3e-3 - 1e-15 <= x <= 3e-3 for x in lrs[5:])
    assert lrs[5:] == sorted(lrs[5:], reverse=True)  # a decay: never rises again


def test_optimise_lowers_the_loss_reports_each_step_and_sets_the_rate():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    model = GPT2LMHeadModel(
        GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=16, vocab_size=23)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=0.0)
    batch = torch.arange(16).remainder(5)[None].repeat(4, 1)  # an easy repeating pattern
    heard, rates = [], []

    def lr_at(step: int) -> float:
        rates.append(1e-2)
        return 1e-2

    losses = optimise(
        model,
        opt,
        40,
        lambda step: {"input_ids": batch, "labels": batch},
        lr_at,
        on_step=lambda step, loss: heard.append((step, loss)),
    )
    assert len(losses) == 40 and [s for s, _ in heard] == list(range(40))
    assert [x for _, x in heard] == losses
    assert losses[-1] < losses[0] - 1.0
    assert opt.param_groups[0]["lr"] == 1e-2 and len(rates) == 40
    assert model.training  # the caller decides when to switch to eval


def test_should_stop_ends_the_loop_before_the_next_step():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    model = GPT2LMHeadModel(
        GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=8, vocab_size=11)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    batch = torch.arange(8).remainder(3)[None]
    asked, fed = [], []

    def batch_at(step: int):
        fed.append(step)
        return {"input_ids": batch, "labels": batch}

    def should_stop() -> bool:
        asked.append(len(fed))
        return len(fed) >= 3

    losses = optimise(model, opt, 10, batch_at, lambda s: 1e-2, should_stop=should_stop)
    assert len(losses) == 3 and fed == [0, 1, 2]  # three steps ran, the fourth never started
    assert asked == [0, 1, 2, 3]
    assert optimise(model, opt, 5, batch_at, lambda s: 1e-2, should_stop=lambda: True) == []
