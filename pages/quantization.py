"""Quantization comparison: the same model at 32, 16, 8, 4 and 2 bits, measured side by side."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core import models
from core import quantization as q
from core.knobs import spec
from core.lora import LoraConfigSpec
from core.text import clean_text
from ui import knobs
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

with st.container(border=True):
    c = st.columns([1.2, 3])
    c[0].selectbox("Model", NAMES, key="quant_model", format_func=lambda n: models.MODELS[n].label)
    c[1].multiselect(
        "Schemes (fp32 is always measured: it is the reference)",
        q.SCHEME_NAMES,
        key="quant_schemes",
        format_func=LABEL.get,
    )
    c = st.columns(3)
    for col, (key, field, label, (lo, hi)) in zip(c[:2], SLIDERS, strict=True):
        knobs.slider(
            q.QuantConfig, field, key=key, label=label, where=col, min_value=lo, max_value=hi
        )
    c[2].text_input(
        "Prompt every scheme answers",
        key="quant_prompt",
        max_chars=300,
        placeholder="empty: a default for the model",
    )
    # a callback: the request survives the frame's rerun (a button's return value would not)
    st.button(
        "Run comparison",
        type="primary",
        key="quant_run",
        on_click=lambda: st.session_state.update(quant_run_requested=True),
    )

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

store = q.shared_results()  # one per server: the same comparison is computed once for everyone
results = store.get(config)
run_clicked = st.session_state.pop("quant_run_requested", False)
if results is None and run_clicked:
    bar = st.progress(0.0, text="Starting...")
    if store.running(config) is not None:
        st.caption(
            "Another session is running this same comparison: showing its progress and using "
            "its result instead of computing it twice."
        )

    def on_step(done: int, total: int, scheme: str) -> None:
        text = "Done" if scheme == "done" else f"Quantizing and measuring {LABEL.get(scheme)}..."
        bar.progress(done / total if total else 0.0, text=f"{text} ({done}/{total})")

    def compute(report):
        data = q.eval_data_for(kind, config)
        return q.compare(loaded, config.schemes, data, config=config, on_step=report)

    try:
        results, _ = store.get_or_compute(config, compute, on_progress=on_step)
        st.session_state.quant_last = (config, results)
    except (ValueError, RuntimeError) as e:  # e.g. a hub model whose fp32 forward fails
        st.error(f"The comparison could not run on {spec.name}: {e}")
    bar.empty()

st.subheader("Results")
if results is None and "quant_last" in st.session_state:
    config, results = st.session_state.quant_last
    kind = models.resolve(config.model).kind
    st.caption(
        f"Showing your last run ({config.model}); press **Run comparison** for the new settings."
    )
if results is None:
    st.info(
        "Press **Run comparison**: every scheme quantizes a private copy of the model, saves it, "
        "times it and scores it against fp32 (tiny-gpt: well under a minute on 2 CPU cores). "
        "Meanwhile, the layer histogram and the memory calculator below are live.",
        icon=":material/play_circle:",
    )
else:
    view.results_table(results, kind)
    view.charts(results, kind)
    view.outputs_side_by_side(results, kind, config.prompt)


@st.fragment
def weight_histogram() -> None:
    st.subheader("One layer before and after")
    layers = q.layer_names(loaded.model)
    c = st.columns([2.5, 1.5, 1])
    idx = (
        c[0].selectbox(
            "Layer", range(len(layers)), key="quant_layer_idx", format_func=lambda i: layers[i]
        )
        if layers
        else None
    )
    c[1].selectbox(
        "Scheme",
        [s for s in q.SCHEME_NAMES if s != "fp32"],
        key="quant_layer_scheme",
        format_func=LABEL.get,
    )
    c[2].number_input("Output channel", min_value=0, step=1, key="quant_row")
    if idx is None or idx >= len(layers):
        st.info("This model has no linear layer to show.")
        return
    try:
        rt = view.cached_roundtrip(
            spec.name,
            layers[idx],
            st.session_state.quant_layer_scheme,
            int(st.session_state.quant_row),
        )
    except (ValueError, RuntimeError) as e:
        st.warning(str(e))
        return
    view.histogram(rt)


@st.fragment
def memory_calculator() -> None:
    st.subheader("Memory calculator")
    st.caption(
        "From the config alone, like `accelerate estimate-memory`: embedded models "
        "offline, any Hugging Face id when online."
    )
    c = st.columns([3, 1])
    c[0].text_input("Model name or Hugging Face id", key="quant_mem_model")
    knobs.number_input(
        LoraConfigSpec, "r", key="quant_rank", label="LoRA rank", where=c[1], help=None
    )
    try:
        est = view.cached_memory(
            st.session_state.quant_mem_model.strip(), int(st.session_state.quant_rank)
        )
    except (models.ModelUnavailableError, ValueError) as e:
        st.warning(str(e), icon=":material/cloud_off:")
        return
    view.memory_view(est)


weight_histogram()
memory_calculator()
if results is not None:
    what_to_notice(view.notice_points(results, kind))
predict_then_reveal(
    "quant_predict",
    f"The saved weights of **{spec.name}** in fp32 vs int4 (quanto): how many times smaller?",
    view.RATIO_OPTIONS,
    lambda: view.reveal_int4_ratio(loaded),
)
sync_url()
