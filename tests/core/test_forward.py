"""core.forward: the hooked walk is the model's own forward pass, step by step."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from core import forward as fw
from core import generation as gen
from core import models

TEXT = "Once upon a time, there was a little cat named"


@pytest.fixture(scope="module")
def lm():
    return models.load_causal_lm("tiny-gpt")


def _ids(lm, text: str = TEXT) -> list[int]:
    return list(lm.tokenizer.encode(text))


def _hooks(model) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


@pytest.mark.parametrize("text", [TEXT, "a", "Tom 🦜 Oslo\u200b café"])
def test_the_walks_logits_are_the_models(lm, text):
    ids = _ids(lm, text)
    r = fw.walk(lm.model, lm.tokenizer, ids)
    with torch.no_grad():
        raw = lm.model(torch.tensor([ids])).logits[0].numpy()  # (T, V)
    np.testing.assert_allclose(r.logits, raw, atol=1e-5)
    probs = torch.softmax(torch.from_numpy(raw[-1]), -1).numpy()
    np.testing.assert_allclose(r.probs, probs, atol=1e-6)
    assert [i for i, _, _ in r.top] == list(np.argsort(-probs, kind="stable")[:10])


def test_every_step_has_its_shape_and_they_add_up(lm):
    ids = _ids(lm)
    r = fw.walk(lm.model, lm.tokenizer, ids, fw.WalkConfig(top_k=3))
    t, d, v = len(ids), lm.model.config.n_embd, lm.model.config.vocab_size
    assert len(r.steps) == 3 + 4 * r.n_layers + 2 and r.n_layers == 4 and len(r.top) == 3
    assert all(s.shape == (t, d) for s in r.steps[:-1]) and r.steps[-1].shape == (t, v)
    assert r.tokens == tuple(lm.tokenizer.decode([i]) for i in ids)
    wte = lm.model.transformer.wte.weight.detach().numpy()
    wpe = lm.model.transformer.wpe.weight.detach().numpy()
    assert np.array_equal(r.step(fw.TOKEN).values, wte[ids])
    assert np.array_equal(r.step(fw.POSITION).values, wpe[:t])
    np.testing.assert_allclose(r.step(fw.SUM).values, wte[ids] + wpe[:t], atol=1e-6)
    h = r.step(fw.SUM).values
    for b in range(r.n_layers):
        after_attn = h + r.step(fw.ATTN, b).values
        np.testing.assert_allclose(r.step(fw.RESID_ATTN, b).values, after_attn, atol=1e-5)
        h = after_attn + r.step(fw.MLP, b).values
        np.testing.assert_allclose(r.step(fw.RESID_MLP, b).values, h, atol=1e-5)
    with torch.no_grad():
        z = lm.model.transformer.ln_f(torch.from_numpy(h)).numpy()
    np.testing.assert_allclose(r.step(fw.FINAL_NORM).values, z, atol=1e-5)
    np.testing.assert_allclose(r.logits, z @ wte.T, atol=1e-4)  # tied head
    assert "tied" in r.steps[-1].formula
    assert r.step(fw.ATTN, 2).title == "block 2: attention output"
    assert np.allclose(r.step(fw.SUM).norms, np.linalg.norm(wte[ids] + wpe[:t], axis=1))
    assert r.step(fw.SUM).mean_norm == pytest.approx(float(r.step(fw.SUM).norms.mean()))
    with pytest.raises(KeyError):
        r.step(fw.ATTN, 9)
    with pytest.raises(ValueError):
        r.logits[0, 0] = 1.0  # read-only


def test_hooks_are_removed_even_when_the_call_fails(lm):
    before = _hooks(lm.model)
    fw.walk(lm.model, lm.tokenizer, _ids(lm))
    assert _hooks(lm.model) == before == 0
    bad = [lm.model.config.vocab_size + 5]  # an id past the table: the forward pass raises
    with pytest.raises(IndexError):
        fw.walk(lm.model, lm.tokenizer, bad)
    assert _hooks(lm.model) == 0
    weights = lm.model.transformer.wte.weight.detach().clone()
    fw.walk(lm.model, lm.tokenizer, _ids(lm))
    assert torch.equal(lm.model.transformer.wte.weight, weights)  # the cached model untouched


def test_a_long_text_is_cut_to_the_context_with_a_note(lm):
    ctx = models.context_size(lm.model, lm.tokenizer)
    prompt = gen.encode_prompt(lm.tokenizer, "Tom liked to play in the park. " * 80, max_tokens=ctx)
    assert prompt.truncated and len(prompt.ids) == ctx == 256
    r = fw.walk(lm.model, lm.tokenizer, prompt.ids, note=prompt.note)
    assert r.logits.shape[0] == 256 and "kept the last 256" in r.note
    with pytest.raises(ValueError, match="256 positions"):
        fw.walk(lm.model, lm.tokenizer, [1] * 257)
    with pytest.raises(ValueError, match="no tokens"):
        fw.walk(lm.model, lm.tokenizer, [])


def test_other_models_are_refused_clearly():
    enc = models.load_encoder("minilm")
    with pytest.raises(ValueError, match="GPT-2-style"):
        fw.walk(enc.model, enc.tokenizer, [101, 102])


def test_another_threads_forward_pass_does_not_leak_into_the_walk(lm):
    """A session running the shared model at the same time is not recorded by the walk."""
    ids, other = _ids(lm), _ids(lm, "The capital of France is Paris and")
    stop = threading.Event()

    def busy() -> None:
        x = torch.tensor([other])
        while not stop.is_set():
            with torch.inference_mode():
                lm.model(x)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        results = [fw.walk(lm.model, lm.tokenizer, ids) for _ in range(5)]
    finally:
        stop.set()
        worker.join()
    assert all(r.step(fw.TOKEN).shape[0] == len(ids) for r in results)
    assert all(np.array_equal(r.logits, results[0].logits) for r in results)
