"""Prompt-shot comparison: zero-, one- and few-shot prompts scored on held-out items."""

from __future__ import annotations

import streamlit as st

from core import models
from core.prompting import (
    SHIPPED_TASKS,
    SWEEP_KS,
    build_prompt,
    context_window,
    diff_prompts,
    load_task,
    parse_custom_task,
)
from core.settings import get_settings
from ui import prompting_view as view
from ui.loaders import cached_model
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import left_out_caption, sync_url, url_state

TASKS = {name: load_task(name).title for name in SHIPPED_TASKS} | {"custom": "Your own examples"}
MODELS = [s.name for s in models.list_models("causal-lm")]
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
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
c1.selectbox("Task", list(TASKS), key="prompting_task", format_func=TASKS.get)
c2.selectbox(
    "Model",
    model_opts,
    key="prompting_model",
    help="Defaults to the sidebar's generator. Hub models need a network.",
)
c3.slider("Few-shot k", 1, 8, key="prompting_k", help="Shots in the few-shot prompt.")
c4.number_input(
    "Shot seed",
    0,
    999,
    key="prompting_seed",
    help="Which examples become shots and in which order (0: file order).",
)
c1.toggle("Put the task's instruction first", key="prompting_instruction")
c2.toggle("Also score by generation", key="prompting_generate")
c3.slider(
    "Shot draws for error bars",
    1,
    8,
    key="prompting_draws",
    help="The sweep re-draws shot choice and order with this many seeds.",
)

if st.session_state["prompting_task"] == "custom":
    st.text_area(
        "One example per line: `input => output` (the first half become shots, the "
        "rest are scored; every distinct output is an answer choice)",
        key="prompting_custom",
        height=180,
    )
    left_out_caption("prompting_custom", "list of examples")
    st.text_input("Instruction (optional)", key="prompting_custom_instruction")
    typed = st.session_state["prompting_custom"][: get_settings().max_chars]
    parsed = parse_custom_task(typed, instruction=st.session_state["prompting_custom_instruction"])
    for err in parsed.errors:
        st.warning(err, icon=":material/warning:")
    if parsed.task is None:
        sync_url()
        st.stop()
    task = parsed.task
else:
    task = load_task(st.session_state["prompting_task"])

name = st.session_state["prompting_model"]
try:
    lm = cached_model(name)
except models.ModelUnavailableError as e:
    st.error(str(e), icon=":material/cloud_off:")
    sync_url()
    st.stop()

k, seed, instruction = (st.session_state[f"prompting_{x}"] for x in ("k", "seed", "instruction"))
gen = st.session_state["prompting_generate"]
k_few = min(k, len(task.examples))
variants = {"zero-shot": 0, "one-shot": min(1, k_few), "few-shot": k_few}
n_ctx = context_window(lm.model)
if k > k_few:
    st.info(
        f"Few-shot k = {k}, but this task has {k_few} example{'s' * (k_few != 1)} to draw "
        f"shots from: the few-shot prompt uses {k_few}.",
        icon=":material/info:",
    )

st.subheader("1. The prompts", divider="gray")
st.caption(
    "Shots are coloured (hover for the example number), the held-out question is bold; "
    "each answer choice is scored right after it. Shown for held-out item #1."
)
prompts = {
    lab: build_prompt(
        task, kk, seed, instruction=instruction, tokenizer=lm.tokenizer, max_tokens=n_ctx
    )
    for lab, kk in variants.items()
}
for col, (lab, p) in zip(st.columns(3), prompts.items(), strict=True):
    with col:
        view.show_prompt(f"{lab} (k = {p.k})", p)
with st.expander("What changed between two prompts (line diff)"):
    st.multiselect("Compare two variants", list(variants), key="prompting_diff", max_selections=2)
    pick = [p for p in st.session_state["prompting_diff"] if p in prompts]
    if len(pick) == 2:
        st.html(view.diff_html(diff_prompts(prompts[pick[0]], prompts[pick[1]])))
    else:
        st.caption("Pick two variants to see their line diff.")


def _variant_runs():
    res = view.evaluate(
        task,
        lm,
        tuple(sorted(set(variants.values()))),
        (seed,),
        instruction,
        gen,
        label="Scoring the three prompts",
    )
    return res, {lab: res.run(kk, seed) for lab, kk in variants.items()}


def _reveal() -> tuple[str, str]:
    runs = _variant_runs()[1]
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

st.subheader("2. Accuracy on the held-out items", divider="gray")
vres, runs = _variant_runs()
for col, (lab, run) in zip(st.columns(3), runs.items(), strict=True):
    vs = None if lab == "zero-shot" else view.versus_zero(run, runs["zero-shot"])
    col.metric(
        f"{lab} accuracy",
        f"{run.accuracy:.0%}",
        delta=None if vs is None else vs.text,
        delta_color="normal" if vs is None or vs.real else "off",
        delta_arrow="auto" if vs is None or vs.real else "off",
        help=f"{len(run.items)} items; mean probability on the gold answer "
        f"{run.mean_gold_prob:.0%}. A difference is called noise when McNemar's exact test on "
        f"the items only one prompt gets right gives p >= {view.ALPHA}.",
    )
for note in vres.notes:
    st.info(note, icon=":material/info:")
if gen:
    st.caption(
        "Greedy generation exact match: "
        + ", ".join(f"{lab} {r.exact_match:.0%}" for lab, r in runs.items())
    )
df = view.item_table(task, vres, variants, seed)
if st.toggle("Only items where the variants disagree", key="prompting_only_diff"):
    df = df[df[list(variants)].nunique(axis=1) > 1]
st.dataframe(
    df,
    hide_index=True,
    width="stretch",
    height=280,
    column_config={
        f"{lab} conf.": st.column_config.ProgressColumn(
            f"{lab} conf.", min_value=0, max_value=1, format="percent"
        )
        for lab in variants
    },
)

st.subheader("3. The k-shot sweep", divider="gray")
seeds = tuple(range(seed, seed + st.session_state["prompting_draws"]))
n_choices = sum(len(task.choices_for(i)) for i in task.items) / len(task.items)
slot = st.empty()  # the chart and its caption: partial while the sweep is scored, then final


def _chart(res, caption: str) -> None:
    with slot.container():
        st.plotly_chart(view.sweep_figure(res, 1 / n_choices, k_few), width="stretch")
        st.caption(caption)


def _partial(res) -> None:
    _chart(res, f"Scored so far: k = {', '.join(map(str, res.ks))}; the next k is on its way.")


res = view.evaluate(
    task,
    lm,
    tuple(sorted({*SWEEP_KS, k})),
    seeds,
    instruction,
    False,
    label="Scoring the sweep",
    on_partial=_partial,
)
_chart(
    res,
    f"Dots: each shot draw (seeds {seeds[0]}-{seeds[-1]}); bars: ± one standard deviation. "
    "Red bars: some prompts at that k overflow the context window.",
)
for note in res.notes:
    st.info(note, icon=":material/info:")

card = get_settings().assets_dir / "tasks" / f"{task.name}.md"
if card.exists():
    with st.expander("Task card: what tiny-gpt measured on this task"):
        st.markdown(card.read_text(encoding="utf-8"))

what_to_notice(view.notice_points(task, runs, res, k_few, instruction))
sync_url()
