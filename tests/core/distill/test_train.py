"""core.distill.train: a short real run on tiny-gpt (the soft targets bring the student closer to
the teacher than the hard labels alone), the frozen teacher, Stop, and hostile settings."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from core.distill import DistillConfig, DistillStep, StudentConfig, distill
from core.models import load_causal_lm

SMALL = StudentConfig(n_layer=1, n_head=2, n_embd=64)
# Measured with T=1, alpha=1, 120 steps of 8 x 32 tokens, lr 3e-3 (seeds 0-3): the distilled
# student's KL to tiny-gpt 1.75-1.97 nats, the hard-label twin's 2.05-2.28; the gain 0.30-0.38.
SHORT = dict(
    student=SMALL,
    temperature=1.0,
    alpha=1.0,
    steps=120,
    batch_size=8,
    seq_len=32,
    lr=3e-3,
    seed=0,
    n_docs=100,
    eval_windows=16,
    sample_tokens=8,
)


@pytest.fixture(scope="module")
def teacher():
    return load_causal_lm("tiny-gpt")


@pytest.fixture(scope="module")
def short_run(teacher):
    before = {k: v.clone() for k, v in teacher.model.state_dict().items()}
    grads = [p.requires_grad for p in teacher.model.parameters()]
    heard: list[DistillStep] = []
    result = distill(teacher, DistillConfig(**SHORT), on_step=heard.append)
    return SimpleNamespace(result=result, heard=heard, before=before, grads=grads)


def test_the_distilled_student_ends_closer_to_the_teacher_than_the_hard_label_one(short_run):
    r = short_run.result
    assert r.distilled.agreement is not None and r.hard.agreement is not None
    assert r.distilled.agreement.kl < r.hard.agreement.kl - 0.1, (r.distilled, r.hard)
    assert r.kl_gain == pytest.approx(r.hard.agreement.kl - r.distilled.agreement.kl)
    assert r.distilled.agreement.n_positions == r.hard.agreement.n_positions == 16 * 32


def test_the_teacher_is_left_exactly_as_it_was(short_run, teacher):
    after = teacher.model.state_dict()
    assert after.keys() == short_run.before.keys()
    assert all(torch.equal(after[k], v) for k, v in short_run.before.items())
    assert [p.requires_grad for p in teacher.model.parameters()] == short_run.grads
    assert not teacher.model.training and all(p.grad is None for p in teacher.model.parameters())


def test_the_result_holds_both_curves_and_three_reports(short_run):
    r = short_run.result
    n = SHORT["steps"]
    assert r.steps_done == n and not r.stopped
    assert len(r.distilled_losses) == len(r.distilled_kl) == len(r.distilled_ce) == n
    assert len(r.hard_losses) == n
    # alpha=1, T=1: the distilled loss is the KL itself
    assert r.distilled_losses == pytest.approx(r.distilled_kl, rel=1e-5)
    # same seed, same first batch: the twin's first loss is the distilled student's first CE
    assert r.hard_losses[0] == pytest.approx(r.distilled_ce[0], rel=1e-5)
    assert r.hard_losses[-1] < r.hard_losses[0] - 1.0 and r.distilled_kl[-1] < r.distilled_kl[0]
    assert [m.name for m in (r.teacher, r.distilled, r.hard)] == [
        "teacher",
        "distilled",
        "hard-label",
    ]
    assert r.teacher.agreement is None and r.teacher.n_params == r.size.teacher_n_params
    assert r.distilled.n_params == r.hard.n_params == r.size.n_params < r.size.teacher_n_params
    assert r.teacher.perplexity.perplexity < r.distilled.perplexity.perplexity
    for m in (r.teacher, r.distilled, r.hard):
        assert math.isfinite(m.perplexity.perplexity) and m.perplexity.n_tokens == 16 * 32
        assert 1 <= len(m.sample_ids) <= SHORT["sample_tokens"] and isinstance(m.sample, str)
    assert r.prompt and r.n_train_tokens > 1000
    assert 0 < r.distilled_seconds < r.seconds and 0 < r.hard_seconds < r.seconds
    assert not r.student_model.training and not r.hard_model.training


def test_on_step_hears_every_step_of_both_students(short_run):
    n = SHORT["steps"]
    heard = short_run.heard
    assert len(heard) == 2 * n
    for run in ("distilled", "hard-label"):
        mine = [h for h in heard if h.run == run]
        assert [h.step for h in mine] == list(range(n)) and {h.steps for h in mine} == {n}
    d = [h for h in heard if h.run == "distilled"]
    assert [h.loss for h in d] == list(short_run.result.distilled_losses)
    assert all(h.kl is None and h.ce == h.loss for h in heard if h.run == "hard-label")


def test_should_stop_ends_both_students_at_the_same_step(teacher):
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 15

    cfg = DistillConfig(**{**SHORT, "steps": 200, "eval_windows": 2, "sample_tokens": 2})
    r = distill(teacher, cfg, should_stop=should_stop)
    assert r.stopped and r.steps_done == 15
    assert len(r.distilled_losses) == len(r.hard_losses) == len(r.distilled_kl) == 15


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(steps=0), "steps must be"),
        (dict(temperature=0.0), "temperature T must be"),
        (dict(alpha=1.5), "alpha must be"),
        (dict(alpha=-0.5), "alpha must be"),
        (dict(student=(1, 2, 64)), "StudentConfig"),
    ],
)
def test_hostile_configs_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DistillConfig(**kwargs)


def test_a_student_larger_than_the_teacher_is_refused_before_training(teacher):
    big = StudentConfig(n_layer=6, n_head=4, n_embd=256)
    heard: list[DistillStep] = []
    with pytest.raises(ValueError, match="must be smaller than the teacher"):
        distill(teacher, DistillConfig(student=big, steps=5), on_step=heard.append)
    assert heard == []


def test_rows_longer_than_the_teachers_context_are_refused(teacher):
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=16, vocab_size=50)
    cfg.bos_token_id = cfg.eos_token_id = 0
    short = SimpleNamespace(model=GPT2LMHeadModel(cfg), tokenizer=teacher.tokenizer)
    small = StudentConfig(n_layer=1, n_head=2, n_embd=16)
    with pytest.raises(ValueError, match="exceed the teacher's context of 16"):
        distill(short, DistillConfig(student=small, seq_len=32, steps=5))


def test_batches_are_seeded_and_a_text_shorter_than_a_row_is_refused():
    from core.distill.train import batch_starts

    cfg = DistillConfig(steps=5, batch_size=3, seq_len=64, seed=4)
    a, b = batch_starts(1000, cfg), batch_starts(1000, cfg)
    assert a.shape == (5, 3) and torch.equal(a, b) and int(a.max()) < 1000 - 64
    assert not torch.equal(a, batch_starts(1000, DistillConfig(steps=5, batch_size=3, seed=5)))
    with pytest.raises(ValueError, match="shorter than one row of 64"):
        batch_starts(60, cfg)
