from __future__ import annotations

import pytest
import torch

from core.prune import (
    PruneConfig,
    is_pruned,
    make_permanent,
    prune_model,
    restore,
    target_modules,
)
from core.quantization.measure import saved_bytes, state_bytes
from tests.core.prune.models import tiny_gpt2


def weight_zeros(model, targets="attention+mlp") -> list[tuple[int, int]]:
    """(zeros, numel) of every targeted matrix's effective weight."""
    return [
        (int((m.weight == 0).sum()), m.weight.numel()) for _, m in target_modules(model, targets)
    ]


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.77, 1.0])
@pytest.mark.parametrize("targets", ["attention+mlp", "attention", "mlp"])
def test_global_zeroes_exactly_that_share_of_all_targeted_weights(model, sparsity, targets):
    p = prune_model(model, PruneConfig(method="global", sparsity=sparsity, targets=targets))
    counts = weight_zeros(p.model, targets)
    total = sum(n for _, n in counts)
    assert sum(z for z, _ in counts) == round(sparsity * total) == p.n_zeroed
    assert p.n_targeted == total
    if 0 < sparsity < 1:  # global: the share differs from matrix to matrix
        assert len({round(z / n, 3) for z, n in counts}) > 1


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.77, 1.0])
def test_per_layer_zeroes_exactly_that_share_of_every_matrix(model, sparsity):
    p = prune_model(model, PruneConfig(method="per-layer", sparsity=sparsity))
    for (z, n), t in zip(weight_zeros(p.model), p.tensors, strict=True):
        assert z == round(sparsity * n) == t.zeros


def test_the_smallest_weights_go_first(model):
    p = prune_model(model, PruneConfig(method="global", sparsity=0.3))
    kept, gone = [], []
    for (_, m), (_, orig) in zip(target_modules(p.model), target_modules(model), strict=True):
        kept.append(orig.weight[m.weight_mask == 1].abs())
        gone.append(orig.weight[m.weight_mask == 0].abs())
    assert torch.cat(gone).max() <= torch.cat(kept).min()


def test_embeddings_layer_norms_and_biases_are_untouched(model):
    p = prune_model(model, PruneConfig(method="global", sparsity=1.0))
    orig = model.state_dict()
    for key, value in p.model.state_dict().items():
        if key.endswith(("weight_orig", "weight_mask")):
            continue
        if key.endswith(".weight") and any(f".{n}." in key for n in ("c_attn", "c_proj", "c_fc")):
            assert not value.any()  # the targeted matrices: all zero at sparsity 1
        else:
            assert torch.equal(value, orig[key]), key


def test_pruned_then_restored_equals_the_original(model, ids):
    p = prune_model(model, PruneConfig(method="global", sparsity=0.6))
    p.model(ids)  # a forward pass re-computes the masked weights: restore must still work
    back = restore(p.model)
    a, b = model.state_dict(), back.state_dict()
    assert list(a) == list(b)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not any(is_pruned(m) for m in back.modules())
    assert torch.equal(back(ids).logits, model(ids).logits)


def test_restore_needs_masks(model):
    with pytest.raises(ValueError, match="no pruning masks"):
        restore(model)


@pytest.mark.parametrize("method", ["global", "per-layer"])
def test_sparsity_zero_gives_the_original_outputs(model, ids, method):
    p = prune_model(model, PruneConfig(method=method, sparsity=0.0))
    assert torch.equal(p.model(ids).logits, model(ids).logits)
    assert p.n_zeroed == 0


def test_pruning_never_touches_the_given_model(model, ids):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    logits = model(ids).logits
    for method in ("global", "per-layer", "heads", "neurons"):
        prune_model(model, PruneConfig(method=method, sparsity=0.5))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(is_pruned(m) for m in model.modules())
    assert torch.equal(model(ids).logits, logits)


def test_the_cached_registry_model_is_untouched():
    from core.models import load_causal_lm

    loaded = load_causal_lm("tiny-gpt")
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    prune_model(loaded.model, PruneConfig(method="global", sparsity=0.9))
    prune_model(loaded.model, PruneConfig(method="heads", sparsity=0.5))
    again = load_causal_lm("tiny-gpt")
    assert again.model is loaded.model  # the same cached object ...
    assert list(again.model.state_dict()) == list(before)  # ... with no masks added
    assert all(torch.equal(before[k], v) for k, v in again.model.state_dict().items())
    assert again.model.config.n_head == 4 and not getattr(again.model.config, "pruned_heads", {})


def test_make_permanent_folds_the_masks_and_keeps_the_outputs(model, ids):
    p = prune_model(model, PruneConfig(method="per-layer", sparsity=0.5))
    flat = make_permanent(p.model)
    assert not any(is_pruned(m) for m in flat.modules())
    assert sorted(flat.state_dict()) == sorted(model.state_dict())
    assert torch.equal(flat(ids).logits, p.model(ids).logits)
    assert is_pruned(p.model.transformer.h[0].attn.c_attn)  # the pruned copy keeps its masks


def test_unstructured_zeros_do_not_shrink_the_saved_file(model):
    p = prune_model(model, PruneConfig(method="global", sparsity=0.9))
    flat = make_permanent(p.model)
    assert saved_bytes(flat, "fp32")[0] == saved_bytes(model, "fp32")[0]
    assert state_bytes(flat) == state_bytes(model)
    assert p.n_params_after == p.n_params_before
    # with the masks attached the state is larger: weight_orig and weight_mask both stored
    assert state_bytes(p.model) > state_bytes(model)


def test_masks_survive_a_training_step(model, ids):
    p = prune_model(model, PruneConfig(method="global", sparsity=0.5))
    opt = torch.optim.SGD(p.model.parameters(), lr=0.1)
    p.model.train()
    p.model(input_ids=ids, labels=ids).loss.backward()
    opt.step()
    p.model(ids)
    for _, m in target_modules(p.model):
        assert not m.weight[m.weight_mask == 0].any()  # the pruned positions stay zero
        assert m.weight_orig.grad is not None  # the gradient reached the original values


def test_not_a_gpt2_model_is_refused():
    with pytest.raises(ValueError, match="GPT-2 style model"):
        prune_model(torch.nn.Linear(3, 3), PruneConfig())


def test_a_second_model_prunes_alike():
    a = prune_model(tiny_gpt2(seed=3), PruneConfig(sparsity=0.4))
    b = prune_model(tiny_gpt2(seed=3), PruneConfig(sparsity=0.4))
    assert all(
        torch.equal(x.weight_mask, y.weight_mask)
        for (_, x), (_, y) in zip(target_modules(a.model), target_modules(b.model), strict=True)
    )
