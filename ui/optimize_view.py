"""Render helpers of the Optimize page: distillation, pruning and the one table for all three.

The runs are the engine's jobs (``core.optimize.jobs``) in the shared queue; this module keeps
them in the session state, draws their progress and their results, and computes nothing the
engine could.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core import models
from core import optimize as opt
from core.distill import DistillConfig, DistillResult, StudentConfig, softened, student_size
from core.generation import encode_prompt, next_token_logits
from core.prune import PruneConfig, SweepConfig, SweepResult
from core.sampling import token_label
from core.training import Job, JobStatus
from ui.lora_view import fmt_bytes, fmt_secs

DISTILL_JOB, SWEEP_JOB, COMPARE_JOB = "opt_distill_job", "opt_sweep_job", "opt_compare_job"
DISTILL_TEACHER = "opt_distill_teacher"  # the teacher of this session's distillation run
TEMPERATURES = (1.0, 2.0, 5.0)  # the dark-knowledge view's temperatures
SPARSITIES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # the sweep's offered points
SWEEP = SweepConfig(layer_losses=True)
COLOURS = {"distilled": "#1f77b4", "hard-label": "#ff7f0e"}
CANDIDATE_LABELS = {
    "fp32": "fp32 (original)",
    "int8": "int8",
    "int4": "int4",
    "distilled": "distilled student",
    "distilled+int8": "distilled + int8",
    "pruned": "pruned",
    "pruned+ft": "pruned + recovery fine-tune",
    "pruned+int8": "pruned + int8",
}


def teacher_options() -> list[str]:
    return [s.name for s in models.list_models("causal-lm")]


# --- configs from the widgets --------------------------------------------------------------------
def student_from_state() -> StudentConfig:
    ss = st.session_state
    return StudentConfig(
        n_layer=int(ss.opt_layers), n_head=int(ss.opt_heads), n_embd=int(ss.opt_width)
    )


def distill_from_state() -> DistillConfig:
    ss = st.session_state
    return DistillConfig(
        student=student_from_state(),
        temperature=float(ss.opt_temperature),
        alpha=float(ss.opt_alpha),
        steps=int(ss.opt_steps),
    )


def prune_from_state() -> PruneConfig:
    ss = st.session_state
    return PruneConfig(
        method=ss.opt_method, sparsity=float(ss.opt_sparsity), targets=ss.opt_targets
    )


def compare_from_state(prune: PruneConfig) -> opt.CompareConfig:
    ss = st.session_state
    recover = replace(opt.CompareConfig().recover, steps=int(ss.opt_recover_steps))
    return opt.CompareConfig(candidates=tuple(ss.opt_candidates), prune=prune, recover=recover)


# --- distillation --------------------------------------------------------------------------------
def show_student_size(teacher, student: StudentConfig) -> bool:
    """The student's parameters and bytes before it is built; False (with the reason) when it
    cannot be a student of this teacher."""
    try:
        size = student_size(teacher, student)
    except ValueError as e:
        st.error(f"This student cannot be trained: {e}.", icon=":material/error:")
        return False
    c = st.columns(3)
    c[0].metric("Student parameters", f"{size.n_params:,}", help="counted on an empty copy")
    c[1].metric("Student weights (fp32)", fmt_bytes(size.fp32_bytes))
    c[2].metric(
        "Share of the teacher",
        f"{size.ratio:.0%}",
        help=f"teacher: {size.teacher_n_params:,} parameters, {fmt_bytes(size.teacher_fp32_bytes)}",
    )
    return True


@st.cache_data(show_spinner=False, max_entries=32)
def _softened(name: str, prompt: str):
    loaded = models.load_causal_lm(name)
    ids = encode_prompt(loaded.tokenizer, prompt, max_tokens=models.context_size(loaded.model))
    r = softened(next_token_logits(loaded.model, ids.ids), TEMPERATURES, top=8)
    return r, [token_label(loaded.tokenizer, i) for i in r.token_ids], ids.note


def dark_knowledge(name: str, prompt: str) -> None:
    """The teacher's next-token distribution at T = 1, 2, 5: what the soft targets carry."""
    try:
        r, labels, note = _softened(name, prompt)
    except ValueError as e:
        st.info(str(e), icon=":material/info:")
        return
    if note:
        st.caption(note)
    fig = go.Figure()
    for t, probs, rest in zip(r.temperatures, r.probs, r.rest, strict=True):
        fig.add_bar(name=f"T = {t:g}", x=[*labels, "every other token"], y=[*probs, rest])
    fig.update_layout(
        barmode="group",
        height=320,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis_title="probability",
        legend=dict(orientation="h", y=1.15),
    )
    st.plotly_chart(fig, width="stretch", key="opt_dark_knowledge")
    ent = ", ".join(
        f"{e:.2f} nats at T = {t:g}" for t, e in zip(r.temperatures, r.entropy, strict=True)
    )
    st.caption(
        f"The teacher's next token after the prompt, over its {r.vocab_size:,} tokens; "
        f"entropy {ent}. At T = 1 the student mostly hears the top token, as a hard label "
        "would say; a higher T lifts the wrong-but-plausible tokens, and how much the teacher "
        'likes each of them is the "dark knowledge" a hard label throws away.'
    )


def _progress_panel(job: Job, status: JobStatus, key: str, label: str) -> None:
    p: opt.Progress | None = status.progress
    st.progress(p.fraction if p else 0.0, text=status.message or "Starting...")
    c = st.columns([1, 1, 1.2])
    c[0].metric("Done", f"{p.done} / {p.total}" if p else "-")
    c[1].metric("Elapsed", fmt_secs(status.elapsed))
    c[2].button(
        label,
        key=key,
        icon=":material/stop_circle:",
        on_click=job.stop,
        disabled=job.stop_requested,
        help="Stops after the current step and keeps what was done",
    )


def _loss_figure(distilled, hard, every: int) -> go.Figure:
    fig = go.Figure()
    for name, ys in (("distilled", distilled), ("hard-label", hard)):
        fig.add_scatter(
            x=[i * every for i in range(len(ys))],
            y=list(ys),
            name=name,
            mode="lines",
            line=dict(color=COLOURS[name]),
        )
    fig.update_layout(
        height=280,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title="step",
        yaxis_title="training loss",
        legend=dict(orientation="h", y=1.15),
    )
    return fig


def distill_running(job: Job, status: JobStatus) -> None:
    _progress_panel(job, status, "opt_distill_stop", "Stop training")
    p: opt.Progress | None = status.progress
    if p is not None and p.distilled_losses:
        fig = _loss_figure(p.distilled_losses, p.hard_losses, opt.jobs.LOSS_EVERY)
        st.plotly_chart(fig, width="stretch", key="opt_distill_live")
        st.caption(
            "The distilled student's loss mixes the soft term (times T²) with cross-entropy, "
            "so the two curves are on different scales: compare them below, on the same "
            "held-out measures."
        )


def distill_result(status: JobStatus) -> DistillResult | None:
    """The finished run: teacher vs both students on the same held-out windows."""
    if status.state == "error":
        st.error(f"The distillation failed: {status.message}", icon=":material/error:")
        return None
    res: DistillResult | None = status.result
    if res is None:
        st.info("Stopped before training started: nothing was trained.")
        return None
    if res.stopped:
        st.warning(
            f"Stopped after {res.steps_done} of {res.config.steps} steps: both students took "
            "the same steps, so the comparison below is still fair.",
            icon=":material/pause_circle:",
        )
    rows = []
    for rep in (res.teacher, res.distilled, res.hard):
        a = rep.agreement
        rows.append(
            {
                "model": rep.name,
                "parameters": f"{rep.n_params:,}",
                "fp32 size": fmt_bytes(rep.fp32_bytes),
                "perplexity": round(rep.perplexity.perplexity, 3),
                "KL to teacher (nats/token)": None if a is None else round(a.kl, 4),
                "top-1 agreement": None if a is None else f"{a.top1:.1%}",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    gain = res.kl_gain
    verdict = "closer to" if gain > 0 else "no closer to"
    st.markdown(
        f"Same student, same {res.steps_done} steps, same batches: the soft targets brought it "
        f"**{verdict}** the teacher (KL {res.distilled.agreement.kl:.3f} vs "
        f"{res.hard.agreement.kl:.3f} nats per token on "
        f"{res.teacher.perplexity.n_tokens:,} held-out tokens). Trained in "
        f"{res.distilled_seconds:.1f} s (with the teacher's forward passes) and "
        f"{res.hard_seconds:.1f} s."
    )
    st.plotly_chart(
        _loss_figure(res.distilled_losses, res.hard_losses, 1),
        width="stretch",
        key="opt_distill_curves",
    )
    st.markdown(f"**The same prompt, greedy:** `{res.prompt}`")
    cols = st.columns(3)
    for col, rep in zip(cols, (res.teacher, res.distilled, res.hard), strict=True):
        col.markdown(f"**{rep.name}**")
        col.code(rep.sample or "(nothing)", language=None, wrap_lines=True)
    return res


# --- pruning -------------------------------------------------------------------------------------
def sweep_running(job: Job, status: JobStatus) -> None:
    _progress_panel(job, status, "opt_sweep_stop", "Stop the sweep")


def sweep_figure(res: SweepResult) -> go.Figure:
    pts = [res.reference, *res.points]
    xs = [p.sparsity or 0.0 for p in pts]
    panels = [
        ("perplexity", [p.perplexity for p in pts]),
        ("KL to the original", [p.kl for p in pts]),
        ("top-1 agreement", [p.top1 for p in pts]),
        ("sentiment accuracy", [p.task_accuracy for p in pts]),
    ]
    fig = make_subplots(rows=1, cols=4, subplot_titles=[t for t, _ in panels])
    for i, (title, ys) in enumerate(panels, start=1):
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=title, row=1, col=i)
        fig.update_xaxes(title_text="sparsity", row=1, col=i)
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), showlegend=False)
    return fig


def sweep_result(status: JobStatus) -> SweepResult | None:
    if status.state == "error":
        st.error(f"The sweep failed: {status.message}", icon=":material/error:")
        return None
    res: SweepResult | None = status.result
    if res is None:
        return None
    if res.stopped:
        st.warning("Stopped early: the points measured so far.", icon=":material/pause_circle:")
    st.plotly_chart(sweep_figure(res), width="stretch", key="opt_sweep_curves")
    st.caption(
        f"Every point is scored on the same {res.n_windows} held-out windows "
        f"({res.n_tokens:,} tokens) and {res.n_task_items} sentiment items, against the "
        "unpruned model."
    )
    rows = []
    for p in (res.reference, *res.points):
        rows.append(
            {
                "sparsity": "original" if p.sparsity is None else f"{p.sparsity:.0%}",
                "removed": f"{p.achieved:.1%}",
                "parameters": f"{p.n_params:,}",
                "on disk": fmt_bytes(p.disk_bytes),
                "peak memory": fmt_bytes(p.peak_bytes),
                "forward ms": round(p.latency_ms, 2),
                "vs original": f"{p.latency_ratio:.2f}x ({p.latency_verdict})",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.markdown(f"**What actually shrinks:** {res.size_note}.")
    if res.layer_losses:
        losses = sorted(res.layer_losses, key=lambda x: x.layer)
        fig = go.Figure(go.Bar(x=[f"layer {x.layer}" for x in losses], y=[x.kl for x in losses]))
        fig.update_layout(
            height=260,
            margin=dict(l=10, r=10, t=30, b=10),
            yaxis_title="KL to the original",
            title=f"Each layer pruned alone at {res.config.sparsity:.0%}",
        )
        st.plotly_chart(fig, width="stretch", key="opt_layer_losses")
        worst = res.layer_losses[0]
        st.caption(
            f"Layer {worst.layer} loses most when pruned alone (KL {worst.kl:.3f}, perplexity "
            f"{worst.perplexity_delta:+.3f})."
        )
    return res


# --- the one table -------------------------------------------------------------------------------
def compare_running(job: Job, status: JobStatus) -> None:
    _progress_panel(job, status, "opt_compare_stop", "Stop measuring")


def compare_table(res: opt.CompareResult) -> pd.DataFrame:
    rows = []
    for r in res.rows:
        m = r.measurement
        row = {"candidate": CANDIDATE_LABELS[r.name]}
        if m is None:
            row["note"] = r.reason
        else:
            row |= {
                "parameters": f"{m.n_params:,}",
                "on disk": fmt_bytes(m.disk_bytes),
                "peak memory": fmt_bytes(m.peak_bytes),
                "ms per token": round(m.ms_per_token, 3),
                "latency vs fp32": f"{r.latency_ratio:.2f}x ({r.latency_verdict})",
                "perplexity": round(m.perplexity, 3),
                "KL": round(m.kl, 4),
                "top-1": f"{m.top1:.1%}",
                "sentiment": "-" if m.task_accuracy is None else f"{m.task_accuracy:.0%}",
            }
        rows.append(row)
    return pd.DataFrame(rows)


def pareto_figure(res: opt.CompareResult, cost: str, quality: str) -> go.Figure:
    rows = res.measured()
    front = res.frontier(cost, quality)
    scale = 2**20 if cost != "latency_ms" else 1.0
    unit = "MB" if cost != "latency_ms" else "ms per window"

    def xy(r: opt.Candidate) -> tuple[float, float]:
        m = r.measurement
        return getattr(m, cost) / scale, getattr(m, quality)

    fig = go.Figure()
    fig.add_scatter(
        x=[xy(r)[0] for r in rows],
        y=[xy(r)[1] for r in rows],
        mode="markers+text",
        text=[r.name for r in rows],
        textposition=["top center" if i % 2 else "bottom center" for i in range(len(rows))],
        hovertext=[CANDIDATE_LABELS[r.name] for r in rows],
        marker=dict(size=11, color=["#d62728" if r.name in front else "#7f7f7f" for r in rows]),
        name="candidates",
    )
    pts = [xy(r) for r in rows if r.name in front]
    pts.sort()
    fig.add_scatter(
        x=[p[0] for p in pts],
        y=[p[1] for p in pts],
        mode="lines",
        line=dict(
            color="#d62728", dash="dash", shape="hv" if opt.LOWER_IS_BETTER[quality] else "vh"
        ),
        name="Pareto frontier",
    )
    fig.update_layout(
        height=420,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=f"{opt.COSTS[cost]} ({unit})",
        yaxis_title=opt.QUALITIES[quality]
        + (" (lower is better)" if opt.LOWER_IS_BETTER[quality] else " (higher is better)"),
        legend=dict(orientation="h", y=1.1),
    )
    return fig


def compare_result(status: JobStatus, cost: str, quality: str) -> opt.CompareResult | None:
    if status.state == "error":
        st.error(f"The comparison failed: {status.message}", icon=":material/error:")
        return None
    res: opt.CompareResult | None = status.result
    if res is None:
        return None
    if len(res.rows) < len(res.config.ordered):
        st.warning("Stopped early: the candidates measured so far.", icon=":material/pause_circle:")
    st.dataframe(compare_table(res), hide_index=True, width="stretch")
    with st.expander("How each candidate is made"):
        st.markdown(
            "\n".join(f"- **{CANDIDATE_LABELS[r.name]}**: {r.description}" for r in res.rows)
        )
    src = {
        "given": "the student of your distillation run above",
        "trained": "a student trained just now with the default recipe (run a distillation "
        "above to use your own)",
    }.get(res.student or "", "")
    shape = res.student_shape
    extra = (
        f" The distilled rows use {src}: {shape[0]} layers, {shape[1]} heads, width {shape[2]}."
        if shape
        else ""
    )
    st.caption(
        f"Every row measured just now by the same evaluation: {res.n_windows} held-out windows "
        f"({res.n_tokens:,} tokens) against fp32's logits, {res.n_task_items} sentiment items, "
        f"forward passes of one window timed in turns ({res.config.latency_runs} each, median), "
        f"peak memory = weights + the most tensor bytes alive during one forward pass.{extra} "
        f"{res.seconds:.1f} s in all."
    )
    st.plotly_chart(pareto_figure(res, cost, quality), width="stretch", key="opt_pareto")
    front = [CANDIDATE_LABELS[n] for n in res.frontier(cost, quality)]
    st.markdown(
        f"**On the frontier** ({opt.COSTS[cost]} vs {opt.QUALITIES[quality]}): "
        + ", ".join(front)
        + ". Every other candidate is beaten on both axes by one of these."
    )
    return res


# --- what to notice ------------------------------------------------------------------------------
def notice_points(
    distilled: DistillResult | None, swept: SweepResult | None, table: opt.CompareResult | None
) -> list[str]:
    """Points drawn from the runs on this page (general guidance where nothing ran yet)."""
    pts = []
    if distilled is not None and distilled.distilled.agreement and distilled.hard.agreement:
        d, h = distilled.distilled, distilled.hard
        pts.append(
            f"Distillation: the same {distilled.size.n_params:,}-parameter student reached KL "
            f"{d.agreement.kl:.3f} and top-1 {d.agreement.top1:.1%} with the teacher's soft "
            f"targets, {h.agreement.kl:.3f} and {h.agreement.top1:.1%} on hard labels alone."
        )
    else:
        pts.append(
            "Distillation trains a new, smaller model: it costs a training run, and how close "
            "it gets depends on its size and on the steps it gets."
        )
    if swept is not None and swept.points:
        pts.append(f"Pruning: {swept.size_note}.")
    else:
        pts.append(
            "Unstructured pruning writes zeros into dense matrices: they are stored and "
            "multiplied like any other number. Only structured pruning (heads, neurons) makes "
            "the matrices smaller."
        )
    if table is not None:
        fp32 = table.row("fp32")
        best = [r for r in table.measured() if r.name != "fp32"]
        if fp32 is not None and fp32.measurement and best:
            small = min(best, key=lambda r: r.measurement.disk_bytes)
            m = small.measurement
            pts.append(
                f"The smallest file here is {CANDIDATE_LABELS[small.name]}: "
                f"{m.disk_bytes / fp32.measurement.disk_bytes:.0%} of fp32's bytes, at KL "
                f"{m.kl:.3f} and top-1 {m.top1:.1%}. The frontier (bytes vs KL) is "
                + ", ".join(CANDIDATE_LABELS[n] for n in table.frontier())
                + ": the methods combine (distil, then quantize)."
            )
    else:
        pts.append(
            "Quantization keeps the model and stores each weight in fewer bits; it needs no "
            "training, which is why it is usually tried first."
        )
    return pts


@st.cache_data(show_spinner=False, max_entries=8)
def _zeros_on_disk(name: str) -> tuple[int, int, float]:
    return opt.zeros_on_disk(models.load_causal_lm(name).model, 0.5)


RATIO_OPTIONS = ["About half the size", "About the same size", "About a quarter of the size"]


def reveal_zeros(name: str) -> tuple[str, str]:
    before, after, share = _zeros_on_disk(name)
    r = after / before
    answer = RATIO_OPTIONS[1] if r > 0.9 else RATIO_OPTIONS[0] if r > 0.35 else RATIO_OPTIONS[2]
    return answer, (
        f"Measured just now: with {share:.1%} of its block weights set to zero, {name}'s "
        f"safetensors file is {after:,} bytes against {before:,} ({r:.0%}). A dense tensor "
        "stores a zero in 4 bytes like any other number; the zeros only pay off in a sparse "
        "format or kernel, or when whole heads and neurons are removed."
    )
