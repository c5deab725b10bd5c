"""core.metrics.bootstrap: seeded paired-bootstrap intervals, sacrebleu's resampling."""

from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import BLEU

from core import metrics as M
from tests.core.metrics.samples import PREDS, REFS, reference_streams


def test_bootstrap_ci_contains_point_and_is_seeded():
    r, b, c = M.rouge(PREDS, REFS), M.bleu(PREDS, REFS), M.chrf(PREDS, REFS)
    for result in (r, b, c):
        cis = M.bootstrap_ci(result, n_resamples=300, seed=7)
        again = M.bootstrap_ci(result, n_resamples=300, seed=7)
        other = M.bootstrap_ci(result, n_resamples=300, seed=8)
        assert cis == again
        assert cis != other
        for iv in cis.values():
            assert iv.low <= iv.point <= iv.high
            assert iv.low < iv.high


@pytest.mark.parametrize(
    ("n_pairs", "informative"), [(1, False), (2, False), (M.MIN_PAIRS, True), (5, True)]
)
def test_bootstrap_interval_says_when_it_has_too_few_pairs(n_pairs, informative):
    preds, refs = PREDS[:n_pairs], REFS[:n_pairs]
    for result in (M.rouge(preds, refs), M.bleu(preds, refs), M.chrf(preds, refs)):
        for iv in M.bootstrap_ci(result, n_resamples=100).values():
            assert iv.n_pairs == n_pairs
            assert iv.informative is informative


def test_one_pair_bootstrap_is_zero_width():
    """The reason for MIN_PAIRS: one pair resamples to itself, so low == point == high."""
    iv = M.bootstrap_ci(M.bleu(PREDS[:1], REFS[:1]), n_resamples=100)["bleu"]
    assert iv.low == iv.point == iv.high and not iv.informative


def test_bootstrap_matches_sacrebleu_resampling_scheme():
    """Recomputing from resampled summed statistics = scoring the resampled corpus."""
    b = M.bleu(PREDS, REFS)
    idx = [0, 0, 3, 4, 1]
    stats = np.asarray(b.stats)[idx].sum(axis=0)
    direct = BLEU().corpus_score([PREDS[i] for i in idx], reference_streams([REFS[i] for i in idx]))
    assert M.scores.bleu_from_stats(stats, b.config, effective_order=False) == direct.score
