"""Render helpers of the Sampling sliders page: cached forward pass, the bar chart, coloured tokens,
the alternatives picker and the compare panel. The page stays a thin top-to-bottom script."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import corpus, models
from core import generation as gen
from core import sampling as smp
from core.knobs import Knob, spec
from core.serving import MAX_LOGPROBS
from core.serving import backend as be
from ui import knobs
from ui.backend import answered_by
from ui.loaders import get_model
from ui.outputs import publish
from ui.render import md_code
from ui.urlstate import stable_key, stable_selectbox, sync_url

EXAMPLES = {
    "Story": "Once upon a time, there was a little cat named",
    "Fact": "The capital of France is",
    "Q&A": "Q: What is the opposite of hot?\nA:",
    "Sentiment": "Review: The food was delicious, and the staff were kind.\nSentiment:",
    "Translation": "Translate English to French.\ncat => chat\ndog => chien\nbread =>",
}
DEFAULT_PROMPT = EXAMPLES["Story"]
# A seq2seq model's prompt is its encoder's source, in the task formats tiny-t5 learnt
SEQ2SEQ_EXAMPLES = {
    "Translate (seq2seq)": corpus.translate_source("cat dog", "French"),
    "Question (seq2seq)": corpus.context_source(
        "Zoe's best friend is Max. Zoe has a red shoe. Zoe lives in Lima.",
        "Where does Zoe live?",
    ),
    "Summarize (seq2seq)": corpus.summarize_source(
        "One day, a small duck called Mia went to the park. Mia found a white kite. "
        "Mia showed the kite to Tim. They played all day and felt calm."
    ),
    "Sentiment (seq2seq)": corpus.sentiment_source(
        "The food was delicious and the staff were kind."
    ),
}
SEQ2SEQ_DEFAULT = SEQ2SEQ_EXAMPLES["Translate (seq2seq)"]
SEQ2SEQ_NOTICE = (
    "An encoder-decoder never continues its source: its decoder starts from its own start "
    "token, and the repetition penalty looks only at the output written so far (as "
    "transformers' generate does), not at the source."
)
STEPS, STEPS_FOR, ACTION = "sampling_steps", "sampling_steps_for", "sampling_action"
CMP_FOR = "sampling_cmp_for"  # (config, n) the compare panel generates with
CMP_TEMPS = [0.0, 0.3, 0.5, 0.7, 1.0, 1.3, 1.5, 2.0]
CMP_SEEDS = list(range(10))
CMP_MAX = 4  # columns at most
PICK, PICK_FOR = "sampling_pick_step", "sampling_pick_for"

STATUS_STYLE = {  # legend label, bar colour
    smp.KEPT: ("kept: can be drawn", "#1f6fb2"),
    smp.TOP_K: ("removed by top-k", "#9e9e9e"),
    smp.TOP_P: ("removed by top-p", "#bdbdbd"),
    smp.MIN_P: ("removed by min-p", "#dcdcdc"),
    smp.GREEDY: ("not the argmax (greedy)", "#cfcfcf"),
}


# the page's widget key (and URL parameter) of each SamplingConfig field
KEYS = {
    "temperature": "sampling_temperature",
    "top_k": "sampling_top_k",
    "top_p": "sampling_top_p",
    "min_p": "sampling_min_p",
    "repetition_penalty": "sampling_penalty",
    "seed": "sampling_seed",
}
CONTROLS = (  # (field, widget, label), numbered in the order the pipeline applies them
    ("repetition_penalty", knobs.slider, "① Repetition penalty (1 = off)"),
    ("temperature", knobs.slider, "② Temperature (0 = greedy)"),
    ("top_k", knobs.number_input, "③ Top-k (0 = off)"),
    ("top_p", knobs.slider, "④ Top-p (1 = off)"),
    ("min_p", knobs.slider, "⑤ Min-p (0 = off)"),
    ("seed", knobs.number_input, "⑥ Seed"),
)


def knob_defaults() -> dict[str, Knob]:
    """{widget key: knob} for ``url_state``: the link's values are bounded by the engine's own
    ranges (core.sampling.SamplingConfig), the widgets start at its defaults."""
    return {key: spec(smp.SamplingConfig, name) for name, key in KEYS.items()}


def set_action(action: str) -> None:
    """Button callback: remember what to do on this run (sample, generate, clear)."""
    st.session_state[ACTION] = action


def use_example() -> None:
    """Example picker callback: copy the example into the prompt box."""
    picked = st.session_state.get("sampling_example")
    if picked:
        st.session_state["sampling_prompt"] = {**EXAMPLES, **SEQ2SEQ_EXAMPLES}[picked]
        st.session_state["sampling_example"] = ""


def is_seq2seq(name: str) -> bool:
    """Whether the catalog lists ``name`` as an encoder-decoder (before it is loaded)."""
    return name in models.MODELS and models.MODELS[name].kind == "seq2seq"


def examples(seq2seq: bool) -> dict[str, str]:
    """The example prompts of a model family: a seq2seq model's are sources in its task formats."""
    return SEQ2SEQ_EXAMPLES if seq2seq else EXAMPLES


def default_prompt(seq2seq: bool) -> str:
    return SEQ2SEQ_DEFAULT if seq2seq else DEFAULT_PROMPT


def match_prompt_to_model() -> None:
    """A prompt still at one family's example becomes the chosen model's family default (a
    story is no source for tiny-t5, nor a task prefix a prompt for tiny-gpt); a prompt the
    learner typed stays."""
    ss = st.session_state
    seq2seq = is_seq2seq(ss.get("sampling_model", ""))
    if ss.get("sampling_prompt") in examples(not seq2seq).values():
        ss["sampling_prompt"] = default_prompt(seq2seq)


@st.cache_data(max_entries=512, show_spinner=False)
def cached_logits(
    model_name: str, ids: tuple[int, ...], decoder_prefix: tuple[int, ...] = ()
) -> np.ndarray:
    """One forward pass per (model, context); every slider move reuses it (a seq2seq model's
    context: its source ``ids`` and its decoder's ``decoder_prefix``)."""
    return gen.next_token_logits(get_model(model_name).model, ids, decoder_prefix=decoder_prefix)


def pipeline_controls() -> None:
    """The sliders, numbered in the order the pipeline applies them (transformers' order)."""
    with st.container(border=True):
        st.markdown("**The pipeline, in transformers' order**")
        st.caption(
            "① repetition penalty → ② temperature → ③ top-k → ④ top-p → ⑤ min-p → "
            "⑥ draw with the seed"
        )
        for name, widget, label in CONTROLS:  # range, step and help: the config's knobs
            widget(smp.SamplingConfig, name, key=KEYS[name], label=label)
        st.slider("Bars shown", 5, 50, key="sampling_n_top")


def compare_controls(cfg: smp.SamplingConfig) -> list[tuple[str, smp.SamplingConfig]]:
    """Pick what varies across the compare columns; the other settings come from the sliders."""
    by = st.segmented_control("Vary", ["temperature", "seed"], key="sampling_cmp_by")
    if by == "seed":
        seeds = st.multiselect("Seeds", CMP_SEEDS, key="sampling_cmp_seeds", max_selections=CMP_MAX)
        return [(f"seed {int(s)}", replace(cfg, seed=int(s))) for s in seeds]
    temps = st.multiselect(
        "Temperatures", CMP_TEMPS, key="sampling_cmp_temps", max_selections=CMP_MAX
    )
    return [(f"temperature {t:g}", replace(cfg, temperature=float(t))) for t in sorted(temps)]


def settings_text(cfg: smp.SamplingConfig, *, skip: str | None = None) -> str:
    """The settings the compare columns share, as the captions state them (``skip``: the one
    that varies across the columns)."""
    parts = {
        "temperature": f"temperature {cfg.temperature:g}",
        "top-k": f"top-k {cfg.top_k}",
        "top-p": f"top-p {cfg.top_p:g}",
        "min-p": f"min-p {cfg.min_p:g}",
        "penalty": f"penalty {cfg.repetition_penalty:g}",
        "seed": f"seed {cfg.seed}",
    }
    return ", ".join(v for k, v in parts.items() if k != skip)


def compare_stale_note(cfg: smp.SamplingConfig, n: int) -> None:
    """Under the sliders: say when the comparison below was generated with other settings (it
    reruns only on Refresh, so a slider step stays fast)."""
    snap = st.session_state.get(CMP_FOR)
    if snap is None or snap == (cfg, n):
        return
    old, old_n = snap
    st.caption(
        f"The comparison below was generated with {settings_text(old)}, {old_n} tokens; the "
        "sliders now differ: press **Refresh with the current sliders** to regenerate it.",
        help="The side-by-side runs are regenerated on demand so that a slider step stays fast.",
    )


def labels(tokenizer, ids: Sequence[int]) -> list[str]:
    """Readable, unique token labels (two ids that decode alike get their id appended)."""
    out, seen = [], set()
    for i in ids:
        lab = smp.token_label(tokenizer, int(i))
        if lab in seen:
            lab = f"{lab} #{int(i)}"
        seen.add(lab)
        out.append(lab)
    return out


def distribution_chart(result: smp.SamplingResult, tokenizer, n_top: int) -> go.Figure:
    """Top tokens by raw probability: raw bar (light), after-temperature bar coloured by the
    filter that removed it, and a diamond for the final renormalised probability; ★ marks the
    token the seed draws.

    Built from plain dicts with plotly's validation off: validating six small traces costs
    more than the whole sampling pipeline, and the slider redraw must stay fast.
    """
    ids = result.top(n_top, by="raw")
    # plotly reads labels as HTML: a token such as T5's </s> must be escaped to show at all
    names = [
        html.escape(f"{n} ★" if i == result.chosen_id else n)
        for i, n in zip(ids, labels(tokenizer, ids), strict=True)
    ]
    raw, scaled, final = (result.raw_probs[ids], result.scaled_probs[ids], result.final_probs[ids])
    status = result.removed_by[ids]
    custom = np.stack([ids, raw, scaled, final], axis=1).tolist()
    data: list[dict] = [
        {
            "type": "bar",
            "x": names,
            "y": raw.tolist(),
            "name": "raw probability (model)",
            "offsetgroup": "raw",
            "customdata": custom,
            "hovertemplate": _HOVER + "<extra>raw</extra>",
            "marker": {"color": "rgba(31,111,178,0.18)", "line": {"color": "#1f6fb2", "width": 1}},
        },
    ]
    for key, (legend, colour) in STATUS_STYLE.items():
        m = status == key
        rows = np.flatnonzero(m)
        if m.any():
            data.append(
                {
                    "type": "bar",
                    "x": [names[i] for i in rows],
                    "y": scaled[m].tolist(),
                    "name": legend,
                    "offsetgroup": "scaled",
                    "marker": {"color": colour},
                    "customdata": [custom[i] for i in rows],
                    "hovertemplate": _HOVER + f"<extra>{html.escape(legend)}</extra>",
                }
            )
    data.append(
        {
            "type": "scatter",
            "x": names,
            "y": final.tolist(),
            "mode": "markers",
            "name": "final (renormalised, drawn from)",
            "customdata": custom,
            "marker": {"symbol": "diamond", "size": 9, "color": "#e4572e"},
            "hovertemplate": _HOVER + "<extra>final</extra>",
        }
    )
    layout = {
        "barmode": "group",
        "height": 420,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "yaxis": {"title": {"text": "probability"}, "rangemode": "tozero"},
        "xaxis": {"tickangle": -45, "type": "category"},
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


_HOVER = (
    "<b>%{x}</b> (id %{customdata[0]:.0f})<br>raw %{customdata[1]:.2%}"
    "<br>after temperature %{customdata[2]:.2%}<br>final %{customdata[3]:.2%}"
)

REST = "the rest"


def served_chart(top: be.NextTokenTop, tokenizer) -> go.Figure:
    """The server's top tokens by the model's own probability, and one more bar for every other
    token together ("the rest": 1 - the listed probabilities), so the chart never pretends the
    listed tokens are the whole distribution."""
    names = [html.escape(n) for n in labels(tokenizer, top.token_ids)] + [REST]
    data = [
        {
            "type": "bar",
            "x": names,
            "y": [*top.probs, top.rest],
            "marker": {"color": ["#1f6fb2"] * len(top.probs) + ["#bdbdbd"]},
            "hovertemplate": "<b>%{x}</b><br>%{y:.2%}<extra>model (served)</extra>",
        }
    ]
    layout = {
        "height": 420,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "yaxis": {"title": {"text": "probability (model, temperature 1)"}, "rangemode": "tozero"},
        "xaxis": {"tickangle": -45, "type": "category"},
        "showlegend": False,
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def summary(result: smp.SamplingResult, tokenizer) -> None:
    """Survivors, entropies, the drawn token, and how many each filter removed."""
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"Tokens in the running (of {result.vocab_size:,})", f"{result.n_kept:,}")
    c2.metric(
        "Entropy: model",
        f"{result.entropy_raw_bits:.2f} bits",
        help="Uncertainty of the raw distribution: 0 = certain, log2(V) = uniform.",
    )
    c3.metric(
        "Entropy: after the pipeline",
        f"{result.entropy_final_bits:.2f} bits",
        delta=f"{result.entropy_final_bits - result.entropy_raw_bits:+.2f} bits",
        delta_color="off",
    )
    p = result.final_probs[result.chosen_id]
    drawn = smp.token_label(tokenizer, result.chosen_id)
    c4.metric(
        f"★ Drawn (seed {result.config.seed}, draw {result.draw_index + 1})",
        drawn,
        f"p = {prob_text(float(p))}",
        delta_color="off",
        help=f"Token {result.draw_index + 1} of the text. {smp.SEED_RULE}",
    )
    removed = " · ".join(f"{f} removed {n:,}" for f, n in result.removed_counts.items() if n)
    st.caption(removed or "No filter removed anything: every token can be drawn.")
    for note in result.notes:
        st.info(note, icon=":material/info:")


def prob_text(p: float) -> str:
    """A probability as a percentage with two significant digits ("<0.1%" below 0.1%), so
    small alternatives do not all read "0%".

    >>> [prob_text(x) for x in (0.5234, 0.0523, 0.00523, 0.0004, 0.0)]
    ['52%', '5.2%', '0.52%', '<0.1%', '0%']
    """
    pct = 100 * p
    if pct == 0:
        return "0%"
    if pct < 0.1:
        return "<0.1%"
    if pct >= 10:
        return f"{pct:.0f}%"
    return f"{pct:.2g}%"


def _colour(p: float) -> str:
    """Red (unlikely) to green (likely), on a log scale so 1% and 10% look different."""
    x = float(np.clip((np.log10(max(p, 1e-4)) + 4) / 4, 0, 1))
    return f"hsl({int(120 * x)}, 75%, 82%)"


def tokens_html(
    tokenizer,
    prompt_tail: str,
    steps: Sequence[gen.StepRecord],
    *,
    legend: bool = True,
    css_class: str = "sampling-story",
) -> str:
    """The prompt's end in grey, then each generated token coloured by the model's probability
    of it, with the top alternatives at that step as a hover tooltip."""
    parts = [f'<span style="color:#777">{html.escape(prompt_tail)}</span>']
    for i, s in enumerate(steps):
        alts = "\n".join(
            f"{smp.token_label(tokenizer, j)!r}: {prob_text(p)} (raw {prob_text(r)})"
            for j, p, r in s.alternatives
        )
        if s.n_kept:
            tip = (
                f"step {i + 1}: model p = {prob_text(s.raw_prob)}, after the pipeline "
                f"{prob_text(s.prob)}, "
                f"{s.n_kept} in the running\n{alts}"
            )
        else:  # a served draw: the server reports the model's own probabilities only
            alts = "\n".join(
                f"{smp.token_label(tokenizer, j)!r}: {prob_text(r)}" for j, _, r in s.alternatives
            )
            tip = f"step {i + 1} (served): model p = {prob_text(s.raw_prob)}\n{alts}"
        text = html.escape(tokenizer.decode([s.token_id])).replace("\n", "↵<br>")
        parts.append(
            f'<span title="{html.escape(tip)}" style="background:{_colour(s.raw_prob)};'
            f'border-radius:3px;padding:1px 1px;cursor:help">{text or "∅"}</span>'
        )
    return (
        f'<div class="{css_class}" style="font-family:monospace;white-space:pre-wrap;'
        f'line-height:1.9;font-size:1.05em">{"".join(parts)}</div>{LEGEND if legend else ""}'
    )


LEGEND = (
    '<div style="font-size:0.8em;color:#666;margin-top:6px">colour = the model\'s own probability '
    f'of the drawn token: <span style="background:{_colour(0.001)}">0.1%</span> '
    f'<span style="background:{_colour(0.03)}">3%</span> '
    f'<span style="background:{_colour(0.3)}">30%</span> '
    f'<span style="background:{_colour(1)}">100%</span> · hover a token for alternatives</div>'
)


def _continue_from(step: int, pick_key: str) -> None:
    """Pills callback: rewind to ``step`` and put the picked alternative there instead."""
    token = st.session_state.get(pick_key)
    steps = st.session_state.get(STEPS, [])
    if not isinstance(token, int) or step >= len(steps):
        return
    new = steps[step].swapped(token)
    if new is None:
        return
    st.session_state[STEPS] = [*steps[:step], new]
    st.session_state[pick_key] = None


def alternative_label(tokenizer, alt: tuple[int, float, float]) -> str:
    """'␣Tom · 12%' (the model's own probability); '(filtered out)' when the sliders removed it."""
    token, final, raw = alt
    out = f"{smp.token_label(tokenizer, token)} · {prob_text(raw)}"
    return out + (" (filtered out)" if final == 0 else "")


def alternatives_picker(tokenizer, steps: Sequence[gen.StepRecord]) -> None:
    """Pick a step, click one of its alternatives: the text continues from it.

    Both widgets keep stable values (a step index, a token id): their keys follow their labels,
    so a label that changed (another text) never comes back from the browser as a value.
    """
    if not steps:
        return
    ss = st.session_state
    ids = tuple(s.token_id for s in steps)
    if ss.get(PICK_FOR) != ids:  # the text changed: pick its last step again
        ss[PICK], ss[PICK_FOR] = len(steps) - 1, ids
    c1, c2 = st.columns([1, 3])
    i = stable_selectbox(
        "Step to change",
        list(range(len(steps))),
        key=PICK,
        format_func=lambda j: f"{j + 1}: {smp.token_label(tokenizer, steps[j].token_id)!r}",
        fallback=len(steps) - 1,
        where=c1,
    )
    alts = [a for a in steps[i].alternatives if a[0] != steps[i].token_id]
    label = {a[0]: alternative_label(tokenizer, a) for a in alts}
    key = stable_key(f"sampling_alt_{i}", [f"{i}", *label.values()])
    c2.pills(
        "Continue from an alternative instead (drops what came after)",
        list(label),
        key=key,
        on_change=_continue_from,
        args=(i, key),
        format_func=lambda j: label.get(j, str(j)),
        help="The percentage is the model's own probability of that token at this step.",
    )


def compare_columns(runs: Sequence[gen.CompareRun], tokenizer, prompt_tail: str) -> None:
    """One column per setting: the generated text, coloured, with its mean log-probability."""
    cols = st.columns(len(runs))
    for col, run in zip(cols, runs, strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{run.label}**")
            st.html(
                tokens_html(
                    tokenizer, prompt_tail, run.result.steps, legend=False, css_class="sampling-cmp"
                )
            )
            st.caption(
                f"mean log-prob {run.result.mean_logprob:.2f} · distinct tokens "
                f"{run.distinct_ratio:.0%} · {len(run.result.steps)} tokens"
            )
    st.html(LEGEND)


class _FellBack(Exception):
    """A comparison the server was asked for but this app's model made (never cached)."""

    def __init__(self, answer: be.Answer) -> None:
        super().__init__(answer.note)
        self.answer = answer


@st.cache_data(max_entries=64, show_spinner="Generating the comparison...")
def _cached_compare(
    model_name: str, ids: tuple[int, ...], configs: tuple, n: int, eos, backend: be.Backend
) -> be.Answer:
    answer = be.compare(
        get_model(model_name).model,
        ids,
        list(configs),
        max_new_tokens=n,
        eos_token_id=eos,
        model_name=model_name,
        backend=backend,
    )
    if backend.serves(model_name) and answer.backend != be.SERVED:
        raise _FellBack(answer)  # st.cache_data keeps no exception: the server is asked again
    return answer


def cached_compare(
    model_name: str,
    ids: tuple[int, ...],
    configs: tuple,
    n: int,
    eos,
    backend: be.Backend | None = None,
) -> be.Answer:
    """The compare panel's runs (an :class:`~core.serving.backend.Answer`), cached per
    settings and backend; a fallback from the server is shown but never cached."""
    try:
        return _cached_compare(model_name, ids, configs, n, eos, backend or be.Backend())
    except _FellBack as e:
        return e.answer


# --- the page's two panels (fragments: a slider step reruns only its panel) --------------------
def current_config() -> smp.SamplingConfig:
    """The sliders' settings."""
    s = st.session_state
    return smp.SamplingConfig(
        temperature=float(s.sampling_temperature),
        top_k=int(s.sampling_top_k),
        top_p=float(s.sampling_top_p),
        min_p=float(s.sampling_min_p),
        repetition_penalty=float(s.sampling_penalty),
        seed=int(s.sampling_seed),
    )


def distribution(
    name: str,
    model: Any,
    prompt_ids: Sequence[int],
    ctx: int,
    steps: Sequence[gen.StepRecord],
    cfg: smp.SamplingConfig,
) -> tuple[gen.TextSoFar, smp.SamplingResult]:
    """The next-token pipeline after prompt + steps (``model``: the model ``name``); the token
    at position i of the text takes draw i of the seed's stream (core.sampling's one rule,
    shared with Generate N)."""
    text = gen.text_so_far(model, prompt_ids, [s.token_id for s in steps], context=ctx)
    # the forward pass runs once per context
    logits = cached_logits(name, text.prompt_ids, text.decoder_prefix)
    result = smp.filter_distribution(logits, cfg, context_ids=text.ids, draw_index=len(steps))
    return text, result


def _next_top(name: str, loaded: Any, text: gen.TextSoFar, backend: be.Backend):
    """The server's top tokens after ``text`` (None when it could not answer: the page then
    draws the in-process pipeline, with the server's error shown)."""
    n_top = int(st.session_state.sampling_n_top)
    top = be.next_token_top(
        loaded.model, text.prompt_ids, k=n_top, model_name=name, backend=backend
    )
    return top if top.backend == be.SERVED else None, top.note


@st.fragment
def step_panel(
    name: str,
    loaded: Any,
    prompt_ids: tuple[int, ...],
    ctx: int,
    prompt_tail: str,
    backend: be.Backend | None = None,
) -> None:
    """The sliders, the next-token chart and the text built token by token (``loaded``: the
    model ``name``, as ``get_model`` gives it; ``backend``: where the next-token chart and the
    draws come from, in-process by default)."""
    backend = backend or be.Backend()
    served = backend.serves(name) and not gen.is_encoder_decoder(loaded.model)
    tok = loaded.tokenizer
    eos = tok.eos_token_id
    steps = st.session_state[STEPS]
    left, right = st.columns([1, 2.6])
    with left:
        pipeline_controls()
    summary_box = st.container()  # filled once the steps below are settled
    st.subheader("Step by step")
    story = st.empty()
    b1, b2, b3, b4 = st.columns([1.2, 1.6, 1, 1], vertical_alignment="bottom")
    # buttons leave an action in the session state (it survives any rerun before it is used)
    b1.button(
        "Sample one token",
        type="primary",
        icon=":material/casino:",
        on_click=set_action,
        args=("sample",),
    )
    b2.slider("Tokens to generate", 1, 200, key="sampling_n")
    b3.button(  # keyed: the class load test (bench/bench_classroom.py) clicks it by key
        "Generate N",
        icon=":material/play_arrow:",
        on_click=set_action,
        args=("generate",),
        key="sampling_generate",
    )
    b4.button(
        "Clear",
        icon=":material/restart_alt:",
        on_click=set_action,
        args=("clear",),
        key="sampling_clear",
    )
    action = st.session_state.pop(ACTION, None)
    sample, go_n = action == "sample", action == "generate"
    if action == "clear":
        steps.clear()
    cfg = current_config()
    notes: list[str] = []
    generated = None  # the answer of this run's draws, to say who made them

    def settle() -> tuple[gen.TextSoFar, smp.SamplingResult | None, Any]:
        """The text so far and its next-token view: the server's top tokens when it serves
        (no in-process forward pass), else the in-process pipeline."""
        if served:
            drawn = [s.token_id for s in steps]
            text = gen.text_so_far(loaded.model, prompt_ids, drawn, context=ctx)
            top, note = _next_top(name, loaded, text, backend)
            notes.extend([note] if note else [])
            if top is not None:
                return text, None, top
        text, result = distribution(name, loaded.model, prompt_ids, ctx, steps, cfg)
        return text, result, None

    # served, a draw asks the server for the text's next tokens: the view is settled after it
    text, result, top = settle() if not (served and (sample or go_n)) else (None, None, None)
    if sample and result is not None and not served:
        steps.append(gen.step_from_result(result))
    if go_n or (sample and served):
        n = 1 if sample else st.session_state.sampling_n
        shown: list[gen.StepRecord] = []

        def on_step(i: int, rec: gen.StepRecord) -> None:
            shown.append(rec)
            story.html(tokens_html(tok, prompt_tail, [*steps, *shown]))

        drawn = [s.token_id for s in steps]
        start = gen.text_so_far(loaded.model, prompt_ids, drawn, context=ctx, new_tokens=n)
        # the text goes on with the draws of its next positions: as "Sample one token" would
        gen_n = dict(max_new_tokens=n, eos_token_id=eos, on_step=on_step, first_draw=len(steps))
        generated = be.generate(
            loaded.model,
            start.prompt_ids,
            cfg,
            decoder_prefix=start.decoder_prefix,
            model_name=name,
            backend=backend,
            **gen_n,
        )
        notes.extend([generated.note] if generated.note else [])
        steps.extend(shown)
    if sample or go_n:
        text, result, top = settle()
    story.html(tokens_html(tok, prompt_tail, steps))
    if generated is not None and served:
        answered_by(be.Answer(generated.value, generated.backend), "The tokens just drawn")
    alternatives_picker(tok, steps)
    if steps:
        publish("Sampling: generated text", tok.decode([s.token_id for s in steps]))
        if steps[-1].token_id == eos:
            st.caption("The model produced its end-of-text token: it considers the text finished.")
    with right:
        after = md_code("…" + tok.decode(list(text.ids[-8:])))
        if text.decoder_start is None:
            st.markdown(f"**Next token after** {after}")
        else:
            st.markdown(
                f"**Next output token after** {after}",
                help="The encoder read the whole source once; the decoder writes the answer "
                f"from its start token {md_code(tok.decode([text.decoder_start]))}, attending to "
                "the encoder's states at every step.",
            )
        if top is not None:
            st.plotly_chart(served_chart(top.value, tok), width="stretch", key="sampling_chart")
            answered_by(top, "Next-token probabilities")
        else:
            st.plotly_chart(
                distribution_chart(result, tok, st.session_state.sampling_n_top),
                width="stretch",
                key="sampling_chart",
            )
    with summary_box:
        for note in dict.fromkeys(notes):  # the server's error, once, above the results
            st.warning(note, icon=":material/cloud_off:")
        if top is not None:
            shown_n = len(top.value.token_ids)
            st.info(
                f"The generation server lists the model's own {shown_n} most likely next tokens "
                f'(temperature 1; {MAX_LOGPROBS} at most) and "the rest" is every '
                f"other token together: {prob_text(top.value.rest)} here. The sliders still "
                "shape its draws, but what each filter removes needs the whole distribution: "
                "pick **This app's model** above to see it.",
                icon=":material/dns:",
            )
        elif result is not None:
            summary(result, tok)
    compare_stale_note(cfg, int(st.session_state.sampling_n))
    sync_url()


@st.fragment
def compare_panel(
    name: str,
    loaded: Any,
    prompt_ids: tuple[int, ...],
    ctx: int,
    prompt_tail: str,
    backend: be.Backend | None = None,
) -> None:
    """Columns generated with settings that differ in one thing (temperature or seed), on
    ``backend`` (in-process by default)."""
    tok = loaded.tokenizer
    st.subheader("Compare settings side by side")
    cfg, n = st.session_state[CMP_FOR]
    configs = compare_controls(cfg)
    shared = settings_text(cfg, skip=st.session_state.sampling_cmp_by)
    st.caption(
        f"Same prompt, {n} tokens, the other settings as they were when this panel was "
        f"generated: {shared}."
    )
    if st.button("Refresh with the current sliders", icon=":material/refresh:"):
        st.rerun()  # the whole page: the panel takes the sliders' settings again
    if configs:
        eos = tok.eos_token_id
        start = gen.text_so_far(loaded.model, prompt_ids, (), context=ctx, new_tokens=n)
        answer = cached_compare(name, start.prompt_ids, tuple(configs), n, eos, backend)
        compare_columns(answer.value, tok, prompt_tail)
        if backend is not None and backend.serves(name):
            answered_by(answer, "The comparison")
