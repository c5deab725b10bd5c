"""The model catalog loads the embedded models offline and fails clearly for hub models."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from core import models
from core.models import ModelUnavailableError


def test_catalog_lists_embedded_first():
    names = [s.name for s in models.list_models()]
    assert names[:3] == ["tiny-gpt", "minilm", "cl100k_base"]
    assert {s.name for s in models.list_models(embedded_only=True)} == {
        "tiny-gpt",
        "minilm",
        "cl100k_base",
        "tiny-t5",
    }
    assert all(s.kind == "encoder" for s in models.list_models("encoder"))


def test_minilm_loads_offline_with_6_layers_12_heads():
    lm = models.load_encoder("minilm")
    assert lm.model.config.num_hidden_layers == 6
    assert lm.model.config.num_attention_heads == 12
    assert lm.tokenizer.tokenize("unbelievable")[0] == "unbelievable" or "##" in "".join(
        lm.tokenizer.tokenize("unbelievable")
    )
    assert models.load_encoder("minilm") is lm  # built once, shared


def test_cl100k_base_is_the_real_gpt4_bpe():
    enc = models.load_tokenizer("cl100k_base")
    assert enc.encode("hello world") == [15339, 1917]
    assert enc.n_vocab == 100277


def test_tiny_gpt_loads_and_generates_offline():
    import torch

    lm = models.load_causal_lm("tiny-gpt")
    assert type(lm.model).__name__ == "GPT2LMHeadModel"
    assert 1_000_000 < lm.n_params < 5_000_000
    ids = lm.tokenizer("Once upon a time", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out = lm.model.generate(ids, max_new_tokens=5, do_sample=False, pad_token_id=0)
    assert out.shape[1] == ids.shape[1] + 5
    assert lm.tokenizer.decode(ids[0]) == "Once upon a time"


@pytest.mark.parametrize("name", ["gpt2", "qwen2.5-0.5b-instruct", "someone/some-model"])
def test_hub_model_offline_says_what_to_use(name):
    with pytest.raises(ModelUnavailableError, match="no network.*tiny-gpt"):
        models.load_causal_lm(name)


def test_hub_encoder_offline_names_minilm():
    with pytest.raises(ModelUnavailableError, match="minilm"):
        models.load_encoder("bert-base-uncased")


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "a/b/c", "/abs", "with space", "x" * 300])
def test_bad_names_are_refused_clearly(bad):
    with pytest.raises(ModelUnavailableError, match="not a model name"):
        models.resolve(bad)


def test_resolve_accepts_hub_ids_and_aliases():
    assert models.resolve("openai-community/gpt2").name == "gpt2"
    spec = models.resolve("my-org/my-model", "encoder")
    assert (spec.source, spec.kind, spec.offline_alternative) == ("hub", "encoder", "minilm")


def test_offline_env_is_respected():
    assert models.is_online() is False


@pytest.mark.parametrize("typed", ["assets/models", "core/settings.py", "tests/core"])
def test_typed_ids_never_resolve_to_a_local_path(typed):
    with pytest.raises(ModelUnavailableError, match="folder on this server"):
        models.resolve(typed)


@pytest.mark.parametrize("typed", ["bert", "gpt-neo"])
def test_typed_ids_need_an_org(typed):
    with pytest.raises(ModelUnavailableError, match="org/name"):
        models.resolve(typed)


@pytest.fixture()
def probing(monkeypatch):
    """is_online with the network probe on (GENAI_OFFLINE unset) and a counted fake connect."""
    import dataclasses
    import socket

    unforced = dataclasses.replace(models.get_settings(), offline=None)
    monkeypatch.setattr(models, "get_settings", lambda: unforced)
    monkeypatch.setattr(models, "_online_cache", None)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    calls: list[tuple[str, int]] = []

    def connect(address, timeout):
        calls.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "create_connection", connect)
    return calls


def test_online_probe_runs_once_then_answers_from_its_cache(probing):
    assert models.is_online() is False
    assert models.is_online() is False
    assert probing == [("huggingface.co", 443)]


def test_stale_probe_refreshes_in_the_background(probing, monkeypatch):
    import time

    assert models.is_online(max_age=0.0) is False  # first call: waits for the probe
    assert models.is_online(max_age=0.0) is False  # stale: answers at once, probes behind
    deadline = time.monotonic() + 5
    while len(probing) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(probing) == 2


def test_probe_follows_hf_endpoint(probing, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:8090")
    models.is_online()
    assert probing == [("127.0.0.1", 8090)]


# --- context_size: the one reader of a model's context length ----------------------------------
def _gpt2(n):
    from transformers import GPT2Config

    return NS(config=GPT2Config(n_positions=n))


def _bert(n):
    from transformers import BertConfig

    return NS(config=BertConfig(max_position_embeddings=n))


CONTEXT_CASES = [
    ("gpt-2 config", lambda: _gpt2(256), None, 256),
    ("gpt-2 config wins over its tokenizer", lambda: _gpt2(256), NS(model_max_length=64), 256),
    ("bert config", lambda: _bert(512), None, 512),
    ("n_ctx only", lambda: NS(config=NS(n_ctx=2048)), None, 2048),
    ("seq_length only (ChatGLM)", lambda: NS(config=NS(seq_length=8192)), None, 8192),
    ("tokenizer only", lambda: NS(config=NS()), NS(model_max_length=128), 128),
    ("tokenizer without a limit", lambda: NS(config=NS()), NS(model_max_length=10**30), 1024),
    ("zero and bool ignored", lambda: NS(config=NS(n_positions=0, n_ctx=True)), None, 1024),
    ("nothing", lambda: None, None, models.DEFAULT_CONTEXT),
]


@pytest.mark.parametrize(
    "make, tok, want", [c[1:] for c in CONTEXT_CASES], ids=[c[0] for c in CONTEXT_CASES]
)
def test_context_size_reads_config_then_tokenizer_then_one_fallback(make, tok, want):
    assert models.context_size(make(), tok) == want


def test_context_size_of_the_embedded_models_and_the_one_fallback():
    assert models.context_size(models.load_causal_lm("tiny-gpt").model) == 256
    assert models.context_size(models.load_encoder("minilm").model) == 512
    assert models.context_size(object()) == models.DEFAULT_CONTEXT


# --- the one MiniLM embedder ---------------------------------------------------------------------
def test_one_minilm_in_memory_for_rag_attention_quantization_and_lora():
    from core import attention, embeddings
    from core.lora import evaluate as lora_evaluate
    from core.quantization import measure
    from core.rag.embedding import MiniLMEmbeddingFunction

    emb = models.load_embedder("minilm")
    assert models.load_embedder("minilm") is emb  # built once
    assert emb.loaded is models.load_encoder("minilm")  # the registry's encoder, no copy
    assert MiniLMEmbeddingFunction().model is emb.model  # RAG
    assert attention.load_attention_model("minilm").model is emb.model  # attention
    assert models.load_model("minilm").model is emb.model  # quantization.run loads this
    # LoRA and quantization embed their own (trained / quantized) copies with the same pooling
    assert lora_evaluate.embed is measure.embed is embeddings.embed


def test_the_embedder_is_forgotten_with_the_cache():
    emb = models.load_embedder("minilm")
    models.clear_cache()
    fresh = models.load_embedder("minilm")
    assert fresh is not emb and fresh.loaded is models.load_encoder("minilm")
