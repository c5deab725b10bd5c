"""Render helpers of the LoRA page: settings, the live run, and the before/after views.

The page stays a top-to-bottom script; everything drawn from a run's numbers lives here.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import lora, models, training
from core.knobs import Knob, spec
from core.lora import LoraConfigSpec, LoraOutcome, LoraProgress, LoraRunResult
from core.lora.curves import diagnose_val_loss
from core.training import Job, JobStatus
from ui import classroom, knobs
from ui.jobs import OWNER_GRACE_S, poll, session_alive, session_owner
from ui.render import predict_then_reveal, what_to_notice

JOB = "lora_job"  # session key of the session's current training Job
LOADED = "lora_loaded"  # session key of a reloaded (SavedRun, model, tokenizer)
MERGE = "lora_merge"  # session key of the last MergeCheck, by run
UPLOAD = "Your own upload (CSV/JSONL)"
# the stops the select sliders offer inside LoraConfigSpec's ranges (checked when drawn)
LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0, 100.0]
BATCHES = [1, 2, 4, 8, 16, 32, 64]
LENGTHS = [16, 24, 32, 48, 64, 96, 128, 256]
# the form holds out at least 10% (a smaller share is for scripts: the benchmark holds out 5%)
MIN_VAL_SHARE = 0.1
# the form's widget key (and URL parameter) of each LoraConfigSpec field it sets
KEYS = {
    "r": "lora_r",
    "alpha": "lora_alpha",
    "dropout": "lora_dropout",
    "lr": "lora_lr",
    "epochs": "lora_epochs",
    "batch_size": "lora_batch",
    "max_length": "lora_maxlen",
    "val_fraction": "lora_val",
    "seed": "lora_seed",
}
RECIPE_FIELDS = ("r", "alpha", "lr", "epochs", "batch_size", "max_length")  # what a recipe sets
KIND = {"classification": "encoder", "causal-lm": "causal-lm"}
R_MAX = spec(LoraConfigSpec, "r").hi  # the largest rank the spec allows


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


def url_knobs(recipe: lora.Recipe) -> dict[str, Knob]:
    """{widget key: knob} for ``url_state``: LoraConfigSpec's ranges bound the link's values;
    the recipe's settings are the defaults (the spec's own where the recipe sets none)."""
    out = {key: spec(LoraConfigSpec, name) for name, key in KEYS.items()}
    for name in RECIPE_FIELDS:
        out[KEYS[name]] = replace(out[KEYS[name]], default=getattr(recipe, name))
    return out


def apply_recipe() -> None:
    """Reset the settings to the chosen recipe's (a widget callback)."""
    key = st.session_state.get("lora_recipe")
    r = lora.RECIPES.get(key)
    if r is None:
        return
    spec = r.spec()
    st.session_state.update(lora_model=r.model, lora_targets=list(r.targets))
    st.session_state.update({KEYS[name]: getattr(spec, name) for name in RECIPE_FIELDS})


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
    """``model-r8-date-time``, made free if another run took it in the same second."""
    name = f"{spec.model}-r{spec.r}-{time.strftime('%Y%m%d-%H%M%S')}".replace(".", "_")
    return training.suggest_name(name)


def start_run(spec: LoraConfigSpec, dataset: lora.LoraDataset, name: str) -> str | None:
    """Queue a run for this session; returns an error message to show, or None on success.

    A taken name is refused with a free suggestion (and a button that uses it).
    """
    owner = session_owner()
    try:
        job = lora.lora_job(
            spec,
            dataset,
            name=name.strip() or default_run_name(spec),
            owner=owner,
            owner_alive=session_alive(owner),
            num_threads=1,
            grace_s=OWNER_GRACE_S,
        )
        st.session_state[JOB] = training.default_queue().submit(job)
    except training.RunNameTaken as e:
        st.session_state["lora_name_suggestion"] = e.suggestion
        return str(e)
    except (ValueError, training.QueueError) as e:
        return str(e)
    st.session_state.pop("lora_name_suggestion", None)
    return None


def use_suggestion() -> None:
    """Put the suggested free name in the name box (a button callback)."""
    suggestion = st.session_state.pop("lora_name_suggestion", None)
    if suggestion:
        st.session_state["lora_name"] = suggestion


def settings_panel(choices: list[str]) -> None:
    """The adapter-shape and training widgets, keyed ``lora_*`` (seeded by url_state)."""
    s1, s2 = st.columns(2)
    with s1.container(border=True):
        st.markdown("**Adapter shape**")
        a, b = st.columns(2)
        cfg = LoraConfigSpec
        knobs.number_input(cfg, "r", key=KEYS["r"], label="Rank r", where=a)
        knobs.number_input(cfg, "alpha", key=KEYS["alpha"], label="Alpha", where=b)
        st.multiselect("Target modules (the model's own layers)", choices, key="lora_targets")
        knobs.slider(cfg, "dropout", key=KEYS["dropout"], label="LoRA dropout")
    with s2.container(border=True):
        st.markdown("**Training**")
        a, b = st.columns(2)
        knobs.select_slider(cfg, "lr", LRS, key=KEYS["lr"], where=a, format_func="{:g}".format)
        knobs.slider(cfg, "epochs", key=KEYS["epochs"], label="Epochs", where=b)
        knobs.select_slider(cfg, "batch_size", BATCHES, key=KEYS["batch_size"], where=a)
        knobs.select_slider(
            cfg, "max_length", LENGTHS, key=KEYS["max_length"], label="Max length (tokens)", where=b
        )
        knobs.slider(
            cfg,
            "val_fraction",
            key=KEYS["val_fraction"],
            label="Held out for validation",
            where=a,
            format="%.2f",
            min_value=MIN_VAL_SHARE,
        )
        knobs.number_input(cfg, "seed", key=KEYS["seed"], label="Seed", where=b)


def spec_from_state(model: str, task: str) -> LoraConfigSpec:
    """The run's spec from the widgets' values. Raises ValueError with a plain message."""
    ss = st.session_state
    fields = {name: ss[key] for name, key in KEYS.items()}
    return LoraConfigSpec(model=model, task=task, target_modules=tuple(ss.lora_targets), **fields)


def val_loss_diagnosis(res: LoraRunResult):
    """Core's reading of the run's validation-loss curve (see
    :func:`core.lora.curves.diagnose_val_loss`): the view only renders it."""
    return diagnose_val_loss(res.val_losses, lr=res.spec.lr, diverged=res.diverged)


def run_notices(outcome: LoraOutcome | None) -> list[str]:
    """Sentences about the finished run, each written from that run's own numbers."""
    res = outcome.run if outcome is not None else None
    if res is None or res.diverged:
        return []
    out = []
    curve = val_loss_diagnosis(res)
    if curve.verdict != "none":
        out.append(
            f"This run: validation loss {curve.moved} from {curve.start:.3f} to {curve.end:.3f} "
            f"over {curve.last_step} steps (training loss {res.train_losses[0]:.3f} -> "
            f"{res.train_losses[-1]:.3f})."
        )
    cmp = res.comparison
    if cmp is not None:
        what = "accuracy" if res.spec.task == "classification" else "exact match"
        out.append(
            f"On the {res.n_val} held-out rows, {what} went from {cmp.base_accuracy:.0%} "
            f"(adapter off) to {cmp.adapter_accuracy:.0%} (adapter on), loss from "
            f"{cmp.base_loss:.3f} to {cmp.adapter_loss:.3f}."
        )
    if outcome is not None and outcome.forgetting is not None:
        out.append(outcome.forgetting.verdict_text)
    return out


def notice_and_predict(
    spec: LoraConfigSpec, params: lora.ParamCount, labels, outcome: LoraOutcome | None = None
) -> None:
    """The "what to notice" box (the finished run's own numbers first) and a question
    answered by peft on the spot."""
    what_to_notice(
        [
            *run_notices(outcome),
            f"With these settings {params.percent:.2f}% of the weights train "
            f"({params.trainable:,} of {params.total:,}); the frozen rest needs no gradients "
            "and no optimizer state, hence the memory gap with full fine-tuning.",
            "Watch validation loss, not only training loss: when it stops falling, more epochs "
            "only memorise the training rows.",
            "Push the learning rate to 10 or 100: the loss jumps instead of falling. A loss that "
            "turns NaN or explodes stops the run; a milder one shows in the forgetting check.",
            "Every 'base' figure is the same model with its adapter switched off: the base "
            "weights never change, which is why one base can serve many adapters.",
        ]
    )
    doubled_r = min(R_MAX, 2 * spec.r)

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
def loss_figure(snap: LoraProgress | LoraRunResult) -> go.Figure:
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


def current_job() -> Job | None:
    return st.session_state.get(JOB)


def job_busy() -> bool:
    """Whether this session's run is waiting or training."""
    job = current_job()
    return job is not None and not job.snapshot().finished


def queued_panel(job: Job, status: JobStatus) -> None:
    """A waiting run: its place in line, and Stop that takes it out of the line at once."""
    place = status.place
    where = place.describe() if place is not None else "Starting..."
    st.info(f"Your run is waiting for a free training slot: {where}", icon=":material/schedule:")
    c = st.columns([1, 1, 1.2])
    c[0].metric("Place in line", place.place if place else "-")
    c[1].metric("Waiting for", fmt_secs(status.waited))
    c[2].button(
        "Stop (leave the queue)",
        key="lora_stop",
        icon=":material/stop_circle:",
        on_click=job.stop,
        help="Takes your run out of the line now; nothing is trained or saved",
    )


def running_panel(job: Job, status: JobStatus) -> None:
    """A training run: progress, pace and Stop (which keeps what was learned)."""
    p: LoraProgress | None = status.progress
    step, total = (p.step, p.total_steps) if p is not None else (0, 0)
    st.progress(p.fraction if p else 0.0, text=f"{status.message} - step {step} of {total or '?'}")
    c = st.columns([1, 1, 1, 1, 1.2])
    c[0].metric("Step", f"{step} / {total or '?'}")
    c[1].metric("Steps per second", f"{p.steps_per_s:.2f}" if p else "-")
    c[2].metric("Elapsed", fmt_secs(status.elapsed))
    c[3].metric("Remaining", fmt_secs(p.remaining if p else None))
    c[4].button(
        "Stop training",
        key="lora_stop",
        icon=":material/stop_circle:",
        on_click=job.stop,
        disabled=job.stop_requested,
        help="Stops after the current step and keeps what was learned",
    )
    if p is not None and p.train_losses:
        st.plotly_chart(loss_figure(p), width="stretch", key="lora_live_loss")


def job_panel() -> None:
    """This session's run while it waits or trains; polls every second (other sessions and the
    rest of this page stay responsive: the training runs in its own thread)."""
    poll(current_job(), queued_panel, running_panel)


# --- after the run -----------------------------------------------------------------------------
def show_result(status: JobStatus) -> None:
    """Outcome, base vs adapter, forgetting, merge-and-compare and a try-it box."""
    if status.state == "error":
        st.error(f"The run failed: {status.message}", icon=":material/error:")
        return
    if status.state == "cancelled":
        st.info(
            "Your run left the queue before it started: nothing was trained or saved.",
            icon=":material/cancel:",
        )
        return
    outcome: LoraOutcome | None = status.result
    res = outcome.run if outcome is not None else None
    if res is None:
        st.info(status.message, icon=":material/stop_circle:")
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
    curve = val_loss_diagnosis(res)
    if curve.warning:
        st.warning(curve.message, icon=":material/trending_up:")
    saved = outcome.saved if outcome is not None else None
    if saved is not None:
        st.caption(f"Adapter saved with save_pretrained as run `{saved.name}` in `{saved.path}`")
        if outcome is not None and outcome.asked_name and saved.name != outcome.asked_name:
            st.warning(
                f"Saved as `{saved.name}`: `{outcome.asked_name}` was taken meanwhile by another "
                "run, which was left untouched."
            )
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
    classroom.share_result(
        "lora_result",
        f"The adapter's held-out {what}",
        cmp.adapter_accuracy,
        f"{cmp.adapter_accuracy:.0%}",
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
    show_forgetting(outcome.forgetting if outcome is not None else None)
    show_merge(res)
    st.subheader("Try it")
    try_it(res.model, res.tokenizer, res.spec, res.labels, cmp.inputs[0], "lora_try")


VERDICT_BOX = {
    "forgot a lot": st.warning,
    "forgot a little": st.info,
    "nothing measurable": st.success,
    "got better": st.success,
}


def show_forgetting(check: lora.ForgettingCheck | None) -> None:
    if check is None:
        return
    st.subheader("Did it forget? The base model's own skill, before and after")
    c = st.columns(3)
    fmt = (lambda v: f"{v:.0%}") if check.higher_is_better else (lambda v: f"{v:.2f}")
    c[0].metric(f"Before: {check.metric}", fmt(check.base))
    rise = -check.worse if check.higher_is_better else check.worse  # the metric's own change
    unit = " points" if check.higher_is_better else "%"
    noise = check.verdict == "nothing measurable"
    c[1].metric(
        "After (adapter on)",
        fmt(check.adapter),
        f"{rise:+.1f}{unit}" + (" (noise)" if noise else ""),
        delta_color="off" if noise else "normal" if check.higher_is_better else "inverse",
    )
    for k, v in check.extra.items():
        c[2].metric(k, f"{v:.4f}")
    VERDICT_BOX[check.verdict](check.verdict_text, icon=":material/psychology:")
    st.caption(f"{check.explanation} Measured on {check.n_items} held-out items.")


def show_merge(res: LoraRunResult) -> None:
    st.subheader("Merge the adapter into the weights")
    st.caption(
        "merge_and_unload folds B @ A x alpha/r into each target weight (on a copy): "
        "no extra layers at inference, and the outputs should not change."
    )
    if st.button("Merge a copy and compare", key="lora_merge_btn", icon=":material/merge:"):
        with st.spinner("Merging a copy and timing both, several times each..."):
            inputs = list(res.comparison.inputs[:16]) if res.comparison else []
            st.session_state[MERGE] = (
                id(res),
                lora.merge_check(
                    res.model, res.tokenizer, res.spec.task, inputs, res.spec.max_length
                ),
            )
    stored = st.session_state.get(MERGE)
    if not stored or stored[0] != id(res):
        return
    m: lora.MergeCheck = stored[1]
    a, b = m.adapter_times, m.merged_times
    n = len(a.samples_ms)
    c = st.columns(4)
    c[0].metric("Largest logit difference", f"{m.max_abs_diff:.1e}")
    c[1].metric("Same outputs", "yes" if m.same_outputs else "NO", help=f"{m.n_inputs} inputs")
    c[2].metric("Parameters", f"{m.params_merged:,}", f"{m.params_merged - m.params_adapter:,}")
    noise = m.speed_verdict == "noise"
    c[3].metric(
        f"Forward pass, median of {n}",
        f"{m.ms_merged:.1f} ms",
        "noise" if noise else f"{m.ms_difference:+.1f} ms",
        delta_color="off" if noise else "inverse",
        help=f"with the adapter apart: median {m.ms_adapter:.1f} ms",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "forward pass": label,
                    "median (ms)": round(t.median, 2),
                    "middle half, IQR (ms)": f"{t.q1:.2f} - {t.q3:.2f}",
                    "fastest - slowest (ms)": f"{t.lo:.2f} - {t.hi:.2f}",
                }
                for label, t in (("adapter apart", a), ("merged", b))
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    verdict = {
        "noise": "within that spread, so it is noise: merging neither slows nor speeds this "
        "model measurably here",
        "faster": "beyond that spread: the merged model is measurably faster (no extra "
        "low-rank matmuls)",
        "slower": "beyond that spread: the merged model measured slower on this run",
    }[m.speed_verdict]
    st.caption(
        f"{n} alternating timings of each, after a warm-up. The medians differ by "
        f"{m.ms_difference:+.2f} ms; the larger middle-half spread is {m.noise_ms:.2f} ms: "
        f"{verdict}."
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


OTHERS = "from another session"


def saved_runs_panel() -> None:
    """Saved adapters, this session's first, the others' marked; reloadable onto a fresh base."""
    owner = session_owner()
    runs = lora.list_runs(owner=owner)
    mine = sum(r.mine(owner) for r in runs)
    with st.expander(f"Saved adapters ({len(runs)})", icon=":material/folder_open:"):
        if not runs:
            st.caption("None yet: a finished run saves its adapter here.")
            return
        st.caption(
            f"{mine} saved by you in this browser session, listed first; "
            f"{len(runs) - mine} {OTHERS} (other learners, or before a reload)."
        )
        rows = [
            {
                "name": r.name,
                "whose": "yours" if r.mine(owner) else OTHERS,
                "model": r.meta["spec"]["model"],
                "r": r.meta["spec"]["r"],
                "dataset": r.meta.get("dataset"),
                "steps": r.meta.get("steps_done"),
                "held-out accuracy": r.meta.get("adapter_accuracy"),
                "saved": r.saved_at,
            }
            for r in runs
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        whose = {r.name: r.mine(owner) for r in runs}
        name = st.selectbox(
            "Adapter",
            [r.name for r in runs],
            key="lora_saved_pick",
            format_func=lambda n: n if whose.get(n) else f"{n} ({OTHERS})",
        )
        if st.button("Reload from disk", key="lora_reload", icon=":material/upload:"):
            try:
                with st.spinner("Loading a fresh base model and the adapter..."):
                    st.session_state[LOADED] = lora.load_run(name)
            except (ValueError, OSError, models.ModelUnavailableError) as e:
                st.error(f"Could not reload {name!r}: {e}")
        loaded = st.session_state.get(LOADED)
        if loaded:
            run, model, tok = loaded
            spec = lora.spec_of(run)
            st.caption(f"Reloaded `{run.name}` ({spec.model}, {spec.task}) from `{run.path}`")
            example = (
                "The food was cold, and the staff were rude."
                if spec.task == "classification"
                else "capital of Japan =>"
            )
            try_it(model, tok, spec, tuple(run.meta.get("labels", ())), example, "lora_try_saved")
