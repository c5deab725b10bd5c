from __future__ import annotations

import pytest
import torch

from core.corpus import CorpusConfig, generate_corpus
from core.evaluation import perplexity, token_windows
from core.models import load_causal_lm
from core.prune import PruneConfig, RecoverConfig, prune_model, recover, target_modules
from core.quantization.measure import causal_eval_data


@pytest.fixture(scope="module")
def tiny():
    return load_causal_lm("tiny-gpt")


def test_recovery_keeps_the_zeros_and_lowers_the_heldout_loss(tiny):
    pruned = prune_model(tiny.model, PruneConfig(method="global", sparsity=0.8))
    masks = [m.weight_mask.clone() for _, m in target_modules(pruned.model)]
    before = {k: v.clone() for k, v in pruned.model.state_dict().items()}
    train = generate_corpus(CorpusConfig(n_docs=60))
    r = recover(pruned, tiny.tokenizer, train, RecoverConfig(steps=12, lr=2e-3, batch_size=4))
    assert len(r.losses) == 12
    for (_, m), mask in zip(target_modules(r.model), masks, strict=True):
        assert torch.equal(m.weight_mask, mask)
        assert not m.weight[mask == 0].any()  # still exactly the same weights at zero
    heldout = token_windows(tiny.tokenizer, causal_eval_data(n_docs=8).texts, 64, max_windows=4)
    assert perplexity(r.model, heldout).nll < perplexity(pruned.model, heldout).nll
    # the pruned model given in is untouched
    assert all(torch.equal(before[k], v) for k, v in pruned.model.state_dict().items())


def test_zero_steps_gives_the_pruned_model_back(tiny):
    pruned = prune_model(tiny.model, PruneConfig(method="heads", sparsity=0.25))
    r = recover(pruned, tiny.tokenizer, ["a b c"], RecoverConfig(steps=0))
    assert r.losses == ()
    a, b = r.model.state_dict(), pruned.model.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
