"""LoRA fine-tune runner: train a low-rank adapter on a real model, live, and measure the change."""

from __future__ import annotations

import streamlit as st

from core import lora, models
from ui import lora_view as view
from ui.render import page_header
from ui.sidebar import active_model
from ui.urlstate import sync_url, url_state

page_header(
    "LoRA fine-tune runner",
    "Freeze the model, train two small matrices per layer instead, and measure what changed.",
)
first = lora.RECIPES.get(st.query_params.get("lora_recipe", ""), lora.RECIPES["sentiment"])
url_state(
    {
        "lora_recipe": first.key,
        "lora_model": first.model,
        "lora_targets": list(first.targets),
        **view.url_knobs(first),  # LoraConfigSpec's ranges, the recipe's settings
    },
    choices={
        "lora_recipe": [*lora.RECIPES, "upload"],
        "lora_lr": view.LRS,
        "lora_batch": view.BATCHES,
        "lora_maxlen": view.LENGTHS,
    },
    bounds={"lora_val": (view.MIN_VAL_SHARE, 1.0)},  # the form's floor inside the spec's range
)

# --- data ------------------------------------------------------------------------------------
c1, c2 = st.columns([1.3, 1])
recipe_key = c1.selectbox(
    "Recipe",
    [*lora.RECIPES, "upload"],
    key="lora_recipe",
    on_change=view.apply_recipe,
    format_func=lambda k: lora.RECIPES[k].title if k in lora.RECIPES else view.UPLOAD,
)
dataset = None
if recipe_key in lora.RECIPES:
    c1.caption(lora.RECIPES[recipe_key].blurb)
    dataset = view.recipe_dataset(recipe_key)
else:
    up = c1.file_uploader(
        "CSV or JSONL: columns text,label (classifier) or prompt,completion (new format)",
        type=["csv", "jsonl", "json"],
        key="lora_upload",
    )
    if up is None:
        c1.info("Upload a small file (8 to 5,000 rows) to train on your own data.")
    else:
        try:
            dataset = lora.parse_dataset(up.getvalue(), up.name)
        except lora.DatasetError as e:
            c1.error(str(e), icon=":material/error:")
task = dataset.task if dataset else "classification"
options = view.model_options(task)
if st.session_state.get("lora_model") not in options:  # default: the sidebar's active model
    st.session_state["lora_model"] = active_model(view.KIND[task])  # type: ignore[arg-type]
    if st.session_state["lora_model"] not in options:
        st.session_state["lora_model"] = options[0]
model = c2.selectbox(
    "Base model", options, key="lora_model", format_func=lambda n: models.MODELS[n].label
)
if dataset is not None:
    with c2:
        view.show_dataset(dataset)

# --- settings --------------------------------------------------------------------------------
try:
    choices = view.module_choices(model, task)
except models.ModelUnavailableError as e:
    st.error(str(e), icon=":material/cloud_off:")
    st.stop()
kept = [t for t in st.session_state["lora_targets"] if t in choices]
if st.session_state["lora_targets"] and not kept:  # targets of another model: use this one's
    recipe = lora.RECIPES.get(recipe_key)
    kept = [t for t in (recipe.targets if recipe else ()) if t in choices] or choices[:1]
st.session_state["lora_targets"] = kept
view.settings_panel(choices)
labels = dataset.labels if dataset else ("a", "b")
spec = params = None
try:
    spec = view.spec_from_state(model, task)
    params = view.param_count(spec, labels)
    view.show_budget(params)
except ValueError as e:
    spec = None
    st.error(f"Cannot train with these settings: {e}", icon=":material/error:")

# --- run -------------------------------------------------------------------------------------
r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
name = r1.text_input(
    "Save the adapter as (letters, digits, _ and -)",
    key="lora_name",
    placeholder="automatic: model-r8-date-time",
    max_chars=64,
)
start = r2.button(
    "Start training",
    type="primary",
    icon=":material/play_arrow:",
    disabled=view.job_busy() or spec is None or dataset is None,
    width="stretch",
)
if start and spec is not None and dataset is not None:
    problem = view.start_run(spec, dataset, name)
    if problem is None:
        st.rerun()
    st.error(problem, icon=":material/error:")
    if "lora_name_suggestion" in st.session_state:
        st.button("Use the suggested name", key="lora_use_suggestion", on_click=view.use_suggestion)
view.job_panel()
job = view.current_job()
status = job.snapshot() if job is not None else None
if status is not None and status.finished:
    view.show_result(status)
view.saved_runs_panel()

if spec is not None and params is not None:
    outcome = status.result if status is not None and status.state == "done" else None
    view.notice_and_predict(spec, params, labels, outcome)
sync_url()
