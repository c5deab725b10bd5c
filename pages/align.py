"""Align the model: preference pairs, a reward model, best-of-n and DPO with a KL leash."""

from __future__ import annotations

import streamlit as st

from core import align, models
from core.align import DPOConfig, PreferenceConfig, RewardConfig
from core.knobs import spec
from ui import align_results as results
from ui import align_view as view
from ui import knobs
from ui.render import page_header
from ui.urlstate import sync_url, url_state

page_header(
    "Align the model",
    "Turn preferences into pairs, train a reward model, then pull the model toward what people "
    "prefer, on a KL leash to where it started.",
)
url_state(
    {
        "align_model": "tiny-gpt",
        "align_source": "shipped",
        "align_train_n": spec(PreferenceConfig, "n_train"),
        "align_seed": spec(PreferenceConfig, "seed"),
        "align_n": spec(align.BestOfNConfig, "n"),
        **{key: spec(DPOConfig, name) for name, key in view.DPO_KEYS.items()},
    },
    choices={
        "align_model": view.POLICY_MODELS,
        "align_source": ["shipped", "upload"],
        "align_lr": view.LRS,
    },
    # the sliders' stops inside the knobs' ranges
    bounds={"align_train_n": view.TRAIN_N_RANGE, "align_beta": view.BETA_RANGE},
)

# --- 1. preferences ------------------------------------------------------------------------------
st.header("1. Preferences")
c1, c2 = st.columns([1, 2])
source = c1.radio(
    "Training pairs",
    ["shipped", "upload"],
    key="align_source",
    horizontal=True,
    format_func={"shipped": "shipped (corpus grammar)", "upload": "your file"}.get,
)
knobs.slider(
    PreferenceConfig,
    "n_train",
    key="align_train_n",
    label="Shipped training pairs",
    where=c1,
    min_value=view.TRAIN_N_RANGE[0],
    max_value=view.TRAIN_N_RANGE[1],
    step=30,
)
knobs.number_input(PreferenceConfig, "seed", key="align_seed", label="Seed", where=c1)
base = view.shipped_pairs(st.session_state["align_train_n"], 60, st.session_state["align_seed"])
view.upload_panel(source, c1)
data = view.training_set(base)
with c2:
    view.show_training_set(data)
with st.expander("Rank the model's own completions", icon=":material/format_list_numbered:"):
    view.ranking_panel()

# --- 2. reward model -----------------------------------------------------------------------------
st.header("2. Reward model")
st.caption(
    "tiny-gpt with a scalar head reads prompt + completion; trained on pairs as "
    "P(chosen better) = sigmoid(r_chosen - r_rejected), TRL RewardTrainer's loss."
)
view.start_button(
    "Train the reward model", "align_rm_go", lambda: view.start_reward(RewardConfig(), data)
)
view.job_panel(view.REWARD_JOB, "reward model")
rm = view.finished(view.REWARD_JOB)
if rm is not None:
    results.reward_result(rm)

# --- 3. policy tuning ----------------------------------------------------------------------------
st.header("3. Policy tuning with a KL leash")
st.subheader("Best-of-n, scored by the reward model")
if rm is None:
    st.caption("Train the reward model first: best-of-n needs a judge.")
else:
    results.best_of_n_panel(rm, data)
st.subheader("DPO on a LoRA adapter")
p1, p2, p3 = st.columns(3)
model = p1.selectbox(
    "Policy model",
    view.POLICY_MODELS,
    key="align_model",
    format_func=lambda n: models.MODELS[n].label,
)
knobs.slider(
    DPOConfig,
    "beta",
    key="align_beta",
    label="beta (the leash)",
    where=p2,
    min_value=view.BETA_RANGE[0],
    max_value=view.BETA_RANGE[1],
    format="%.3f",
)
p2.button(
    "No leash (beta 0.001)",
    key="align_noleash",
    on_click=lambda: st.session_state.update(align_beta=view.NO_LEASH_BETA),
)
knobs.select_slider(DPOConfig, "lr", view.LRS, key="align_lr", where=p3, format_func="{:g}".format)
knobs.slider(DPOConfig, "epochs", key="align_epochs", label="Epochs", where=p3)
try:
    view.check_model(model)
    config = DPOConfig(model=model, **{f: st.session_state[k] for f, k in view.DPO_KEYS.items()})
except models.ModelUnavailableError as e:
    st.error(str(e), icon=":material/cloud_off:")
    st.stop()
except ValueError as e:
    st.error(f"Cannot train with these settings: {e}", icon=":material/error:")
    st.stop()
view.show_policy_size(config)
r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
name = r1.text_input(
    "Save the adapter as (letters, digits, _ and -)",
    key="align_name",
    max_chars=64,
    placeholder="automatic",
)
judge = None if rm is None else (rm.model, rm.tokenizer)
view.start_button(
    "Start DPO", "align_dpo_go", lambda: view.start_dpo(config, data, judge, name), r2, "stretch"
)
view.job_panel(view.DPO_JOB, "DPO run")
out = view.finished(view.DPO_JOB)

# --- 4. before / after ---------------------------------------------------------------------------
st.header("4. Before / after")
if out is None:
    st.caption("A finished DPO run answers held-out prompts next to the reference here.")
else:
    results.dpo_result(out)
results.saved_runs_panel()
results.recipe_card(out)
results.notice_and_predict(config, data, out, rm)
sync_url()
