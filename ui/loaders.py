"""``st.cache_resource`` wrappers over core's loaders: one copy of each model for every session.

Cached models are shared across browser sessions: never mutate one (train on a fresh copy).
Each ``get_*`` shows a clear error and stops the page when a model cannot load; a hub model
not yet on this machine is downloaded first, with a progress bar.
"""

from __future__ import annotations

import threading

import streamlit as st

from core import models
from core.models import LoadedModel, ModelUnavailableError


@st.cache_resource(show_spinner="Loading the model (once for every session)...")
def cached_model(name: str) -> LoadedModel:
    return models.load_model(name)


@st.cache_resource(show_spinner="Loading the tokenizer...")
def cached_tokenizer(name: str):
    return models.load_tokenizer(name)


def _download_with_progress(name: str, kind: models.Kind) -> None:
    """Fetch a hub model's files, drawing the bytes as they arrive (the script thread draws;
    the download runs beside it)."""
    spec = models.resolve(name, kind)
    if spec.embedded or models.is_downloaded(name, kind):
        return
    state: dict = {"done": 0, "total": 0, "error": None}

    def run() -> None:
        try:
            models.download(name, kind, on_progress=lambda d, t: state.update(done=d, total=t))
        except ModelUnavailableError as e:
            state["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    what = f"Downloading {spec.hub_id} from the Hugging Face Hub"
    bar = st.progress(0.0, text=f"{what}...")
    while worker.is_alive():
        worker.join(0.25)
        done, total = state["done"], state["total"]
        if total:
            bar.progress(
                min(done / total, 1.0), text=f"{what}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
            )
    bar.empty()
    if state["error"] is not None:
        raise state["error"]


def _or_stop(fn, name: str, kind: models.Kind):
    try:
        _download_with_progress(name, kind)
        return fn(name)
    except ModelUnavailableError as e:
        st.error(str(e), icon=":material/cloud_off:")
        st.stop()


def get_model(name: str, kind: models.Kind = "causal-lm") -> LoadedModel:
    """The cached model, or a clear message on the page and ``st.stop()``."""
    return _or_stop(cached_model, name, kind)


def get_tokenizer(name: str, kind: models.Kind = "tokenizer"):
    """The cached tokenizer, or a clear message on the page and ``st.stop()``."""
    return _or_stop(cached_tokenizer, name, kind)
