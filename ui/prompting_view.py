"""Drawing for the prompt-shot page: highlighted prompts, k-sweep chart, item table, diffs."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core.generation import is_encoder_decoder
from core.prompting import (
    ALPHA,
    SWEEP_KS,
    PairedDifference,
    Prompt,
    ScoreCache,
    ShotRun,
    ShotSweepResult,
    Task,
    build_prompt,
    diff_prompts,
    disagreements,
    evaluate_shots,
    paired_difference,
    parse_custom_task,
)
from core.serving import backend as be
from core.settings import get_settings
from ui.backend import scored_by
from ui.urlstate import left_out_caption

SEQ2SEQ_NOTE = (
    "An encoder-decoder: the whole prompt below, shots included, is its encoder's source, and "
    "each answer choice is scored as its decoder's complete answer (the choice and the end "
    "token); tiny-t5 learnt only its own task prefixes, so these formats are new to it."
)

CONFIDENT = 0.8  # "confident" in the what-to-notice line about confident wrong answers

SHOT_COLORS = (
    "#dbeafe",
    "#dcfce7",
    "#fef3c7",
    "#fce7f3",
    "#ede9fe",
    "#cffafe",
    "#fee2e2",
    "#e5e7eb",
)
_BOX = (
    "font-family:ui-monospace,monospace;font-size:0.85rem;white-space:pre-wrap;"
    "word-break:break-word;border:1px solid #d1d5db;border-radius:6px;padding:8px;"
    "max-height:340px;overflow-y:auto;line-height:1.5;color:#111827;background:#fff"
)


def prompt_html(prompt: Prompt) -> str:
    """The prompt as HTML: instruction in italics, each shot on its own colour, the query bold."""
    parts = []
    for seg in prompt.segments:
        text = html.escape(seg.text)
        if seg.kind == "bos":
            parts.append(f'<span style="color:#9ca3af" title="start token">{text}</span>')
        elif seg.kind == "instruction":
            parts.append(f'<span style="font-style:italic;color:#1d4ed8">{text}</span>')
        elif seg.kind == "shot":
            color = SHOT_COLORS[(seg.example or 0) % len(SHOT_COLORS)]
            parts.append(
                f'<span style="background:{color};border-radius:3px" '
                f'title="shot: example #{(seg.example or 0) + 1}">{text}</span>'
            )
        elif seg.kind == "query":
            parts.append(f'<span style="font-weight:700;background:#fde68a">{text}</span>')
        else:
            parts.append(text)
    return f'<div style="{_BOX}">{"".join(parts)}</div>'


def show_prompt(label: str, prompt: Prompt) -> None:
    """One prompt variant: heading, token count against the context, the highlighted text."""
    st.markdown(f"**{label}**")
    if prompt.n_tokens is not None and prompt.max_tokens:
        share = min(1.0, prompt.n_tokens / prompt.max_tokens)
        what = (
            f"of the {prompt.max_tokens} tokens the encoder reads (end token included; the "
            "answer is the decoder's)"
            if prompt.encoder_source
            else f"of a {prompt.max_tokens}-token context (start token and longest answer included)"
        )
        st.progress(share, text=f"{prompt.n_tokens} tokens {what}")
    st.html(prompt_html(prompt))
    for note in prompt.notes:
        st.warning(note, icon=":material/content_cut:")


def sweep_figure(result: ShotSweepResult, chance: float, k_sel: int) -> go.Figure:
    """Accuracy (mean and spread over draws) and prompt tokens against k, context limit drawn."""
    pts = result.points()
    ks = [p.k for p in pts]
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("Accuracy over held-out items", "Prompt length (tokens)"),
    )
    fig.add_trace(
        go.Scatter(
            x=ks,
            y=[p.accuracy_mean for p in pts],
            mode="lines+markers",
            name="accuracy (mean)",
            error_y=dict(type="data", array=[p.accuracy_std for p in pts], visible=True),
            customdata=[[p.accuracy_min, p.accuracy_max, p.n_draws] for p in pts],
            hovertemplate="k=%{x}: %{y:.1%}<br>range %{customdata[0]:.0%}-%{customdata[1]:.0%}"
            " over %{customdata[2]} draws<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for r in result.runs:
        fig.add_trace(
            go.Scatter(
                x=[r.k],
                y=[r.accuracy],
                mode="markers",
                showlegend=False,
                opacity=0.35,
                marker=dict(size=6, color="#6b7280"),
                hovertemplate=f"k={r.k}, seed {r.seed}: {r.accuracy:.1%}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_hline(
        y=chance,
        line_dash="dot",
        line_color="#9ca3af",
        row=1,
        col=1,
        annotation_text=f"chance {chance:.0%}",
        annotation_position="bottom right",
    )
    fig.add_trace(
        go.Bar(
            x=ks,
            y=[p.tokens_mean for p in pts],
            name="mean prompt tokens",
            marker_color=["#60a5fa" if p.fits else "#f87171" for p in pts],
            hovertemplate="k=%{x}: %{y:.0f} tokens on average<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Scatter(
            x=ks,
            y=[p.tokens_max for p in pts],
            mode="markers",
            name="longest prompt",
            marker=dict(symbol="line-ew-open", size=18, color="#1f2937"),
        ),
        row=1,
        col=2,
    )
    fig.add_hline(
        y=result.n_ctx,
        line_dash="dash",
        line_color="#dc2626",
        row=1,
        col=2,
        annotation_text=f"context window {result.n_ctx}",
        annotation_position="top left",
    )
    fig.add_vline(x=k_sel, line_dash="dot", line_color="#f59e0b", row=1, col=1)
    fig.update_xaxes(title_text="shots k", tickvals=ks)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=1, col=1)
    top = max(result.n_ctx, max(p.tokens_max for p in pts)) * 1.15
    fig.update_yaxes(range=[0, top], row=1, col=2)
    fig.update_layout(
        height=380, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2)
    )
    return fig


def item_table(
    task: Task,
    result: ShotSweepResult,
    variants: dict[str, int],
    seed: int,
    *,
    only_disagreements: bool = False,
) -> pd.DataFrame:
    """One row per held-out item: input, gold, and each variant's prediction and confidence
    (only the items the variants predict differently with ``only_disagreements``)."""
    rows = []
    runs = {label: result.run(k, seed) for label, k in variants.items()}
    for i, item in enumerate(task.items):
        row: dict[str, object] = {"#": i + 1, "input": item.input, "gold": item.output}
        for label, run in runs.items():
            s = run.items[i]
            mark = "✓" if s.correct else "✗"
            row[label] = f"{mark} {s.prediction}"
            row[f"{label} conf."] = s.confidence
            if s.generated is not None:
                row[f"{label} generated"] = ("✓ " if s.exact_match else "✗ ") + (s.generated or "∅")
        rows.append(row)
    df = pd.DataFrame(rows)
    return df.iloc[list(disagreements(list(runs.values())))] if only_disagreements else df


def diff_html(diff: list[tuple[str, str]]) -> str:
    """A line diff as HTML: removed lines red with '-', added lines green with '+'."""
    style = {"-": "background:#fee2e2;color:#991b1b", "+": "background:#dcfce7;color:#166534"}
    lines = [
        f'<div style="{style.get(op, "color:#374151")}">{op} {html.escape(text) or "&nbsp;"}</div>'
        for op, text in diff
    ]
    return f'<div style="{_BOX}">{"".join(lines)}</div>'


# --- scoring with the shared per-item cache, and sentences written from the run's numbers -------
@st.cache_resource
def score_cache() -> ScoreCache:
    """Per-item scores shared by every session: a score depends only on model and prompt."""
    return ScoreCache()


@st.cache_resource
def sweep_store() -> ScoreCache:
    """Finished sweeps by their exact settings: a rerun that changed nothing the sweep reads
    (a table filter, a diff pick) gets it back without even re-tokenizing the prompts."""
    return ScoreCache(max_items=64)


def evaluate(
    task: Task,
    lm: Any,
    ks: tuple[int, ...],
    seeds: tuple[int, ...],
    instruction: bool,
    generate: bool,
    *,
    label: str,
    on_partial: Callable[[ShotSweepResult], None] | None = None,
    backend: be.Backend | None = None,
) -> ShotSweepResult:
    """:func:`core.prompting.evaluate_shots` on the shared cache, with a progress bar shown
    only while prompts that were never scored are being scored (``backend``: who scores, see
    :mod:`core.serving.backend`; a sweep that fell back to this app's model is not kept)."""
    backend = backend or be.Backend()
    served = backend.serves(getattr(lm, "name", ""))
    server = backend.server.url if served and backend.server else ""
    key = (
        task.to_json(),
        getattr(lm, "name", ""),
        id(lm.model),
        ks,
        seeds,
        instruction,
        generate,
        server,
    )
    finished = sweep_store().get(key)
    if finished is not None:
        return finished
    slot = st.empty()

    def step(done: int, total: int) -> None:
        slot.progress(
            done / max(total, 1),
            text=f"{label}: {done:,} of {total:,} new prompt x answer rows scored "
            "(rows scored before come from the cache)",
        )

    res = evaluate_shots(
        task,
        lm,
        ks,
        seeds,
        instruction=instruction,
        generate=generate,
        cache=score_cache(),
        on_step=step,
        on_partial=on_partial,
        backend=backend,
    )
    slot.empty()
    if not any(be.FALLBACK in note for note in res.notes):  # a failed server is asked again
        sweep_store().put(key, res)
    return res


@dataclass(frozen=True)
class Versus:
    """A run against zero-shot: the paired test, whether it is more than noise, and the text."""

    diff: PairedDifference
    real: bool
    text: str


def versus_zero(run: ShotRun, zero: ShotRun) -> Versus:
    """The metric delta of ``run`` against zero-shot: noise unless McNemar's p < :data:`ALPHA`.

    >>> from core.prompting import ItemScore
    >>> r = ShotRun(0, 0, (), (ItemScore(0, "a", ("a", "b"), (0.0, -1.0), (0.7, 0.3), 3),), 0)
    >>> versus_zero(r, r).text
    '±0 pts vs zero-shot'
    """
    d = paired_difference(zero, run)
    pts, real = d.points, d.real(ALPHA)
    if pts == 0:
        text = "±0 pts vs zero-shot"
    elif real:
        text = f"{pts:+d} pts vs zero-shot (p = {d.p_value:.3f})"
    else:
        text = f"{pts:+d} pts vs zero-shot: noise (p = {d.p_value:.2f})"
    return Versus(d, real, text)


def notice_points(
    task: Task, runs: Mapping[str, ShotRun], sweep: ShotSweepResult, k_few: int, instruction: bool
) -> list[str]:
    """ "What to notice", every sentence about this run written from its numbers."""
    zero, few = runs["zero-shot"], runs["few-shot"]
    n = len(zero.items)
    vs = versus_zero(few, zero)
    d = vs.diff
    counts = (
        f"on the same {n} items ({d.only_b} right only with the shots, {d.only_a} only without; "
        f"McNemar p = {d.p_value:.3f})"
    )
    head = f"Zero-shot {zero.accuracy:.0%} -> {k_few}-shot {few.accuracy:.0%} {counts}"
    if vs.real and d.accuracy_b > d.accuracy_a:
        first = f"{head}: the examples show the model which answers are wanted."
    elif vs.real:
        first = f"{head}: on this task the examples make this model worse, not better."
    else:
        first = (
            f"{head}: within noise. On this task the {k_few} examples make no difference "
            "that these items can measure."
        )
    pts = {p.k: p for p in sweep.points()}
    at_k = pts.get(k_few)
    if at_k is not None and at_k.n_draws > 1:
        gap = abs(d.accuracy_b - d.accuracy_a)
        spread = at_k.spread
        if spread > 0 and spread >= gap:
            first += (
                f" Re-drawing the shots moves {k_few}-shot accuracy by {spread * 100:.0f} points, "
                "as much as this gap."
            )
    out = [first]
    if task.instruction:
        state = "on" if instruction else "off"
        out.append(
            f"The instruction is {state}. Switch it and compare the numbers above: does the "
            f'sentence "{task.instruction}" change what the examples did?'
        )
    multi = [p for p in pts.values() if p.n_draws > 1]
    if not multi:
        out.append(
            "With one shot draw there is no spread to see: raise 'Shot draws' to measure how "
            "much the choice and order of the examples moves accuracy."
        )
    elif all(p.spread == 0 for p in multi):
        draws = max(p.n_draws for p in multi)
        out.append(
            f"Re-drawing which examples are shots, and their order, did not move accuracy at any "
            f"k here ({draws} draws): on these items this model reads every draw alike."
        )
    else:
        widest = max(multi, key=lambda p: p.spread)
        out.append(
            f"Re-drawing which examples are shots, and their order, moves accuracy by up to "
            f"{widest.spread * 100:.0f} points at the same k "
            f"(k = {widest.k}: {widest.accuracy_min:.0%} to {widest.accuracy_max:.0%} over "
            f"{widest.n_draws} draws)."
        )
    top = pts[max(pts)]
    over = "" if top.fits else "; some overflow it, and the model reads only their end"
    out.append(
        f"Each shot costs tokens: {top.k}-shot prompts average {top.tokens_mean:.0f} tokens "
        f"(longest {top.tokens_max}) of the {sweep.n_ctx}-token context{over}."
    )
    wrong = [s for s in few.items if not s.correct]
    if wrong:
        sure = sum(s.confidence >= CONFIDENT for s in wrong)
        out.append(
            f"Confidence is the softmax over the answer choices only: {sure} of the "
            f"{len(wrong)} wrong {k_few}-shot answers had {CONFIDENT:.0%} or more."
        )
    return out


# --- the page's panels ---------------------------------------------------------------------------
def settings_form(tasks: Mapping[str, str], model_opts: list[str]) -> None:
    """The task, model, k, seed, instruction, generation and shot-draw widgets."""
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    c1.selectbox("Task", list(tasks), key="prompting_task", format_func=tasks.get)
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


def custom_task() -> Task | None:
    """The typed examples' task, with a warning for each line that could not be read (None when
    no task can be built from them)."""
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
    return parsed.task


def prompts_panel(
    task: Task, lm: Any, variants: Mapping[str, int], seed: int, instruction: bool, n_ctx: int
) -> None:
    """Section 1: the three prompts side by side, and the line diff of two of them."""
    st.subheader("1. The prompts", divider="gray")
    source = is_encoder_decoder(lm.model)
    where = "as the decoder's answer to it" if source else "right after it"
    st.caption(
        "Shots are coloured (hover for the example number), the held-out question is bold; "
        f"each answer choice is scored {where}. Shown for held-out item #1."
    )
    prompts = {
        lab: build_prompt(
            task,
            kk,
            seed,
            instruction=instruction,
            tokenizer=lm.tokenizer,
            max_tokens=n_ctx,
            encoder_source=source,
        )
        for lab, kk in variants.items()
    }
    for col, (lab, p) in zip(st.columns(3), prompts.items(), strict=True):
        with col:
            show_prompt(f"{lab} (k = {p.k})", p)
    with st.expander("What changed between two prompts (line diff)"):
        st.multiselect(
            "Compare two variants", list(variants), key="prompting_diff", max_selections=2
        )
        pick = [p for p in st.session_state["prompting_diff"] if p in prompts]
        if len(pick) == 2:
            st.html(diff_html(diff_prompts(prompts[pick[0]], prompts[pick[1]])))
        else:
            st.caption("Pick two variants to see their line diff.")


def variant_runs(
    task: Task,
    lm: Any,
    variants: Mapping[str, int],
    seed: int,
    instruction: bool,
    gen: bool,
    backend: be.Backend | None = None,
) -> tuple[ShotSweepResult, dict[str, ShotRun]]:
    """The three prompts scored (from the shared cache when they were before) and their runs."""
    res = evaluate(
        task,
        lm,
        tuple(sorted(set(variants.values()))),
        (seed,),
        instruction,
        gen,
        label="Scoring the three prompts",
        backend=backend,
    )
    return res, {lab: res.run(kk, seed) for lab, kk in variants.items()}


def accuracy_panel(
    task: Task,
    vres: ShotSweepResult,
    runs: Mapping[str, ShotRun],
    variants: dict[str, int],
    seed: int,
    gen: bool,
) -> None:
    """Section 2: each variant's accuracy against zero-shot, and the item table."""
    st.subheader("2. Accuracy on the held-out items", divider="gray")
    for col, (lab, run) in zip(st.columns(3), runs.items(), strict=True):
        vs = None if lab == "zero-shot" else versus_zero(run, runs["zero-shot"])
        col.metric(
            f"{lab} accuracy",
            f"{run.accuracy:.0%}",
            delta=None if vs is None else vs.text,
            delta_color="normal" if vs is None or vs.real else "off",
            delta_arrow="auto" if vs is None or vs.real else "off",
            help=f"{len(run.items)} items; mean probability on the gold answer "
            f"{run.mean_gold_prob:.0%}. A difference is called noise when McNemar's exact test "
            f"on the items only one prompt gets right gives p >= {ALPHA}.",
        )
    for note in vres.notes:
        st.info(note, icon=":material/info:")
    if gen:
        st.caption(
            "Greedy generation exact match: "
            + ", ".join(f"{lab} {r.exact_match:.0%}" for lab, r in runs.items())
        )
    only = st.toggle("Only items where the variants disagree", key="prompting_only_diff")
    st.dataframe(
        item_table(task, vres, variants, seed, only_disagreements=only),
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


def sweep_panel(
    task: Task,
    lm: Any,
    k: int,
    k_few: int,
    seeds: tuple[int, ...],
    instruction: bool,
    backend: be.Backend | None = None,
) -> ShotSweepResult:
    """Section 3: the k-shot sweep's chart, drawn as each k is scored, then its notes."""
    st.subheader("3. The k-shot sweep", divider="gray")
    slot = st.empty()  # the chart and its caption: partial while the sweep is scored, then final

    def chart(res: ShotSweepResult, caption: str) -> None:
        with slot.container():
            st.plotly_chart(sweep_figure(res, task.chance, k_few), width="stretch")
            st.caption(caption)

    def partial(res: ShotSweepResult) -> None:
        chart(res, f"Scored so far: k = {', '.join(map(str, res.ks))}; the next k is on its way.")

    res = evaluate(
        task,
        lm,
        tuple(sorted({*SWEEP_KS, k})),
        seeds,
        instruction,
        False,
        label="Scoring the sweep",
        on_partial=partial,
        backend=backend,
    )
    chart(
        res,
        f"Dots: each shot draw (seeds {seeds[0]}-{seeds[-1]}); bars: ± one standard deviation. "
        "Red bars: some prompts at that k overflow the context window.",
    )
    for note in res.notes:
        if be.FALLBACK in note:
            st.warning(note, icon=":material/cloud_off:")
        else:
            st.info(note, icon=":material/info:")
    if backend is not None and backend.kind == be.SERVED:
        scored_by(res, "The sweep")
    return res


def task_card(task: Task) -> None:
    """The task's card from assets/tasks, when it has one."""
    card = get_settings().assets_dir / "tasks" / f"{task.name}.md"
    if card.exists():
        with st.expander("Task card: what tiny-gpt measured on this task"):
            st.markdown(card.read_text(encoding="utf-8"))
