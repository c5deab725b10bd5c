"""core.align.reward: a tiny-gpt reward model with a scalar head, trained on the shipped pairs,
beats chance on held-out pairs by a wide margin; scores any text; Stop keeps what it learned."""

from __future__ import annotations

import pytest

from core.align import PreferenceConfig, RewardConfig, preference_set, score_texts, train_reward


@pytest.fixture(scope="module")
def trained():
    data = preference_set(PreferenceConfig(n_train=120, n_heldout=60, seed=5))
    return train_reward(RewardConfig(epochs=2), data)


def test_the_trained_reward_model_beats_chance_on_heldout_pairs_by_far(trained):
    assert trained.after.accuracy >= 0.85
    assert trained.after.accuracy >= trained.before.accuracy + 0.2
    assert len(trained.losses) == trained.total_steps == 16
    assert sum(trained.losses[-4:]) < sum(trained.losses[:4])


def test_chosen_rewards_sit_above_rejected_ones(trained):
    s = trained.after
    assert sum(s.chosen) / len(s.chosen) > sum(s.rejected) / len(s.rejected)
    assert set(s.kinds) == {"grounded", "format", "polite"}


def test_any_text_gets_a_score(trained):
    prompt = "Mia asks: What is the capital of Spain?\nA:"
    polite, rude, empty = score_texts(
        trained.model,
        trained.tokenizer,
        prompt,
        [" Madrid, glad you asked.", " Madrid, you fool.", ""],
    )
    assert polite > rude
    assert isinstance(empty, float)


def test_stop_keeps_the_steps_taken():
    data = preference_set(PreferenceConfig(n_train=32, n_heldout=8))
    calls = []
    r = train_reward(RewardConfig(), data, should_stop=lambda: len(calls) > 2 or calls.append(1))
    assert r.stopped and len(r.losses) == 3
