"""The generation backend on a page: the in-process/served choice, and who answered.

Without ``GENAI_LLM_URL`` nothing is drawn and pages generate in-process, as always. With it,
a page offers the choice (the server by default) and says under each result whether the
generation server or this app's own model answered, and why the app answered when the server
could not (a warning with the server's error, never a traceback).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.serving import backend as be

LABELS = {be.IN_PROCESS: "This app's model", be.SERVED: "Generation server"}


def configured() -> be.Backend:
    """The backend of the settings (``core.settings`` reads them once per process)."""
    return be.backend_from_settings()


def backend_picker(key: str, model_name: str) -> be.Backend:
    """The backend this page run uses for ``model_name``: in-process without a configured
    server; else the learner's pick (the server by default)."""
    default = configured()
    if default.server is None:
        return default
    if st.session_state.get(key) not in be.BACKENDS:
        st.session_state[key] = be.SERVED
    choice = st.segmented_control(
        "Generation runs on",
        list(be.BACKENDS),
        key=key,
        format_func=LABELS.get,
        help=f"The generation server at {default.server.url} (vLLM: many learners' requests "
        "batched together) or this app's own copy of the model, one request at a time.",
    )
    if choice != be.SERVED:
        return be.Backend()
    if not default.serves(model_name):
        st.caption(
            f"The generation server serves {default.server.model}; {model_name} runs in this app."
        )
    return default


def answered_by(answer: Any, what: str) -> None:
    """A caption naming who produced ``what`` (an :class:`~core.serving.backend.Answer`), after
    a warning with the server's error when the app's own model stood in."""
    if answer.note:
        st.warning(answer.note, icon=":material/cloud_off:")
    who = _who(answer.backend)
    seconds = getattr(answer.value, "seconds", None)
    took = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
    st.caption(f"{what}: answered by {who}{took}.")


def scored_by(result: Any, what: str) -> None:
    """A caption naming who scored a prompt-shot result (its ``backend``: "served",
    "in-process" or "mixed")."""
    st.caption(f"{what}: scored by {_who(result.backend)}.")


def _who(backend: str) -> str:
    """Who a result's ``backend`` ("served", "in-process" or "mixed") names, in words."""
    server = configured().server
    where = f" ({server.model} at {server.url})" if server is not None else ""
    return {
        be.SERVED: f"the generation server{where}",
        be.IN_PROCESS: "this app's own model",
        "mixed": f"partly the generation server{where}, partly this app's own model",
    }.get(backend, backend)
