"""Render helpers of the quantization page: the settings form, the run with its progress bar,
the table, the charts, the outputs side by side, the weight histogram with its grid, the memory
calculator, and the "what to notice" lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import models
from core.evaluation import ALPHA
from core.lora import LoraConfigSpec
from core.quantization import (
    DEFAULT_SCHEMES,
    SCHEME_NAMES,
    LatencyComparison,
    MemoryEstimate,
    QuantConfig,
    QuantResult,
    RoundTrip,
    disk_ratio,
    disk_size,
    estimate_memory,
    latency_vs_fp32,
    layer_names,
    rank_quality,
    roundtrip_layer,
    shared_results,
)
from ui import knobs

COLORS = {
    "fp32": "#4C78A8",
    "fp16": "#72B7B2",
    "bf16": "#54A24B",
    "int8-dynamic": "#EECA3B",
    "int8": "#F58518",
    "fp8": "#B279A2",
    "int4": "#E45756",
    "int2": "#9D755D",
}


# --- the page's panels ---------------------------------------------------------------------------
def settings_form(names: Sequence[str], label: dict[str, str], sliders: Sequence[tuple]) -> None:
    """Model, schemes, the engine's sliders, the prompt and the run button.

    ``sliders``: ``(widget key, QuantConfig field, label, (min, max))`` per slider.
    """
    with st.container(border=True):
        c = st.columns([1.2, 3])
        c[0].selectbox(
            "Model", names, key="quant_model", format_func=lambda n: models.MODELS[n].label
        )
        c[1].multiselect(
            "Schemes (fp32 is always measured: it is the reference)",
            SCHEME_NAMES,
            key="quant_schemes",
            format_func=label.get,
        )
        c = st.columns(3)
        for col, (key, field, text, (lo, hi)) in zip(c[:2], sliders, strict=True):
            knobs.slider(
                QuantConfig, field, key=key, label=text, where=col, min_value=lo, max_value=hi
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


def run_comparison(
    config: QuantConfig, compute: Callable, label: dict[str, str]
) -> list[QuantResult] | None:
    """The server-wide result for ``config``; computed (with a progress bar) when the run button
    was pressed and nobody has it yet. ``None`` when there is none (or the run failed)."""
    store = shared_results()  # one per server: the same comparison is computed once for everyone
    results = store.get(config)
    run_clicked = st.session_state.pop("quant_run_requested", False)
    if results is not None or not run_clicked:
        return results
    bar = st.progress(0.0, text="Starting...")
    if store.running(config) is not None:
        st.caption(
            "Another session is running this same comparison: showing its progress and using "
            "its result instead of computing it twice."
        )

    def on_step(done: int, total: int, scheme: str) -> None:
        text = "Done" if scheme == "done" else f"Quantizing and measuring {label.get(scheme)}..."
        bar.progress(done / total if total else 0.0, text=f"{text} ({done}/{total})")

    try:
        results, _ = store.get_or_compute(config, compute, on_progress=on_step)
        st.session_state.quant_last = (config, results)
    except (ValueError, RuntimeError) as e:  # e.g. a hub model whose fp32 forward fails
        st.error(f"The comparison could not run on {config.model}: {e}")
    bar.empty()
    return results


def results_section(
    results: list[QuantResult] | None, config: QuantConfig, kind: str
) -> tuple[list[QuantResult] | None, str]:
    """The results, or this session's last run, or how to start one; returns what is shown
    (the results and their model's kind)."""
    st.subheader("Results")
    if results is None and "quant_last" in st.session_state:
        config, results = st.session_state.quant_last
        kind = models.resolve(config.model).kind
        st.caption(
            f"Showing your last run ({config.model}); press **Run comparison** for the new "
            "settings."
        )
    if results is None:
        st.info(
            "Press **Run comparison**: every scheme quantizes a private copy of the model, saves "
            "it, times it and scores it against fp32 (tiny-gpt: well under a minute on 2 CPU "
            "cores). Meanwhile, the layer histogram and the memory calculator below are live.",
            icon=":material/play_circle:",
        )
    else:
        results_table(results, kind)
        charts(results, kind)
        outputs_side_by_side(results, kind, config.prompt)
    return results, kind


@st.fragment
def weight_histogram(model_name: str, model, label: dict[str, str]) -> None:
    """Pick a layer, a scheme and an output channel: its weights before and after."""
    st.subheader("One layer before and after")
    layers = layer_names(model)
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
        [s for s in SCHEME_NAMES if s != "fp32"],
        key="quant_layer_scheme",
        format_func=label.get,
    )
    c[2].number_input("Output channel", min_value=0, step=1, key="quant_row")
    if idx is None or idx >= len(layers):
        st.info("This model has no linear layer to show.")
        return
    try:
        rt = cached_roundtrip(
            model_name,
            layers[idx],
            st.session_state.quant_layer_scheme,
            int(st.session_state.quant_row),
        )
    except (ValueError, RuntimeError) as e:
        st.warning(str(e))
        return
    histogram(rt)


@st.fragment
def memory_calculator() -> None:
    """A model name or hub id and a LoRA rank: its memory, from the config alone."""
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
        est = cached_memory(
            st.session_state.quant_mem_model.strip(), int(st.session_state.quant_rank)
        )
    except (models.ModelUnavailableError, ValueError) as e:
        st.warning(str(e), icon=":material/cloud_off:")
        return
    memory_view(est)


def _mb(n: float | None) -> float | None:
    return None if n is None else n / 1e6


def _spread(r: QuantResult) -> str:
    runs = r.latency_runs_ms
    if len(runs) < 2:
        return "1 run"
    return f"{min(runs):.1f}-{max(runs):.1f} ({len(runs)} runs)"


def results_frame(results: Sequence[QuantResult], kind: str) -> pd.DataFrame:
    """One row per supported scheme: what a learner compares first (quality against fp32, then
    time and size) on the left, so it is in view without scrolling; the details after."""
    rows = []
    for r in results:
        if not r.supported:
            continue
        row: dict[str, object] = {"scheme": r.label}
        if kind == "causal-lm":
            row |= {
                "KL from fp32 (nats)": r.kl_from_fp32,
                "top-1 agreement": r.top1_agreement,
                "perplexity": r.perplexity,
            }
        else:
            row |= {"cosine to fp32": r.cosine_to_fp32, "sentiment accuracy": r.accuracy}
        row |= {
            "latency (ms, median)": r.latency_ms,
            "latency range (ms)": _spread(r),
            "disk (MB)": _mb(r.disk_bytes),
            "memory (MB)": _mb(r.param_bytes),
            "bits/weight (all)": r.bits_per_weight,
            "bits/weight (quantized layers)": r.quantized_bits_per_weight,
            "saved as": r.save_format,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def results_table(results: Sequence[QuantResult], kind: str) -> None:
    """The comparison table, plus a warning per scheme this machine could not run."""
    df = results_frame(results, kind)
    fmt = {
        "disk (MB)": "%.2f",
        "memory (MB)": "%.2f",
        "bits/weight (all)": "%.2f",
        "bits/weight (quantized layers)": "%.2f",
        "latency (ms, median)": "%.1f",
        "perplexity": "%.3f",
        "KL from fp32 (nats)": "%.5f",
        "top-1 agreement": "%.3f",
        "cosine to fp32": "%.5f",
        "sentiment accuracy": "%.3f",
    }
    config: dict[str, object] = {
        c: st.column_config.NumberColumn(c, format=f) for c, f in fmt.items()
    }
    config["scheme"] = st.column_config.TextColumn("scheme", pinned=True)
    st.dataframe(df, hide_index=True, width="stretch", column_config=config)
    for r in results:
        if not r.supported:
            st.warning(f"**{r.label}** did not run: {r.reason}", icon=":material/block:")


def _bar(results: Sequence[QuantResult], value, title: str, ytitle: str, fmt: str) -> go.Figure:
    ok = [r for r in results if r.supported and value(r) is not None]
    fig = go.Figure(
        go.Bar(
            x=[r.scheme for r in ok],
            y=[value(r) for r in ok],
            marker_color=[COLORS.get(r.scheme, "#888") for r in ok],
            text=[format(value(r), fmt) for r in ok],
            textposition="outside",
            cliponaxis=False,
            hovertext=[r.label for r in ok],
        )
    )
    fig.update_layout(
        title=title,
        yaxis_title=ytitle,
        height=330,
        margin=dict(t=60, b=40, l=60, r=20),
        showlegend=False,
    )
    return fig


def charts(results: Sequence[QuantResult], kind: str) -> None:
    """Size, speed and quality charts, one column each."""
    cols = st.columns(3)
    size = go.Figure()
    ok = [r for r in results if r.supported]
    for name, attr in (("on disk", "disk_bytes"), ("in memory", "param_bytes")):
        size.add_bar(x=[r.scheme for r in ok], y=[getattr(r, attr) / 1e6 for r in ok], name=name)
    size.update_layout(
        title="Size (MB)",
        barmode="group",
        height=330,
        margin=dict(t=60, b=40, l=60, r=20),
        legend=dict(orientation="h", y=1.02, x=0),
    )
    cols[0].plotly_chart(size, width="stretch")
    lat = _bar(results, lambda r: r.latency_ms, "Latency per forward", "ms (median)", ".1f")
    for r in ok:  # every timed run, so the spread is visible
        lat.add_scatter(
            x=[r.scheme] * len(r.latency_runs_ms),
            y=list(r.latency_runs_ms),
            mode="markers",
            marker=dict(color="black", size=5, opacity=0.5),
            hoverinfo="y",
        )
    cols[1].plotly_chart(lat, width="stretch")
    if kind == "causal-lm":
        q = _bar(results, lambda r: r.kl_from_fp32, "KL divergence from fp32", "nats/token", ".4f")
    else:
        q = _bar(results, lambda r: 1 - r.cosine_to_fp32, "1 - cosine to fp32", "distance", ".5f")
    cols[2].plotly_chart(q, width="stretch")


def outputs_side_by_side(results: Sequence[QuantResult], kind: str, prompt: str) -> None:
    """The same prompt's output from every scheme."""
    what = "greedy continuation" if kind == "causal-lm" else "predicted sentiment"
    st.caption(f"Prompt: `{prompt}` -> {what} of each scheme")
    df = pd.DataFrame([{"scheme": r.label, "output": r.sample} for r in results if r.supported])
    st.dataframe(df, hide_index=True, width="stretch")


def histogram(rt: RoundTrip) -> None:
    """One block of weights before and after, with the grid they snap to drawn as ticks."""
    fig = go.Figure()
    lo = min(min(rt.original), min(rt.dequantized))
    hi = max(max(rt.original), max(rt.dequantized))
    bins = dict(start=lo, end=hi, size=(hi - lo) / 80 or 1e-3)
    fig.add_histogram(
        x=list(rt.original), xbins=bins, name="fp32 (before)", opacity=0.6, marker_color="#4C78A8"
    )
    fig.add_histogram(
        x=list(rt.dequantized),
        xbins=bins,
        name=f"{rt.scheme} (after)",
        opacity=0.6,
        marker_color="#E45756",
    )
    if rt.grid:
        pad = (hi - lo) * 0.1
        grid = [g for g in rt.grid if lo - pad <= g <= hi + pad]
        fig.add_scatter(
            x=grid,
            y=[0] * len(grid),
            mode="markers",
            name=f"grid ({len(rt.grid)} levels)",
            marker=dict(symbol="line-ns-open", size=14, color="black"),
        )
    start, end = rt.cols
    fig.update_layout(
        barmode="overlay",
        height=360,
        margin=dict(t=60, b=40, l=60, r=20),
        title=f"{rt.layer}: output channel {rt.row}, weights {start}..{end - 1}",
        xaxis_title="weight value",
        yaxis_title="count",
        legend=dict(orientation="h", y=-0.2),
    )
    st.plotly_chart(fig, width="stretch")
    c = st.columns(4)
    c[0].metric("RMSE (whole layer)", f"{rt.rmse:.2e}")
    c[1].metric("max |error|", f"{rt.max_abs_error:.2e}")
    c[2].metric("relative error", f"{rt.relative_error:.2%}")
    c[3].metric("signal-to-noise", f"{rt.snr_db:.1f} dB")
    st.caption(f"Scales: {rt.granularity}. Shape (out, in) = {rt.shape}.")


def memory_view(est: MemoryEstimate) -> None:
    """Weights per precision and the training footprint, Adam vs LoRA."""
    st.caption(
        f"{est.architecture}: {est.n_params:,} parameters; largest layer "
        f"{est.largest_layer or '-'} ({est.largest_layer_bytes / 1e6:.1f} MB at fp32)."
    )
    rows = [
        {"precision": p, "weights (MB)": b / 1e6, "LoRA training (MB)": est.lora_total(p) / 1e6}
        for p, b in est.weights.items()
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(c, format="%.1f")
            for c in ("weights (MB)", "LoRA training (MB)")
        },
    )
    fig = go.Figure()
    parts = [
        (
            "Full fine-tune, fp32 Adam",
            est.adam["model"],
            est.adam["gradients"],
            est.adam["optimizer"],
        ),
        (
            "Full fine-tune, mixed precision",
            est.adam_mixed["model"],
            est.adam_mixed["gradients"],
            est.adam_mixed["optimizer"],
        ),
        (f"LoRA r={est.lora_rank}, fp16 base", est.weights["fp16/bf16"], 0, 0),
        (f"QLoRA r={est.lora_rank}, int4 base", est.weights["int4"], 0, 0),
    ]
    names = [p[0] for p in parts]
    for i, part in enumerate(("weights", "gradients", "optimizer states")):
        fig.add_bar(y=names, x=[p[i + 1] / 1e6 for p in parts], name=part, orientation="h")
    adapter = [0, 0, est.lora_adapter_bytes / 1e6, est.lora_adapter_bytes / 1e6]
    fig.add_bar(y=names, x=adapter, name="LoRA adapter + grads + Adam", orientation="h")
    fig.update_layout(
        barmode="stack",
        height=300,
        margin=dict(t=40, b=40, l=220, r=20),
        title="Training footprint before activations (MB)",
        legend=dict(orientation="h", y=-0.25),
    )
    st.plotly_chart(fig, width="stretch")
    st.caption(
        f"LoRA r={est.lora_rank} on every linear layer trains {est.lora_params:,} parameters "
        f"({est.lora_share:.2%} of the model), counted by peft. Activations come on top and "
        "grow with batch size and sequence length."
    )


def _said(label: str, c: LatencyComparison) -> str:
    lo, hi = c.spread_a
    if c.verdict in ("faster", "slower"):
        return f"{label} {c.ratio:.2f}x ({c.verdict}: every run {lo:.1f}-{hi:.1f} ms)"
    if c.verdict == "noise":
        return f"{label} {c.ratio:.2f}x (noise: its runs {lo:.1f}-{hi:.1f} ms overlap fp32's)"
    return f"{label} {c.ratio:.2f}x"


def latency_points(results: Sequence[QuantResult]) -> list[str]:
    """The latency sentences, each verdict from the timed runs (faster, slower or noise)."""
    cmp = latency_vs_fp32(results)
    if not cmp:
        return []
    by = {r.scheme: r for r in results if r.supported}
    fp32 = by["fp32"]
    n = len(fp32.latency_runs_ms)
    lo, hi = next(iter(cmp.values())).spread_b  # fp32's runs, the reference of every one
    head = (
        f"Latency relative to fp32 (median {fp32.latency_ms:.1f} ms, runs {lo:.1f}-{hi:.1f} ms, "
        f"{n} timed run{'s' if n != 1 else ''} each): "
    )
    if all(c.verdict == "too few runs" for c in cmp.values()):
        ratios = ", ".join(f"{by[s].label} {c.ratio:.2f}x" for s, c in cmp.items())
        return [
            f"{head}{ratios}. With {n} run{'s' if n != 1 else ''} per scheme a difference "
            "cannot be told from noise: raise 'Timed forwards' to at least 4."
        ]
    out = [
        head
        + "; ".join(_said(by[s].label, c) for s, c in cmp.items())
        + ". 'Faster' or 'slower' needs every run on one side of every fp32 run (exact test, "
        f"p < {ALPHA}); anything else is noise on this machine."
    ]
    half = {s: cmp[s] for s in ("fp16", "bf16") if s in cmp}
    slow = [by[s].label for s, c in half.items() if c.verdict == "slower"]
    fast = [by[s].label for s, c in half.items() if c.verdict == "faster"]
    same = [by[s].label for s, c in half.items() if c.verdict == "noise"]
    if slow:
        out.append(
            f"{' and '.join(slow)} measured slower than fp32 here: many CPUs have no fast 16-bit "
            "matmul, so torch converts on the fly; the 16-bit weights still halve the memory."
        )
    if fast:
        out.append(
            f"{' and '.join(fast)} measured faster than fp32 here: this CPU runs 16-bit matmuls "
            "natively (and moves half the bytes), on top of halving the memory."
        )
    if same:
        out.append(
            f"{' and '.join(same)} took the same time as fp32 within noise here: the 16-bit "
            "weights halve the memory without a measurable change in speed."
        )
    quanto = [s for s in ("int8", "fp8", "int4", "int2") if s in cmp]
    if any(cmp[s].verdict == "slower" for s in quanto):
        out.append(
            "quanto's weight-only schemes measured slower: they unpack the weights before each "
            "CPU matmul, so they save memory, not time."
        )
    if "int8-dynamic" in cmp and cmp["int8-dynamic"].verdict == "faster":
        out.append("torch's dynamic int8 measured faster: it runs real int8 matmul kernels.")
    return out


def quality_points(results: Sequence[QuantResult], kind: str) -> list[str]:
    """The quality sentence: best and worst against fp32, and whether it really fell with the
    bits on this run (a scheme with fewer bits that scored better is named, not hidden)."""
    rank = rank_quality(results, kind)
    if rank is None:
        return []
    best, worst, v = rank.best, rank.worst, rank.value
    what = "KL from fp32" if kind == "causal-lm" else "cosine to fp32"
    text = (
        f"{what} is {v(best):.5f} for {best.label} (closest to fp32) and "
        f"{v(worst):.5f} for {worst.label} (furthest)"
    )
    if rank.upset is None:
        return [f"Quality falls with the bits on this run: {text}."]
    lo, hi = rank.upset
    return [
        f"{text}. Not strictly by the bits: {lo.label} ({lo.bits} bits, "
        f"{v(lo):.5f}) is closer to fp32 than {hi.label} ({hi.bits} bits, "
        f"{v(hi):.5f}) here; how a scheme rounds matters as well as how many bits."
    ]


def notice_points(results: Sequence[QuantResult], kind: str) -> list[str]:
    """ "What to notice", written from the measured figures."""
    out = []
    if (ratio := disk_ratio(results, "int4")) is not None:
        i4 = next(r for r in results if r.scheme == "int4")
        out.append(
            f"int4 is {ratio:.1f}x smaller than fp32 on disk, not 8x: "
            f"only {i4.quantized_share:.0%} of the weights sit in quantized layers (the "
            "embeddings stay fp32) and every group of weights carries its own scale and shift "
            f"({i4.quantized_bits_per_weight:.2f} bits per quantized weight, not 4)."
        )
    out += latency_points(results)
    out += quality_points(results, kind)
    out.append(
        "bf16 keeps fp32's range but only 7 mantissa bits, fp16 the reverse: both halve the "
        "bytes; the round-trip error below shows which one is closer for these weights."
    )
    return out


# --- page defaults, cached calls, the predict-then-reveal question -----------------------------
DEFAULTS = {
    "quant_model": "tiny-gpt",
    "quant_schemes": list(DEFAULT_SCHEMES),
    "quant_n_eval": 24,
    "quant_runs": 5,
    "quant_prompt": "",
    "quant_layer_scheme": "int4",
    "quant_layer_idx": 0,
    "quant_row": 0,
    "quant_mem_model": "tiny-gpt",
    "quant_rank": 8,
}


@st.cache_data(show_spinner="Quantizing the layer...", max_entries=64)
def cached_roundtrip(model: str, layer: str, scheme: str, row: int) -> RoundTrip:
    """:func:`core.quantization.roundtrip_layer` on the cached model, memoised."""
    from ui.loaders import get_model

    return roundtrip_layer(get_model(model).model, layer, scheme, row=row)


@st.cache_data(show_spinner="Reading the config and counting parameters...", max_entries=32)
def cached_memory(name: str, rank: int) -> MemoryEstimate:
    """:func:`core.quantization.estimate_memory`, memoised (errors are not cached)."""
    return estimate_memory(name, lora_rank=rank)


RATIO_OPTIONS = ["less than 2x", "2x to 4x", "4x to 7x", "about 8x (32 / 4 bits)"]


def reveal_int4_ratio(loaded) -> tuple[str, str]:
    """Save fp32 and int4 copies now, and bucket the measured ratio."""
    fp32, int4 = disk_size(loaded.model, "fp32"), disk_size(loaded.model, "int4")
    r = fp32 / int4
    bucket = RATIO_OPTIONS[0 if r < 2 else 1 if r < 4 else 2 if r < 7 else 3]
    return bucket, (
        f"Measured just now: {fp32 / 1e6:.2f} MB vs {int4 / 1e6:.2f} MB, {r:.2f}x. Embeddings and "
        "layer norms stay in fp32, and each group of weights stores a scale and a shift, so "
        "the file shrinks less than the 32/4 bit ratio suggests."
    )
