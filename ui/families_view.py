"""Drawing for the model-families page: the cached run, per-family cards, the bars, the masks,
the per-item table and the sentences written from the measured numbers."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core import models
from core.cache import SharedResults
from core.families import (
    FAMILIES,
    FamiliesConfig,
    FamiliesResult,
    Family,
    FamilyRun,
    MaskView,
    compare_families,
)
from core.knobs import spec
from core.models import ModelUnavailableError
from ui.loaders import get_model

TITLES: dict[Family, str] = {
    "encoder": "Encoder only",
    "decoder": "Decoder only",
    "encoder-decoder": "Encoder-decoder",
}
COLORS: dict[Family, str] = {
    "encoder": "#2563eb",
    "decoder": "#d97706",
    "encoder-decoder": "#059669",
}
TASK_LABELS = {
    "translation": "Translation (English word => French)",
    "sentiment": "Classification (review => positive / negative)",
}
RULE = {
    "encoder": "classification and tagging (it reads the whole text at once)",
    "decoder": "open-ended generation (it writes one token after another)",
    "encoder-decoder": "translation and summarization (it reads the source, then writes)",
}
MASK_TOKEN_LABELS = 24  # up to this many tokens a side, the axes name each token


@st.cache_resource(show_spinner="Loading the sentence encoder (once for every session)...")
def _embedder(name: str):
    return models.load_embedder(name)


def load_models(config: FamiliesConfig) -> tuple:
    """The three models (cached for every session), or a clear message and ``st.stop()``."""
    try:
        encoder = _embedder(config.encoder)
    except ModelUnavailableError as e:
        st.error(str(e), icon=":material/cloud_off:")
        st.stop()
    return encoder, get_model(config.decoder, "causal-lm"), get_model(config.seq2seq, "seq2seq")


@st.cache_resource
def _runs() -> SharedResults[FamiliesResult]:
    """Finished runs by their settings, shared by every session (a result is never mutated);
    a second session asking for a run under way waits for it instead of timing beside it."""
    return SharedResults(max_entries=32)


def run(config: FamiliesConfig, run_id: int, loaded: tuple) -> FamiliesResult:
    """:func:`core.families.compare_families` once per settings (the config names the models;
    a new ``run_id`` measures again), with a progress bar while the items run."""
    key = (config, run_id)
    done = _runs().get(key)
    if done is not None:
        return done
    bar = st.progress(0.0, text="Warming up the three models...")

    def step(i: int, n: int, what: str) -> None:
        bar.progress(i / max(n, 1), text=f"{what}: {i} of {n}" if i else what)

    result, _ = _runs().get_or_compute(
        key, lambda report: compare_families(config, *loaded, on_step=report), on_progress=step
    )
    bar.empty()
    return result


def link_notes(fields: dict[str, str]) -> None:
    """Say which values of a shared link could not be used ({widget key: config field}): the
    page then runs with the default, and the engine's knob says why (shown once: the link is
    rewritten at the end of the run)."""
    for key, name in fields.items():
        raw = st.query_params.get(key)
        if raw is None or raw == str(st.session_state.get(key)):
            continue
        k = spec(FamiliesConfig, name)
        try:
            why = k.problem(k.kind(raw) if k.kind is not str else raw)
        except ValueError:
            why = f"{k.label} must be a whole number, got {raw!r}"
        st.info(
            f"The link's {k.label} could not be used ({why or raw}): "
            f"using {st.session_state.get(key)!r} instead.",
            icon=":material/link_off:",
        )


# --- per-family cards ----------------------------------------------------------------------------
def _params(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n >= 1e5 else f"{n:,}"


def family_cards(r: FamiliesResult) -> None:
    """One column per family: model, how it answers, accuracy, median time, parameters."""
    n = len(r.items)
    for col, run in zip(st.columns(len(r.runs)), r.runs, strict=True):
        with col.container(border=True):
            st.markdown(f"**{TITLES[run.family]}** · `{run.model}`")
            st.caption(run.method)
            st.metric(
                "Accuracy",
                f"{run.accuracy:.0%}",
                help=f"{run.n_correct} of {n} items answered exactly right.",
            )
            st.caption(f"{run.n_correct} of {n} right" + ("" if run.generates else _pick_note(r)))
            t = run.timings
            st.metric(
                "Median ms per item",
                f"{t.median:.1f}",
                help=f"Each item timed once, in turns with the other two models, after one "
                f"untimed warm-up. Middle half of the items: {t.q1:.1f} to {t.q3:.1f} ms; "
                f"all: {t.lo:.1f} to {t.hi:.1f} ms.",
            )
            st.metric("Parameters", _params(run.n_params))


def _pick_note(r: FamiliesResult) -> str:
    what = "candidates" if r.head is None else "labels"
    return f" (a pick among the item's {what}: guessing gets {r.chance:.0%})"


def bars_figure(r: FamiliesResult) -> go.Figure:
    """Accuracy and median time per item, side by side, one colour per family."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.14,
        subplot_titles=("Accuracy on the same items", "Median time per item (ms)"),
    )
    names = [f"{TITLES[x.family]}<br>{x.model}{'' if x.generates else ' (picks)'}" for x in r.runs]
    colors = [COLORS[x.family] for x in r.runs]
    fig.add_trace(
        go.Bar(
            x=names,
            y=[x.accuracy for x in r.runs],
            marker_color=colors,
            marker_pattern_shape=["" if x.generates else "/" for x in r.runs],
            text=[f"{x.accuracy:.0%}" for x in r.runs],
            textposition="outside",
            hovertemplate="%{x}: %{y:.0%}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_hline(
        y=r.chance,
        line_dash="dot",
        line_color="#6b7280",
        row=1,
        col=1,
        annotation_text=f"guessing among the candidates: {r.chance:.0%}",
        annotation_position="top right",
        annotation_font=dict(size=10, color="#4b5563"),
        annotation_bgcolor="rgba(255,255,255,0.85)",
    )
    meds = [x.timings.median for x in r.runs]
    fig.add_trace(
        go.Bar(
            x=names,
            y=meds,
            marker_color=colors,
            text=[f"{m:.1f}" for m in meds],
            textposition="outside",
            error_y=dict(
                type="data",
                symmetric=False,
                array=[x.timings.q3 - x.timings.median for x in r.runs],
                arrayminus=[x.timings.median - x.timings.q1 for x in r.runs],
            ),
            hovertemplate="%{x}: %{y:.1f} ms (bar: middle half of the items)<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(range=[0, max(x.timings.q3 for x in r.runs) * 1.3], row=1, col=2)
    fig.update_layout(height=330, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def bars_caption(r: FamiliesResult) -> str:
    """What the bars compare, and what the hatching means."""
    pickers = [TITLES[x.family].lower() for x in r.runs if not x.generates]
    text = (
        "Accuracy: exact match with the reference. Time: the median over the items (each item "
        "timed once, in turns across the three); the whisker spans the middle half of the items."
    )
    if pickers:
        text += (
            f" Hatched: the {' and '.join(pickers)} picks one of the given "
            f"{'candidates' if r.head is None else 'labels'} (a multiple-choice answer); the "
            "others write theirs."
        )
    return text


# --- the verdict, phrased around what was measured ------------------------------------------------
def _who(r: FamiliesResult, fam: Family) -> str:
    run = r.run(fam)
    return f"{TITLES[fam].lower()} {run.model} ({run.accuracy:.0%})"


def verdict_points(r: FamiliesResult) -> list[str]:
    """Which family suits which task: the rule of thumb, then what these items measured."""
    n = len(r.items)
    best = r.best()
    text = r.textbook
    points = [
        "**The rule of thumb**: encoder only for "
        + RULE["encoder"]
        + "; decoder only for "
        + RULE["decoder"]
        + "; encoder-decoder for "
        + RULE["encoder-decoder"]
        + ".",
    ]
    if len(best) == len(FAMILIES):
        measured = (
            f"All three got {r.runs[0].accuracy:.0%} of these {n} items: on them the family "
            "made no difference to accuracy, only to time and size."
        )
    else:
        tops = " and ".join(_who(r, f) for f in best)
        measured = f"On these {n} items the most accurate: {tops}."
    points.append(f"**Measured just now**: {measured}")
    others = [f for f in best if f != text]
    if r.textbook_holds and not others:
        points.append(
            f"For this task the rule picks the {TITLES[text].lower()}, and here it is the most "
            "accurate: the measurement agrees with the rule."
        )
    elif r.textbook_holds:
        points.append(
            f"For this task the rule picks the {TITLES[text].lower()}; here it ties for the top "
            f"with the {' and '.join(TITLES[f].lower() for f in others)}: these items do not "
            "separate them, so time and size decide."
        )
    else:
        points.append(
            f"For this task the rule picks the {TITLES[text].lower()}, but here it scored "
            f"{r.run(text).accuracy:.0%}, below {' and '.join(_who(r, f) for f in best)}: "
            "these items do not back the rule. The rule is about what each architecture is "
            "built for; these are tiny models trained on a toy corpus, and what a model was "
            "trained on matters as much as its family."
        )
    points.append(speed_point(r))
    return points


def speed_point(r: FamiliesResult) -> str:
    """The lowest median time, and against whom it is a clear win rather than overlap."""
    fast = r.run(r.fastest())
    vs = r.speed_against_fastest()
    clear = [f for f, c in vs.items() if c.verdict == "faster"]
    blurred = [f for f in vs if f not in clear]
    text = (
        f"Lowest median time per item: {TITLES[fast.family].lower()} {fast.model}, "
        f"{fast.timings.median:.1f} ms, with {_params(fast.n_params)} parameters."
    )
    if clear:
        text += " Every one of its items ran faster than every item of the " + " and ".join(
            f"{TITLES[f].lower()} ({r.run(f).timings.median:.1f} ms)" for f in clear
        )
        text += "."
    if blurred:
        text += " Its times overlap with the " + " and ".join(
            f"{TITLES[f].lower()}'s ({r.run(f).timings.median:.1f} ms)" for f in blurred
        )
        text += ": no clear winner there (this machine's load moves the times too)."
    return text


def encoder_note(r: FamiliesResult) -> str:
    """Why the encoder's translation column is a pick, or what its sentiment head saw."""
    if r.head is None:
        return (
            "**Why the encoder only *picks* here.** An encoder turns text into vectors; it has "
            "no decoder, so it cannot write a single word of French. Rather than leave its "
            "column empty, it is handed each item's candidates (the word in French, Spanish "
            "and German) and picks the one whose embedding is closest, by cosine, to the "
            "request (the same text tiny-t5 reads). That is retrieval, not translation: "
            f"guessing would get {r.chance:.0%}. For a fair comparison, tiny-gpt is also scored "
            f"that way (picking by log-probability): {r.decoder_pick_accuracy:.0%}."
        )
    h = r.head
    return (
        f"**The encoder's head** is a logistic regression ({h.n_params:,} weights) fitted on "
        f"MiniLM embeddings of {h.n_train} labelled reviews; {h.n_removed} reviews of the "
        "training set were dropped because their text is one of the held-out items, so the "
        f"head never saw an item it is scored on (training accuracy {h.train_accuracy:.0%}). "
        f"tiny-gpt picking the label by log-probability instead of writing it: "
        f"{r.decoder_pick_accuracy:.0%}."
    )


# --- masks ---------------------------------------------------------------------------------------
def mask_figure(m: MaskView, color: str) -> go.Figure:
    """One mask as a small heatmap of square cells: coloured where the row's token may read the
    column's token, grey where it is blocked."""
    rows, cols = len(m.rows), len(m.cols)
    labelled = max(rows, cols) <= MASK_TOKEN_LABELS
    cell = 14 if labelled else max(2, 300 // max(rows, cols))
    row_txt = [html.escape(t) for t in m.rows]  # plotly reads labels as HTML: </s> would vanish
    col_txt = [html.escape(t) for t in m.cols]
    hover = [
        [
            f"{row_txt[i]} → {col_txt[j]}: {'can read' if m.mask[i, j] else 'blocked'}"
            for j in range(cols)
        ]
        for i in range(rows)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=np.asarray(m.mask, dtype=np.float32),
            x=list(range(cols)),
            y=list(range(rows)),
            zmin=0,
            zmax=1,
            colorscale=[[0, "#e5e7eb"], [1, color]],
            showscale=False,
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            xgap=1 if labelled else 0,
            ygap=1 if labelled else 0,
        )
    )

    def axis(labels: Sequence[str], n: int, title: str) -> dict:
        if labelled:
            ticks = dict(tickvals=list(range(n)), ticktext=list(labels), tickfont=dict(size=9))
            return dict(ticks, title=dict(text=title, font=dict(size=10)), automargin=False)
        return dict(
            showticklabels=False,
            title=dict(text=f"{title}: {n} tokens", font=dict(size=10)),
            automargin=False,
        )

    cut = ""
    if (m.n_rows_total, m.n_cols_total) != m.shape:
        cut = f" (the last {rows} of {m.n_rows_total})"

    def room(labels: Sequence[str]) -> int:  # pixels for the tick labels and the axis title
        return 30 + (min(110, 6 * max(map(len, labels))) if labelled else 0)

    left, bottom, top = room(m.rows), room(m.cols), 48
    right = max(10, 270 - left - cols * cell)  # room for the title, cells kept square
    fig.update_layout(
        title=dict(text=f"{m.name}<br>{rows} × {cols} tokens{cut}", font=dict(size=12)),
        width=left + cols * cell + right,
        height=rows * cell + top + bottom,
        margin=dict(l=left, r=right, t=top, b=bottom),
        xaxis=dict(axis(col_txt, cols, "key (is read)"), tickangle=-90 if labelled else 0),
        yaxis=dict(axis(row_txt, rows, "query (reads)"), autorange="reversed"),
        plot_bgcolor="white",
    )
    if rows * cell < 60:  # one or two rows: no room for a vertical axis title
        fig.update_yaxes(title=None)
    return fig


def masks_panel(r: FamiliesResult) -> None:
    """The masks each family uses, over the first item's real tokens."""
    for run in r.runs:
        st.markdown(f"**{TITLES[run.family]}** · `{run.model}` · {_mask_words(run)}")
        cols = st.columns(max(3, len(run.masks)))
        for col, m in zip(cols, run.masks, strict=False):
            col.plotly_chart(
                mask_figure(m, COLORS[run.family]),
                width="content",
                key=f"families_mask_{run.family}_{m.name}",
                config={"displaylogo": False},
            )


def _mask_words(run: FamilyRun) -> str:
    if run.family == "encoder":
        return "every token reads every token, before and after it (bidirectional)."
    if run.family == "decoder":
        return "each token reads only itself and the tokens before it (causal)."
    return (
        "the encoder reads the source both ways; the decoder reads its own tokens causally and "
        "every source token through cross-attention."
    )


# --- per-item table ------------------------------------------------------------------------------
def _cell(text: str, ok: bool) -> str:
    return f"{'✓' if ok else '✗'} {text if text else '∅ (empty)'}"


def item_table(r: FamiliesResult) -> pd.DataFrame:
    """One row per item: input, reference, each family's answer marked right or wrong."""
    rows = []
    picks = r.decoder_pick_correct
    for i, item in enumerate(r.items):
        row: dict[str, object] = {"#": i + 1, "input": item.input, "reference": item.output}
        for run in r.runs:
            row[f"{TITLES[run.family]} ({run.model})"] = _cell(run.outputs[i], run.correct[i])
        row[f"{TITLES['decoder']} picks ({r.run('decoder').model}, by log-prob)"] = _cell(
            r.decoder_picks[i], picks[i]
        )
        rows.append(row)
    return pd.DataFrame(rows)


def notice_points(r: FamiliesResult) -> list[str]:
    """What to notice, from this run's numbers."""
    enc, dec, s2s = (r.run(f) for f in FAMILIES)
    points = [
        f"The same {len(r.items)} items went to all three models; only the way each reads and "
        "answers differs. Change the task and see which family leads.",
        f"Size is not everything: {enc.model} has {_params(enc.n_params)} parameters, "
        f"{dec.model} {_params(dec.n_params)} and {s2s.model} {_params(s2s.n_params)}.",
    ]
    if r.config.task == "translation":
        points.append(
            "Only the decoder and the encoder-decoder can *write* the answer; the encoder's "
            "score is a multiple-choice pick and would be impossible without the candidates."
        )
    else:
        points.append(
            "For a label, an encoder needs one forward pass and a tiny head; the generators "
            "write the label token by token after reading a prompt."
        )
    points.append(
        f"The decoder's prompt holds {r.config.k} solved example(s) before the question: "
        "move the shots slider to see how much its accuracy owes to them."
    )
    return points
