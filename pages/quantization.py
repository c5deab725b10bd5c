"""Quantization comparison: the same model at 32, 16, 8, 4 and 2 bits, measured side by side."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core import models
from core import quantization as q
from core.knobs import spec
from core.lora import LoraConfigSpec
from core.text import clean_text
from ui import quantization_view as view
from ui.loaders import get_model
from ui.render import input_notes, page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import sync_url, url_state

page_header(
    "Quantization comparison",
    "Store the same weights in fewer bits and measure, on the spot, what you save (bytes, memory, "
    "time) and what you lose (quality against fp32).",
)
NAMES = [s.name for k in ("causal-lm", "encoder") for s in models.list_models(k)]
sidebar_lm = active_model("causal-lm")
# the engine's knobs, at the page's defaults (the page offers fewer texts and runs: each one
# costs a full evaluation); the LoRA rank of the calculator is LoraConfigSpec's r
N_EVAL, RUNS = (8, 80), (1, 15)
SLIDERS = (  # (widget key, QuantConfig field, label, the page's range)
    ("quant_n_eval", "n_eval", "Evaluation texts", N_EVAL),
    ("quant_runs", "latency_runs", "Timed forwards per scheme (median shown)", RUNS),
)
KNOBS = {
    "quant_n_eval": spec(q.QuantConfig, "n_eval"),
    "quant_runs": spec(q.QuantConfig, "latency_runs"),
    "quant_rank": spec(LoraConfigSpec, "r"),
}
url_state(
    view.DEFAULTS
    | {key: replace(k, default=view.DEFAULTS[key]) for key, k in KNOBS.items()}
    | {"quant_model": sidebar_lm if sidebar_lm in NAMES else "tiny-gpt"},
    choices={
        "quant_model": NAMES,
        "quant_schemes": list(q.SCHEME_NAMES),
        "quant_layer_scheme": [s for s in q.SCHEME_NAMES if s != "fp32"],
    },
    bounds={
        "quant_n_eval": N_EVAL,
        "quant_runs": RUNS,
        "quant_layer_idx": (0, 500),
        "quant_row": (0, 100_000),
    },
)
LABEL = {s.name: s.label for s in q.list_schemes()}

view.settings_form(NAMES, LABEL, SLIDERS)

spec = models.resolve(st.session_state.quant_model)
kind = spec.kind
clean = clean_text(st.session_state.quant_prompt, max_chars=300, strip_controls=True)
input_notes(clean)
prompt = " ".join(clean.text.split())
if not st.session_state.quant_schemes:
    st.info("No scheme picked: fp32 alone will be measured. Pick schemes to compare with it.")
try:
    config = q.QuantConfig(
        model=spec.name,
        schemes=tuple(st.session_state.quant_schemes) or ("fp32",),
        n_eval=st.session_state.quant_n_eval,
        latency_runs=st.session_state.quant_runs,
        prompt=prompt or q.DEFAULT_PROMPT[kind],
    )
except ValueError as e:
    st.error(f"These settings cannot run: {e}")
    st.stop()
loaded = get_model(spec.name)  # a clear message and stop when a hub model is offline


def compute(report, config=config, kind=kind):  # bound now: `kind` may be rebound below
    data = q.eval_data_for(kind, config)
    return q.compare(loaded, config.schemes, data, config=config, on_step=report)


results = view.run_comparison(config, compute, LABEL)
results, kind = view.results_section(results, config, kind)  # or the last run shown
view.weight_histogram(spec.name, loaded.model, LABEL)
view.memory_calculator()
if results is not None:
    what_to_notice(view.notice_points(results, kind))
predict_then_reveal(
    "quant_predict",
    f"The saved weights of **{spec.name}** in fp32 vs int4 (quanto): how many times smaller?",
    view.RATIO_OPTIONS,
    lambda: view.reveal_int4_ratio(loaded),
)
sync_url()
