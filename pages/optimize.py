"""Optimize: distillation and pruning beside quantization, measured in one table."""

from __future__ import annotations

import streamlit as st

from core import models
from core import optimize as opt
from core.distill import DistillConfig, StudentConfig
from core.knobs import spec
from core.prune import PruneConfig, RecoverConfig
from ui import jobs, knobs
from ui import optimize_view as view
from ui.loaders import get_model
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import sync_url, url_state

page_header(
    "Optimize: distil, prune, quantize",
    "Three ways to make a model cheaper: train a smaller student on the teacher's soft targets, "
    "remove the weights that matter least, or store the weights in fewer bits. Each is run and "
    "measured here, then all of them side by side in one table.",
)
NAMES = view.teacher_options()
sidebar_lm = active_model("causal-lm")
url_state(
    {
        "opt_teacher": sidebar_lm if sidebar_lm in NAMES else "tiny-gpt",
        "opt_layers": spec(StudentConfig, "n_layer"),
        "opt_heads": spec(StudentConfig, "n_head"),
        "opt_width": spec(StudentConfig, "n_embd"),
        "opt_temperature": spec(DistillConfig, "temperature"),
        "opt_alpha": spec(DistillConfig, "alpha"),
        "opt_steps": spec(DistillConfig, "steps"),
        "opt_prompt": "The cat says",
        "opt_method": spec(PruneConfig, "method"),
        "opt_sparsity": spec(PruneConfig, "sparsity"),
        "opt_targets": spec(PruneConfig, "targets"),
        "opt_sweep": [0.2, 0.4, 0.6, 0.8],
        "opt_recover_steps": spec(RecoverConfig, "steps"),
        "opt_candidates": list(opt.DEFAULT_CANDIDATES),
        "opt_cost": "disk_bytes",
        "opt_quality": "kl",
    },
    choices={
        "opt_teacher": NAMES,
        "opt_sweep": list(view.SPARSITIES),
        "opt_candidates": list(opt.CANDIDATE_NAMES),
        "opt_cost": list(opt.COSTS),
        "opt_quality": list(opt.QUALITIES),
    },
    bounds={"opt_steps": (10, 2000)},
)

name = st.selectbox(
    "Model to optimize (the teacher)",
    NAMES,
    key="opt_teacher",
    format_func=lambda n: models.MODELS[n].label if n in models.MODELS else n,
)
loaded = get_model(name)  # a clear message and stop when a hub model is offline
tab_d, tab_p, tab_all = st.tabs(["1. Distillation", "2. Pruning", "3. All three, one table"])

# --- distillation --------------------------------------------------------------------------------
with tab_d:
    st.markdown(
        "A smaller **student** learns from the frozen **teacher**: its loss is "
        "`alpha * T² * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(labels)`. "
        "Beside it, the *same* student (same start, same batches, same steps) trains on the "
        "hard labels only, so you see what the soft targets add."
    )
    st.text_input(
        "Prompt for the teacher's softened next-token distribution", key="opt_prompt", max_chars=200
    )
    view.dark_knowledge(name, st.session_state.opt_prompt)
    c = st.columns(3)
    knobs.slider(StudentConfig, "n_layer", key="opt_layers", where=c[0], label="Student layers")
    knobs.slider(StudentConfig, "n_head", key="opt_heads", where=c[1], label="Student heads")
    knobs.slider(StudentConfig, "n_embd", key="opt_width", where=c[2], label="Student width")
    c = st.columns(3)
    knobs.slider(DistillConfig, "temperature", key="opt_temperature", where=c[0], label="T")
    knobs.slider(DistillConfig, "alpha", key="opt_alpha", where=c[1], label="alpha")
    knobs.slider(DistillConfig, "steps", key="opt_steps", where=c[2], min_value=10, max_value=2000)
    distill_config = None
    try:
        student = view.student_from_state()
        if view.show_student_size(loaded.model, student):
            distill_config = view.distill_from_state()
    except ValueError as e:
        st.error(f"These settings cannot train: {e}.", icon=":material/error:")
    status = jobs.start_and_poll(
        view.DISTILL_JOB,
        label="Train both students",
        button_key="opt_distill_start",
        make=lambda owner, alive, grace: opt.distill_job(
            loaded, distill_config, owner=owner, owner_alive=alive, grace_s=grace
        ),
        disabled=distill_config is None,
        running=view.distill_running,
        on_submit=lambda: st.session_state.update({view.DISTILL_TEACHER: name}),
    )
    distilled = view.distill_result(status) if status is not None else None

# --- pruning -------------------------------------------------------------------------------------
with tab_p:
    st.markdown(
        "**Unstructured** pruning zeroes the smallest-magnitude weights (`torch.nn.utils.prune`: "
        "over all matrices together, *global*, or the same share of each, *per layer*). "
        "**Structured** pruning removes whole attention heads or MLP neurons, so the matrices get "
        "smaller. They are ranked from the weights alone: a head by the norm of what it can write "
        "into the residual stream, a neuron by how strongly it reads times how strongly it "
        "writes. The slicing is the project's own few lines of torch (transformers 5 dropped "
        "GPT-2's `prune_heads`; torch-pruning would trace the graph to do what two index_select "
        "calls per layer do here). The *table* tab adds a short recovery fine-tune after pruning."
    )
    c = st.columns(3)
    knobs.select(PruneConfig, "method", key="opt_method", where=c[0], label="Method")
    knobs.slider(PruneConfig, "sparsity", key="opt_sparsity", where=c[1], label="Sparsity")
    knobs.select(PruneConfig, "targets", key="opt_targets", where=c[2], label="Targets")
    st.multiselect(
        "Sweep points (sparsities measured)",
        list(view.SPARSITIES),
        key="opt_sweep",
        format_func=lambda s: f"{s:.0%}",
    )
    prune_config = None
    try:
        prune_config = view.prune_from_state()
    except ValueError as e:
        st.error(f"These settings cannot prune: {e}.", icon=":material/error:")
    if not st.session_state.opt_sweep:
        st.info("Pick at least one sweep point.", icon=":material/info:")
    points = sorted(st.session_state.opt_sweep)
    status = jobs.start_and_poll(
        view.SWEEP_JOB,
        label="Run the sweep",
        button_key="opt_sweep_start",
        make=lambda owner, alive, grace: opt.sweep_job(
            loaded, prune_config, points, view.SWEEP, owner=owner, owner_alive=alive, grace_s=grace
        ),
        disabled=prune_config is None or not points,
        running=view.sweep_running,
    )
    swept = view.sweep_result(status) if status is not None else None

# --- the one table -------------------------------------------------------------------------------
with tab_all:
    st.markdown(
        "Every candidate built from the same model and measured now by the same evaluation. "
        "The pruned rows use the method and sparsity of the Pruning tab; the distilled rows use "
        "your finished distillation run (or train the default student first)."
    )
    c = st.columns([2, 1])
    c[0].multiselect(
        "Candidates",
        list(opt.CANDIDATE_NAMES),
        key="opt_candidates",
        format_func=view.CANDIDATE_LABELS.get,
    )
    knobs.slider(
        RecoverConfig, "steps", key="opt_recover_steps", where=c[1], label="Recovery steps"
    )
    c = st.columns(2)
    c[0].selectbox("Pareto: cost", list(opt.COSTS), key="opt_cost", format_func=opt.COSTS.get)
    c[1].selectbox(
        "Pareto: quality", list(opt.QUALITIES), key="opt_quality", format_func=opt.QUALITIES.get
    )
    table_config = None
    if prune_config is not None:
        try:
            table_config = view.compare_from_state(prune_config)
        except ValueError as e:
            st.error(f"These settings cannot run: {e}.", icon=":material/error:")
    student = None
    if distilled is not None and st.session_state.get(view.DISTILL_TEACHER) == name:
        student = distilled.student_model
    status = jobs.start_and_poll(
        view.COMPARE_JOB,
        label="Measure every candidate",
        button_key="opt_compare_start",
        make=lambda owner, alive, grace: opt.compare_job(
            loaded, table_config, student=student, owner=owner, owner_alive=alive, grace_s=grace
        ),
        disabled=table_config is None,
        running=view.compare_running,
    )
    table = None
    if status is not None:
        table = view.compare_result(status, st.session_state.opt_cost, st.session_state.opt_quality)

predict_then_reveal(
    "opt_predict",
    f"Set half of **{name}**'s block weights to zero (unstructured pruning) and save it: how big "
    "is the file next to the original's?",
    view.RATIO_OPTIONS,
    lambda: view.reveal_zeros(name),
)
what_to_notice(view.notice_points(distilled, swept, table))
sync_url()
