"""A short tiny-gpt run trains, lowers its loss, and saves a loadable model with a card."""

from __future__ import annotations

import json

import pytest

from core.tinygpt import TinyGPTConfig, train_tiny_gpt

SHORT = TinyGPTConfig(
    n_layer=1,
    n_head=2,
    n_embd=32,
    n_ctx=64,
    vocab_size=400,
    n_docs=150,
    val_docs=20,
    steps=40,
    batch_size=8,
    lr=1e-2,
    warmup=5,
    eval_tasks=False,
)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return out, train_tiny_gpt(SHORT, out)


def test_loss_goes_down_and_beats_unigram(short_run):
    _, r = short_run
    assert sum(r.losses[-5:]) / 5 < sum(r.losses[:5]) / 5 - 1.0
    assert r.val_perplexity < r.unigram_perplexity


def test_saved_model_reloads_with_identical_outputs(short_run):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, r = short_run
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    ids = tok("Once upon a time", return_tensors="pt")["input_ids"]
    assert tok.decode(ids[0]) == "Once upon a time"
    with torch.no_grad():
        a, b = model(ids).logits, model(ids).logits
    assert torch.equal(a, b)
    assert sum(p.numel() for p in model.parameters()) == r.n_params


def test_card_and_report_quote_the_run(short_run):
    out, r = short_run
    card = (out / "README.md").read_text()
    assert f"{r.val_perplexity:.2f}" in card and f"{r.unigram_perplexity:.1f}" in card
    assert json.loads((out / "training_report.json").read_text())["n_params"] == r.n_params


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        TinyGPTConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="steps must be at least 1, got 0"):
        TinyGPTConfig(steps=0)
    for name in ("n_layer", "n_head", "n_ctx", "batch_size"):  # counts: at least one each
        with pytest.raises(ValueError, match=f"{name} must be at least 1"):
            TinyGPTConfig(**{name: 0})
    with pytest.raises(ValueError, match="vocab_size must be at least 300"):
        TinyGPTConfig(vocab_size=299)
