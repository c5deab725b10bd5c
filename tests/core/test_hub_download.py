"""Hub models through a real Hugging Face mirror on loopback: download, progress, load, errors."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from core import models
from core.models import ModelUnavailableError
from tests.hub_mirror import TINY_GPT, hub_mirror


@pytest.fixture(scope="module")
def mirror_url(tmp_path_factory):
    with hub_mirror(tmp_path_factory.mktemp("hub-mirror")) as url:
        yield url


@pytest.fixture()
def online(mirror_url, monkeypatch, tmp_path):
    """This process online, its hub the mirror, a fresh download cache."""
    import huggingface_hub.constants as hf

    online = dataclasses.replace(models.get_settings(), offline=None)
    monkeypatch.setattr(models, "get_settings", lambda: online)
    monkeypatch.setattr(models, "_online_cache", None)
    monkeypatch.setenv("HF_ENDPOINT", mirror_url)
    monkeypatch.setattr(hf, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hf, "HF_HUB_CACHE", str(tmp_path / "hub"))
    models.clear_cache()
    yield mirror_url
    models.clear_cache()


def test_download_reports_progress_and_brings_the_files(online):
    assert not models.is_downloaded("genai-playground/tiny-gpt")
    seen: list[tuple[int, int]] = []
    folder = models.download(
        "genai-playground/tiny-gpt", on_progress=lambda d, t: seen.append((d, t))
    )
    weights = (TINY_GPT / "model.safetensors").stat().st_size
    assert seen and seen[-1][0] == seen[-1][1] >= weights  # ends complete
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # only forward
    assert (TINY_GPT / "model.safetensors").read_bytes() == open(
        f"{folder}/model.safetensors", "rb"
    ).read()
    assert models.is_downloaded("genai-playground/tiny-gpt")


def test_a_catalog_hub_entry_loads_and_runs(online):
    hub = models.load_causal_lm("gpt2")  # served by the mirror as openai-community/gpt2
    local = models.load_causal_lm("tiny-gpt")
    ids = local.tokenizer("Once upon a time", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.equal(hub.model(ids).logits, local.model(ids).logits)


def test_an_unknown_id_says_so(online):
    with pytest.raises(ModelUnavailableError, match="no model 'nobody/nothing'.*tiny-gpt"):
        models.load_causal_lm("nobody/nothing")


def test_offline_with_nothing_cached_names_the_alternative(online, monkeypatch):
    offline = dataclasses.replace(models.get_settings(), offline=True)
    monkeypatch.setattr(models, "get_settings", lambda: offline)
    with pytest.raises(ModelUnavailableError, match="no network.*'minilm'"):
        models.load_encoder("genai-playground/some-encoder")


def test_a_complete_download_is_remembered_not_rescanned(online, monkeypatch):
    import huggingface_hub

    models.download("genai-playground/tiny-gpt")
    scans: list[str] = []
    real = huggingface_hub.snapshot_download
    monkeypatch.setattr(
        huggingface_hub, "snapshot_download", lambda *a, **k: scans.append(a[0]) or real(*a, **k)
    )
    assert models.is_downloaded("genai-playground/tiny-gpt")
    assert models.is_downloaded("genai-playground/tiny-gpt")
    assert scans == []  # remembered from the download
    models.clear_cache()  # forgets it: the next question reads the cache again
    assert models.is_downloaded("genai-playground/tiny-gpt")
    assert scans == ["genai-playground/tiny-gpt"]
