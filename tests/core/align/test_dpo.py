"""core.align.dpo on tiny-gpt: the reference is the policy with its adapter off (KL exactly 0
before the first step), DPO raises held-out preference accuracy, Stop keeps what was learned."""

from __future__ import annotations

import math

import pytest

from core.align import DPOConfig, PreferenceConfig, preference_set, train_dpo
from core.align.dpo import build_policy, evaluate_pairs
from core.align.logps import encode_pairs

SMALL = PreferenceConfig(n_train=48, n_heldout=24, seed=3)


@pytest.fixture(scope="module")
def run():
    return train_dpo(DPOConfig(epochs=3, batch_size=8, lr=3e-3), preference_set(SMALL))


def test_kl_to_the_reference_is_zero_at_step_zero():
    model, tok = build_policy(DPOConfig())
    batch = encode_pairs(tok, preference_set(SMALL).heldout, 96)
    e = evaluate_pairs(model, batch, 0.1, 0)
    assert e.kl == 0.0 and e.margin == 0.0
    assert e.reward_accuracy == 0.5  # every implicit reward is 0: all ties


def test_the_first_step_starts_at_log_2_with_no_kl(run):
    first = run.steps[0]
    assert first.loss == pytest.approx(math.log(2), abs=1e-6)
    assert first.kl == 0.0 and first.margin == 0.0
    assert run.before.kl == 0.0


def test_dpo_raises_heldout_preference_accuracy_over_the_reference(run):
    assert run.after.reward_accuracy >= run.before.reward_accuracy + 0.2
    assert run.after.margin > 0 and run.after.kl > 0
    assert len(run.steps) == run.total_steps == 18
    assert [e.step for e in run.evals][0] == 0 and run.evals[-1].step == 18


def test_stop_keeps_what_was_learned():
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    r = train_dpo(DPOConfig(epochs=2, batch_size=8), preference_set(SMALL), should_stop=stop)
    assert r.stopped and len(r.steps) == 3 and r.total_steps == 12
    assert r.after.step == 3 and r.after.kl > 0  # measured where it stopped


def test_beta_zero_is_refused_by_the_config():
    with pytest.raises(ValueError, match="beta must be between"):
        DPOConfig(beta=0.0)


def test_no_pairs_is_refused():
    ps = preference_set(SMALL)
    with pytest.raises(ValueError, match="held-out"):
        train_dpo(DPOConfig(), type(ps)(ps.train, ()))
