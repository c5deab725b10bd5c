"""``st.cache_resource`` wrappers over core's loaders: one copy of each model for every session.

Cached models are shared across browser sessions: never mutate one (train on a fresh copy).
Each ``get_*`` shows a clear error and stops the page when a model cannot load.
"""

from __future__ import annotations

import streamlit as st

from core import models
from core.models import LoadedModel, ModelUnavailableError


@st.cache_resource(show_spinner="Loading the model (once for every session)...")
def cached_model(name: str) -> LoadedModel:
    return models.load_model(name)


@st.cache_resource(show_spinner="Loading the tokenizer...")
def cached_tokenizer(name: str):
    return models.load_tokenizer(name)


def _or_stop(fn, name: str):
    try:
        return fn(name)
    except ModelUnavailableError as e:
        st.error(str(e), icon=":material/cloud_off:")
        st.stop()


def get_model(name: str) -> LoadedModel:
    """The cached model, or a clear message on the page and ``st.stop()``."""
    return _or_stop(cached_model, name)


def get_tokenizer(name: str):
    """The cached tokenizer, or a clear message on the page and ``st.stop()``."""
    return _or_stop(cached_tokenizer, name)
