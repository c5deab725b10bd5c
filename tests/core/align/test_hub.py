"""Hub policies: DPO trains a hub causal LM (the loopback mirror's tiny-gpt, downloaded for
real) as it trains the embedded one; offline, a hub policy fails with a message naming the
offline alternative."""

from __future__ import annotations

import pytest

from core.align import DPOConfig, PreferenceConfig, preference_set, train_dpo
from core.models import ModelUnavailableError
from tests.core.test_hub_download import mirror_url, online  # noqa: F401 - the mirror fixtures

SMALL = PreferenceConfig(n_train=16, n_heldout=8, seed=11)


def test_dpo_trains_a_hub_policy_downloaded_from_the_mirror(online):  # noqa: F811
    r = train_dpo(DPOConfig(model="genai-playground/tiny-gpt", epochs=1), preference_set(SMALL))
    assert len(r.steps) == r.total_steps == 1
    assert r.before.kl == 0.0 and r.after.kl > 0


@pytest.mark.parametrize("name", ["smollm2-135m-instruct", "qwen2.5-0.5b-instruct"])
def test_a_hub_policy_offline_names_tiny_gpt(name):
    with pytest.raises(ModelUnavailableError, match="tiny-gpt"):
        train_dpo(DPOConfig(model=name), preference_set(SMALL))
