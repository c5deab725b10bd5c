"""Prompt-shot comparison: zero-, one- and few-shot prompts scored on held-out items."""

from __future__ import annotations

import streamlit as st

from core import models
from core.generation import is_encoder_decoder
from core.prompting import SHIPPED_TASKS, context_window, load_task
from ui import prompting_view as view
from ui.backend import backend_picker
from ui.loaders import cached_model
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import sync_url, url_state

TASKS = {name: load_task(name).title for name in SHIPPED_TASKS} | {"custom": "Your own examples"}
MODELS = [s.name for kind in ("causal-lm", "seq2seq") for s in models.list_models(kind)]
DEFAULT_CUSTOM = (
    "hot => cold\nup => down\nday => night\nfast => slow\nold => new\nwet => dry\n"
    "big => small\nopen => closed\nlight => dark\nloud => quiet\nfull => empty\nhappy => sad"
)


page_header(
    "Prompt-shot comparison",
    "The same question asked with 0, 1 or k solved examples in front: watch the examples teach "
    "the model the answer format, scored on held-out items by the log-probability of each answer.",
)
model_opts = list(dict.fromkeys([active_model("causal-lm"), *MODELS]))
url_state(
    {
        "prompting_task": "translation",
        "prompting_model": model_opts[0],
        "prompting_k": 4,
        "prompting_seed": 0,
        "prompting_draws": 4,
        "prompting_instruction": False,
        "prompting_generate": False,
        "prompting_custom": DEFAULT_CUSTOM,
        "prompting_custom_instruction": "",
        "prompting_only_diff": False,
        "prompting_diff": ["zero-shot", "few-shot"],
    },
    choices={"prompting_task": list(TASKS)},
    bounds={"prompting_k": (1, 8), "prompting_seed": (0, 999), "prompting_draws": (1, 8)},
)
if st.session_state["prompting_model"] not in model_opts:
    model_opts.append(st.session_state["prompting_model"])  # a hub id from a shared link
view.settings_form(TASKS, model_opts)
if st.session_state["prompting_task"] == "custom":
    task = view.custom_task()
    if task is None:
        sync_url()
        st.stop()
else:
    task = load_task(st.session_state["prompting_task"])

name = st.session_state["prompting_model"]
try:
    lm = cached_model(name)
except models.ModelUnavailableError as e:
    st.error(str(e), icon=":material/cloud_off:")
    sync_url()
    st.stop()

backend = backend_picker("prompting_backend", name)  # offered only with GENAI_LLM_URL set
k, seed, instruction = (st.session_state[f"prompting_{x}"] for x in ("k", "seed", "instruction"))
gen = st.session_state["prompting_generate"]
k_few = min(k, len(task.examples))
variants = {"zero-shot": 0, "one-shot": min(1, k_few), "few-shot": k_few}
n_ctx = context_window(lm.model)
if is_encoder_decoder(lm.model):
    st.caption(view.SEQ2SEQ_NOTE)
if k > k_few:
    st.info(
        f"Few-shot k = {k}, but this task has {k_few} example{'s' * (k_few != 1)} to draw "
        f"shots from: the few-shot prompt uses {k_few}.",
        icon=":material/info:",
    )

view.prompts_panel(task, lm, variants, seed, instruction, n_ctx)


def _reveal() -> tuple[str, str]:
    runs = view.variant_runs(task, lm, variants, seed, instruction, gen, backend)[1]
    zero, few = runs["zero-shot"].accuracy, runs["few-shot"].accuracy
    gap = few - zero
    answer = OPTIONS[0] if gap > 0.1 else OPTIONS[2] if gap < -0.1 else OPTIONS[1]
    return (
        answer,
        f"Measured just now: zero-shot {zero:.0%}, {k_few}-shot {few:.0%} "
        f"({gap * 100:+.0f} points) on {len(task.items)} held-out items.",
    )


OPTIONS = ["Few-shot wins by > 10 points", "Within 10 points", "Zero-shot wins by > 10 points"]
predict_then_reveal(
    "prompting_predict",
    f"Before you scroll: on this task, how will the {k_few}-shot prompt compare with zero-shot?",
    OPTIONS,
    _reveal,
)

vres, runs = view.variant_runs(task, lm, variants, seed, instruction, gen, backend)
view.accuracy_panel(task, vres, runs, variants, seed, gen)
seeds = tuple(range(seed, seed + st.session_state["prompting_draws"]))
res = view.sweep_panel(task, lm, k, k_few, seeds, instruction, backend)
view.task_card(task)

what_to_notice(view.notice_points(task, runs, res, k_few, instruction))
sync_url()
