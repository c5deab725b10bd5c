"""Render helpers of the LoRA page: settings, the live run, and the before/after views.

The page stays a top-to-bottom script; everything drawn from a run's numbers lives here.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import lora, models
from core.lora import JobSnapshot, LoraConfigSpec, LoraJob, LoraRunResult
from ui.render import predict_then_reveal, what_to_notice

JOB = "lora_job"  # session key of the current LoraJob
LOADED = "lora_loaded"  # session key of a reloaded (SavedRun, model, tokenizer)
MERGE = "lora_merge"  # session key of the last MergeCheck, by run
UPLOAD = "Your own upload (CSV/JSONL)"
LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0, 100.0]
BATCHES = [1, 2, 4, 8, 16, 32, 64]
LENGTHS = [16, 24, 32, 48, 64, 96, 128, 256]
KIND = {"classification": "encoder", "causal-lm": "causal-lm"}


# --- cached engine calls -----------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def module_choices(model: str, task: str) -> list[str]:
    return lora.target_module_choices(model, task)


@st.cache_data(show_spinner=False)
def param_count(spec: LoraConfigSpec, labels: tuple[str, ...]) -> lora.ParamCount:
    return lora.count_trainable(spec, labels)


@st.cache_data(show_spinner=False)
def recipe_dataset(key: str) -> lora.LoraDataset:
    return lora.load_recipe_dataset(key)


def apply_recipe() -> None:
    """Reset the settings to the chosen recipe's (a widget callback)."""
    key = st.session_state.get("lora_recipe")
    r = lora.RECIPES.get(key)
    if r is None:
        return
    st.session_state.update(
        lora_model=r.model,
        lora_r=r.r,
        lora_alpha=r.alpha,
        lora_targets=list(r.targets),
        lora_lr=r.lr,
        lora_epochs=r.epochs,
        lora_batch=r.batch_size,
        lora_maxlen=r.max_length,
    )


def model_options(task: str) -> list[str]:
    return [s.name for s in models.list_models(KIND[task])]  # type: ignore[arg-type]


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def fmt_secs(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s:.0f} s" if s < 90 else f"{s // 60:.0f} min {s % 60:02.0f} s"


# --- before the run ----------------------------------------------------------------------------
def show_dataset(ds: lora.LoraDataset) -> None:
    """Size, labels and a preview of the rows."""
    for note in ds.notes:
        st.warning(note, icon=":material/info:")
    cols = ("text", "label") if ds.task == "classification" else ("prompt", "completion")
    extra = f", labels: {', '.join(ds.labels)}" if ds.labels else ""
    with st.expander(f"Dataset: {ds.name} - {len(ds)} rows{extra}"):
        st.dataframe(pd.DataFrame(ds.rows[:50], columns=cols), hide_index=True, height=240)


def show_budget(params: lora.ParamCount) -> None:
    """Trainable parameters (from peft) and training memory, LoRA vs full fine-tuning."""
    mem = lora.memory_estimate(params.total, params.trainable)
    c = st.columns(4)
    c[0].metric("Trainable parameters", f"{params.trainable:,}", help="peft's count")
    c[1].metric("Share of the model", f"{params.percent:.2f}%", help=f"of {params.total:,}")
    c[2].metric("Training memory, LoRA", fmt_bytes(mem.lora_total))
    c[3].metric(
        "Full fine-tuning",
        fmt_bytes(mem.full_total),
        f"{mem.saving:.1f}x more",
        delta_color="inverse",
    )
    parts = {
        "Weights": (mem.lora_weights, mem.full_weights),
        "Gradients": (mem.lora_grads, mem.full_grads),
        "AdamW state (2 moments)": (mem.lora_optimizer, mem.full_optimizer),
    }
    fig = go.Figure(
        [
            go.Bar(
                name=k,
                y=["LoRA", "Full fine-tuning"],
                x=[v[0] / 2**20, v[1] / 2**20],
                orientation="h",
            )
            for k, v in parts.items()
        ]
    )
    fig.update_layout(
        barmode="stack",
        height=190,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title="MiB (fp32; activations not included)",
        title="Memory for weights, gradients and optimizer state",
        legend=dict(orientation="h", y=-0.55),
    )
    st.plotly_chart(fig, width="stretch")


def default_run_name(spec: LoraConfigSpec) -> str:
    return f"{spec.model}-r{spec.r}-{time.strftime('%Y%m%d-%H%M%S')}".replace(".", "_")


def settings_panel(choices: list[str]) -> None:
    """The adapter-shape and training widgets, keyed ``lora_*`` (seeded by url_state)."""
    s1, s2 = st.columns(2)
    with s1.container(border=True):
        st.markdown("**Adapter shape**")
        a, b = st.columns(2)
        a.number_input("Rank r", 0, 256, key="lora_r", help="Width of the bottleneck B @ A")
        b.number_input("Alpha", 1, 1024, key="lora_alpha", help="The update is scaled by alpha/r")
        st.multiselect("Target modules (the model's own layers)", choices, key="lora_targets")
        st.slider("LoRA dropout", 0.0, 0.5, step=0.05, key="lora_dropout")
    with s2.container(border=True):
        st.markdown("**Training**")
        a, b = st.columns(2)
        a.select_slider("Learning rate", LRS, key="lora_lr", format_func=lambda v: f"{v:g}")
        b.slider("Epochs", 1, 20, key="lora_epochs")
        a.select_slider("Batch size", BATCHES, key="lora_batch")
        b.select_slider("Max length (tokens)", LENGTHS, key="lora_maxlen")
        a.slider("Held out for validation", 0.1, 0.5, step=0.01, key="lora_val", format="%.2f")
        b.number_input("Seed", 0, 2**31 - 1, key="lora_seed")


def spec_from_state(model: str, task: str) -> LoraConfigSpec:
    """The run's spec from the widgets' values. Raises ValueError with a plain message."""
    ss = st.session_state
    return LoraConfigSpec(
        model=model, task=task, r=ss.lora_r, alpha=ss.lora_alpha, dropout=ss.lora_dropout,
        target_modules=tuple(ss.lora_targets), lr=ss.lora_lr, epochs=ss.lora_epochs,
        batch_size=ss.lora_batch, max_length=ss.lora_maxlen, val_fraction=ss.lora_val,
        seed=ss.lora_seed,
    )  # fmt: skip


def notice_and_predict(spec: LoraConfigSpec, params: lora.ParamCount, labels) -> None:
    """The "what to notice" box and a question answered by peft on the spot."""
    what_to_notice(
        [
            f"Only {params.percent:.2f}% of the weights train; the frozen rest needs no gradients "
            "and no optimizer state, hence the memory gap with full fine-tuning.",
            "Watch validation loss, not only training loss: when it stops falling, more epochs "
            "only memorise the training rows.",
            "Push the learning rate to 10 or 100: the loss jumps instead of falling. A loss that "
            "turns NaN or explodes stops the run; a milder one shows in the forgetting check.",
            "Every 'base' figure is the same model with its adapter switched off: the base "
            "weights never change, which is why one base can serve many adapters.",
        ]
    )
    doubled_r = min(256, 2 * spec.r)

    def reveal() -> tuple[str, str]:
        doubled = lora.count_trainable(replace(spec, r=doubled_r), labels)
        ratio = doubled.trainable / max(1, params.trainable)
        answer = "about 2x" if 1.5 <= ratio < 3 else "about 4x" if ratio >= 3 else "about the same"
        return answer, (
            f"peft counts {params.trainable:,} -> {doubled.trainable:,} ({ratio:.2f}x): "
            "A is r x d_in and B is d_out x r, so the adapter grows linearly with r "
            "(a trained classification head, if any, stays the same size)."
        )

    predict_then_reveal(
        "lora_predict",
        f"If you double the rank r from {spec.r} to {doubled_r}, how many trainable parameters "
        "will the adapter have?",
        ["about the same", "about 2x", "about 4x"],
        reveal,
    )


# --- during the run ----------------------------------------------------------------------------
def loss_figure(snap: JobSnapshot | LoraRunResult) -> go.Figure:
    """Train loss for every step and validation loss points, over the whole run."""
    losses = snap.train_losses
    fig = go.Figure()
    fig.add_scatter(
        x=list(range(1, len(losses) + 1)),
        y=list(losses),
        name="train loss (batch)",
        mode="lines",
        line=dict(width=1.5),
    )
    if snap.val_losses:
        xs, ys = zip(*snap.val_losses, strict=True)
        fig.add_scatter(x=list(xs), y=list(ys), name="validation loss", mode="lines+markers")
    total = snap.total_steps or max(1, len(losses))
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=30, b=10),
        title="Loss per step",
        xaxis=dict(title="optimizer step", range=[0, total + 0.5]),
        yaxis_title="cross-entropy loss",
        legend=dict(orientation="h", y=1.12),
    )
    return fig


def job_panel() -> None:
    """Progress of the session's job; polls every second while it runs (other sessions and
    the rest of this page stay responsive: the training runs in its own thread)."""
    job: LoraJob | None = st.session_state.get(JOB)
    if job is None:
        return
    running = not job.snapshot().finished

    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        snap = job.snapshot()
        if snap.finished and running:
            st.rerun()  # the whole page redraws once with the results
        if not snap.finished:
            label = f"{snap.message} - step {snap.step} of {snap.total_steps or '?'}"
            st.progress(snap.fraction, text=label)
            c = st.columns([1, 1, 1, 1, 1.2])
            c[0].metric("Step", f"{snap.step} / {snap.total_steps or '?'}")
            c[1].metric("Steps per second", f"{snap.steps_per_s:.2f}")
            c[2].metric("Elapsed", fmt_secs(snap.elapsed))
            c[3].metric("Remaining", fmt_secs(snap.remaining))
            c[4].button(
                "Stop training",
                key="lora_stop",
                icon=":material/stop_circle:",
                on_click=job.stop,
                disabled=job.stop_requested,
                help="Stops after the current step and keeps what was learned",
            )
        if snap.train_losses:
            st.plotly_chart(loss_figure(snap), width="stretch", key="lora_live_loss")

    panel()


# --- after the run -----------------------------------------------------------------------------
def show_result(snap: JobSnapshot) -> None:
    """Outcome, base vs adapter, forgetting, merge-and-compare and a try-it box."""
    res = snap.result
    if snap.state == "error" or res is None:
        st.error(f"The run failed: {snap.message}", icon=":material/error:")
        return
    if res.diverged:
        st.error(res.message, icon=":material/trending_up:")
    elif res.stopped:
        st.warning(res.message, icon=":material/stop_circle:")
    else:
        st.success(
            f"{res.message} {res.steps_per_s:.2f} steps/s, {fmt_secs(res.seconds)} in all.",
            icon=":material/check_circle:",
        )
    if (
        not res.diverged
        and len(res.val_losses) > 1
        and res.val_losses[-1][1] > res.val_losses[0][1]
    ):
        st.warning(
            f"Validation loss ended higher than it started ({res.val_losses[0][1]:.3f} -> "
            f"{res.val_losses[-1][1]:.3f}): the learning rate {res.spec.lr:g} is probably too "
            "high, or the run too short.",
            icon=":material/trending_up:",
        )
    if res.adapter_path:
        st.caption(f"Adapter saved with save_pretrained in `{res.adapter_path}`")
    cmp = res.comparison
    if cmp is None:
        return
    st.subheader("Base model vs adapter, on the same held-out rows")
    what = "accuracy" if res.spec.task == "classification" else "exact match"
    c = st.columns(4)
    c[0].metric(f"Base {what}", f"{cmp.base_accuracy:.0%}")
    c[1].metric(
        f"Adapter {what}",
        f"{cmp.adapter_accuracy:.0%}",
        f"{100 * (cmp.adapter_accuracy - cmp.base_accuracy):+.0f} points",
    )
    c[2].metric("Base loss", f"{cmp.base_loss:.3f}")
    c[3].metric(
        "Adapter loss",
        f"{cmp.adapter_loss:.3f}",
        f"{cmp.adapter_loss - cmp.base_loss:+.3f}",
        delta_color="inverse",
    )
    st.caption(
        f"{res.n_val} held-out rows the adapter never trained on ({res.n_train} trained on)."
    )
    table = pd.DataFrame(
        {
            "input": cmp.inputs,
            "expected": cmp.targets,
            "base model": cmp.base_outputs,
            "with adapter": cmp.adapter_outputs,
        }
    )
    st.dataframe(table, hide_index=True, height=260, width="stretch")
    show_forgetting(snap.forgetting)
    show_merge(res)
    st.subheader("Try it")
    try_it(res.model, res.tokenizer, res.spec, res.labels, cmp.inputs[0], "lora_try")


def show_forgetting(check: lora.ForgettingCheck | None) -> None:
    if check is None:
        return
    st.subheader("Did it forget? The base model's own skill, before and after")
    c = st.columns(3)
    fmt = (lambda v: f"{v:.0%}") if check.higher_is_better else (lambda v: f"{v:.2f}")
    c[0].metric(f"Before: {check.metric}", fmt(check.base))
    delta = check.change * (100 if check.higher_is_better else 1)
    c[1].metric(
        "After (adapter on)",
        fmt(check.adapter),
        f"{delta:+.1f}{' points' if check.higher_is_better else ''}",
        delta_color="normal" if check.higher_is_better else "inverse",
    )
    for k, v in check.extra.items():
        c[2].metric(k, f"{v:.4f}")
    st.caption(f"{check.explanation} Measured on {check.n_items} held-out items.")


def show_merge(res: LoraRunResult) -> None:
    st.subheader("Merge the adapter into the weights")
    st.caption(
        "merge_and_unload folds B @ A x alpha/r into each target weight (on a copy): "
        "no extra layers at inference, and the outputs should not change."
    )
    if st.button("Merge a copy and compare", key="lora_merge_btn", icon=":material/merge:"):
        with st.spinner("Merging a copy and running both..."):
            inputs = list(res.comparison.inputs[:16]) if res.comparison else []
            st.session_state[MERGE] = (
                id(res),
                lora.merge_check(
                    res.model, res.tokenizer, res.spec.task, inputs, res.spec.max_length
                ),
            )
    stored = st.session_state.get(MERGE)
    if stored and stored[0] == id(res):
        m = stored[1]
        c = st.columns(4)
        c[0].metric("Largest logit difference", f"{m.max_abs_diff:.1e}")
        c[1].metric("Same outputs", "yes" if m.same_outputs else "NO", help=f"{m.n_inputs} inputs")
        c[2].metric("Parameters", f"{m.params_merged:,}", f"{m.params_merged - m.params_adapter:,}")
        c[3].metric(
            "Forward pass",
            f"{m.ms_merged:.0f} ms",
            f"{m.ms_merged - m.ms_adapter:+.0f} ms",
            delta_color="inverse",
            help=f"with the adapter apart: {m.ms_adapter:.0f} ms",
        )


def try_it(model, tok, spec: LoraConfigSpec, labels, example: str, key: str) -> None:
    """Type an input, see the base model's and the adapter's answer side by side."""
    text = st.text_input("Try your own input", value=example, key=key, max_chars=2000)
    if not text.strip():
        st.info("Type an input to compare the base model and the adapter.")
        return
    with st.spinner("Running base and adapter..."):
        outs = [
            lora.outputs_for(model, tok, spec.task, [text], labels, spec.max_length, adapter=a)[0]
            for a in (False, True)
        ]
    c = st.columns(2)
    c[0].markdown("**Base model**")
    c[0].code(outs[0] or "(empty)", language=None, wrap_lines=True)
    c[1].markdown("**With adapter**")
    c[1].code(outs[1] or "(empty)", language=None, wrap_lines=True)


def saved_runs_panel() -> None:
    """Every saved adapter, reloadable from disk onto a fresh base model."""
    runs = lora.list_runs()
    with st.expander(f"Saved adapters ({len(runs)})", icon=":material/folder_open:"):
        if not runs:
            st.caption("None yet: a finished run saves its adapter here.")
            return
        rows = [
            {
                "name": r.name,
                "model": r.meta["spec"]["model"],
                "r": r.meta["spec"]["r"],
                "dataset": r.meta.get("dataset"),
                "steps": r.meta.get("steps_done"),
                "held-out accuracy": r.meta.get("adapter_accuracy"),
                "saved": r.meta.get("saved_at"),
            }
            for r in runs
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        name = st.selectbox("Adapter", [r.name for r in runs], key="lora_saved_pick")
        if st.button("Reload from disk", key="lora_reload", icon=":material/upload:"):
            try:
                with st.spinner("Loading a fresh base model and the adapter..."):
                    st.session_state[LOADED] = lora.load_run(name)
            except (ValueError, OSError, models.ModelUnavailableError) as e:
                st.error(f"Could not reload {name!r}: {e}")
        loaded = st.session_state.get(LOADED)
        if loaded:
            run, model, tok = loaded
            st.caption(
                f"Reloaded `{run.name}` ({run.meta['spec']['model']}, "
                f"{run.meta['spec']['task']}) from `{run.path}`"
            )
            example = (
                "The food was cold, and the staff were rude."
                if run.spec.task == "classification"
                else "capital of Japan =>"
            )
            try_it(
                model, tok, run.spec, tuple(run.meta.get("labels", ())), example, "lora_try_saved"
            )
