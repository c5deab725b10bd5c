"""core.evaluation.agreement: KL and top-1 against a reference model on the same windows."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.evaluation import AgreementResult, agreement, causal_logits, kl_top1


def test_a_model_against_itself_agrees_fully(tiny_lm, windows):
    logits = causal_logits(tiny_lm, windows)  # (N, T, V)
    assert agreement(logits, logits) == AgreementResult(0.0, 1.0, logits.shape[0] * logits.shape[1])
    assert kl_top1(logits, logits) == (0.0, 1.0)


def test_two_different_models_disagree(tiny_lm, other_lm, windows):
    a, b = causal_logits(tiny_lm, windows), causal_logits(other_lm, windows)
    r = agreement(a, b)
    assert r.kl > 0 and 0.0 <= r.top1 < 1.0
    assert agreement(b, a).kl != pytest.approx(r.kl)  # KL is not symmetric
    assert kl_top1(a, b) == (r.kl, r.top1)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 5.0))
def test_kl_matches_torch_and_is_never_negative(seed, scale):
    g = torch.Generator().manual_seed(seed)
    a, b = scale * torch.randn(2, 3, 7, generator=g), torch.randn(2, 3, 7, generator=g)
    ref = torch.nn.functional.kl_div(
        torch.log_softmax(b, -1), torch.log_softmax(a, -1), log_target=True, reduction="none"
    )  # (2, 3, 7)
    r = agreement(a, b)
    assert r.kl >= 0
    assert r.kl == pytest.approx(float(ref.sum(-1).mean()), abs=1e-5)


@pytest.mark.parametrize(
    ("ref_top", "top", "share"),
    [([0, 1, 2, 3], [0, 1, 2, 3], 1.0), ([0, 1, 2, 3], [0, 1, 2, 0], 0.75), ([1, 1], [0, 0], 0.0)],
)
def test_top1_is_the_share_of_equal_argmaxes(ref_top, top, share):
    def onehot(ids):
        return 5.0 * torch.nn.functional.one_hot(torch.tensor([ids]), 4).float()  # (1, T, 4)

    assert agreement(onehot(ref_top), onehot(top)).top1 == share


def test_shapes_must_match():
    with pytest.raises(ValueError, match="cannot be compared"):
        agreement(torch.zeros(1, 3, 5), torch.zeros(1, 4, 5))
