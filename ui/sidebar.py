"""The shared sidebar: the active model per role and an online/offline badge."""

from __future__ import annotations

import streamlit as st

from core import models

ROLES: dict[models.Kind, str] = {
    "causal-lm": "Generator (causal LM)",
    "encoder": "Encoder (attention, embeddings)",
    "tokenizer": "Tokenizer",
}
CUSTOM = "Other hub id..."

# The page widgets that start from a role's active model. When the learner changes the role in
# the sidebar, these are reset so the open page (and every page opened later) follows it.
FOLLOWERS: dict[models.Kind, tuple[str, ...]] = {
    "causal-lm": ("sampling_model", "prompting_model", "quant_model", "rag_model", "lora_model"),
    "encoder": ("attention_model", "attention_custom", "quant_model", "lora_model"),
    "tokenizer": ("tokenizer_names", "tokenizer_hub"),
}


def _key(kind: str) -> str:
    return f"sidebar_{kind}"


def _options(kind: models.Kind) -> list[str]:
    names = [s.name for s in models.list_models(kind)]
    if kind == "tokenizer":  # every model's tokenizer can be visualised
        names += [s.name for s in models.list_models() if s.kind != "tokenizer"]
    return [*dict.fromkeys(names), CUSTOM]


def _follow(kind: models.Kind) -> None:
    """Callback: let the pages' model widgets start again from the sidebar's new choice."""
    for key in FOLLOWERS[kind]:
        st.session_state.pop(key, None)
        if key in st.query_params:
            del st.query_params[key]


def render_sidebar() -> None:
    """Draw the sidebar of every page: network badge and one model picker per role."""
    online = models.is_online()
    with st.sidebar:
        if online:
            st.badge("Online: hub models can load", icon=":material/cloud_done:", color="green")
        else:
            st.badge("Offline: embedded models", icon=":material/cloud_off:", color="orange")
        st.caption("Active model per role (pages start from these)")
        for kind, label in ROLES.items():
            opts = _options(kind)
            st.selectbox(
                label,
                opts,
                key=_key(kind),
                index=0,
                format_func=lambda n: n if n == CUSTOM else models.MODELS[n].label,
                on_change=_follow,
                args=(kind,),
            )
            if st.session_state[_key(kind)] == CUSTOM:
                st.text_input(
                    "Hugging Face id",
                    key=f"{_key(kind)}_custom",
                    placeholder="org/model-name",
                    help="Loads with from_pretrained when online (safetensors, no remote code).",
                    on_change=_follow,
                    args=(kind,),
                )


def active_model(kind: models.Kind) -> str:
    """The name the sidebar selects for ``kind`` (a catalog name or a typed hub id)."""
    choice = st.session_state.get(_key(kind)) or models.OFFLINE_DEFAULT[kind]
    if choice == CUSTOM:
        typed = (st.session_state.get(f"{_key(kind)}_custom") or "").strip()
        return typed or models.OFFLINE_DEFAULT[kind]
    return choice
