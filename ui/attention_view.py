"""Drawing for the attention page: the cached core call, plotly figures, the token explorer.

Figures stay light for long inputs: the selected head is drawn at full size (up to 512 x 512
cells, hover on each), every other head is block-averaged into a small thumbnail, and all
thumbnails of a view are tiled into ONE heatmap trace instead of dozens of subplots.
"""

from __future__ import annotations

import functools
import html
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import sequential

from core import models
from core.attention import (
    HEAD_METRICS,
    PAIR_FILTERS,
    SEQ2SEQ_KINDS,
    AttentionKind,
    AttentionResult,
    HeadSummary,
    HeadView,
    Seq2SeqAttention,
    Thumbnails,
    ViewConfig,
    attention_maps,
    default_token,
    head_summary,
    head_view,
    metrics_for,
    seq2seq_attention,
    source_word_attention,
    thumbnails,
    token_focus,
)
from core.attention import is_decoder as _is_decoder
from core.attention import is_seq2seq as _is_seq2seq
from core.corpus import TRANSLATIONS, context_source, summarize_source, translate_source
from core.text import clean_text
from ui import knobs
from ui.render import input_notes, predict_then_reveal
from ui.urlstate import stable_selectbox, sync_url

_BLUES = sequential.Blues
# white (0) to dark blue (the largest weight), written out: with validation off, the name "Blues"
# reaches plotly.js as its legacy scale, which runs the other way (dark blue at 0, grey at the
# top: the heaviest cells looked like the grey of the causal mask)
COLORSCALE = [[k / (len(_BLUES) - 1), c] for k, c in enumerate(_BLUES)]
MASK_COLOR = "#d9d9d9"  # the causal mask's cells (NaN) show the plot background
PRONOUN = "The animal didn't cross the street because it was too tired."
PRONOUN_TARGETS = ["animal", "street", "because", "tired"]
_LONG_SENTENCE = (
    "Attention lets every token look at the other tokens of the text and mix in what it finds "
    "useful."
)
EXAMPLES = {
    "Pronoun (who is 'it'?)": (PRONOUN, ""),
    "Sentence pair (encoders)": ("The cat sat on the mat.", "It fell asleep in the sun."),
    "Repeated phrase (copy heads)": (
        "Tom gave Lily a red ball. Lily gave Tom a blue cup. Tom gave Lily a red ball.",
        "",
    ),
    "Toy story (tiny-gpt's corpus)": (
        "Once upon a time there was a little cat named Tom. Tom liked to play in the garden. "
        "One day Tom saw a big dog.",
        "",
    ),
    "Long text (512 tokens)": (" ".join([_LONG_SENTENCE] * 30), ""),
}


def plot_labels(labels: Sequence[str]) -> list[str]:
    """Token labels as plotly shows them literally: it reads ``<...>`` as markup, so ``</s>``
    (T5's end token) would vanish and a typed ``<b>`` would turn the rest bold."""
    return [t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in labels]


def plotly_config(filename: str) -> dict:
    """Plotly toolbar with a PNG export of the figure (no kaleido needed: the browser draws it)."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


@st.cache_resource(max_entries=12, show_spinner="Running the model with output_attentions=True...")
def cached_attention(text: str, pair: str | None, model: str) -> AttentionResult:
    """One forward pass per (text, pair, model), shared by every session (arrays are read-only)."""
    return attention_maps(text, model, text_pair=pair or None)


@st.cache_resource(max_entries=12)
def cached_summary(text: str, pair: str | None, model: str) -> HeadSummary:
    return head_summary(cached_attention(text, pair, model))


@st.cache_resource(max_entries=12, show_spinner="Running the encoder-decoder, teacher-forced...")
def cached_seq2seq(source: str, target: str | None, model: str) -> Seq2SeqAttention:
    """One teacher-forced pass per (source, target, model): all three kinds of attention
    (``target`` None: the model first writes its own greedy output)."""
    return seq2seq_attention(source, model, target=target or None)


@st.cache_resource(max_entries=24)
def cached_seq2seq_summary(
    source: str, target: str | None, model: str, kind: AttentionKind
) -> HeadSummary:
    return head_summary(cached_seq2seq(source, target, model).part(kind))


def model_options() -> list[str]:
    """Encoders, decoders and encoder-decoders of the catalog (embedded first)."""
    kinds = ("encoder", "causal-lm", "seq2seq")
    return [s.name for s in models.list_models() if s.kind in kinds]


def _short(t: str, n: int = 12) -> str:
    return t if len(t) <= n else t[: n - 1] + "…"


# --- one head -------------------------------------------------------------------------------------
# Figures are built from plain dicts with plotly's validation off (as on the sampling page):
# validating a heatmap's traces and layout costs more than computing the view, and each slider
# step must stay fast.
def _figure(data: list[dict], layout: dict) -> go.Figure:
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _z(z: np.ndarray) -> np.ndarray:
    """A matrix for plotly: float32, sent as a typed array (NaN cells are drawn as gaps)."""
    return np.ascontiguousarray(z, dtype=np.float32)


AXES = {  # (x title, y title) per kind of attention
    "self": ("attended to (key)", "attending (query)"),
    "encoder": ("source token attended to (key)", "source token attending (query)"),
    "decoder": ("target token attended to (key)", "target token attending (query) → it writes"),
    "cross": ("source token (encoder, key)", "target token (decoder, query) → it writes"),
}
KIND_TITLES = {
    "self": "",
    "encoder": "encoder self-attention",
    "decoder": "decoder self-attention",
    "cross": "cross-attention",
}


def head_figure(r: AttentionResult, v: HeadView, *, selected: int | None = None) -> go.Figure:
    """The selected head as a token x token heatmap; rows attend to columns (in
    cross-attention: decoder tokens in rows, encoder tokens in columns)."""
    labels, keys = plot_labels(r.labels()), plot_labels(r.key_labels())
    ylab = [labels[i] for i in v.rows]
    xlab = [keys[j] for j in v.cols]
    shapes = []
    if selected is not None:  # outline the selected token's row and column
        line = {"color": "#d62728", "width": 1}
        if labels[selected] in ylab:
            shapes.append(
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "yref": "y",
                    "y0": labels[selected],
                    "y1": labels[selected],
                    "line": line,
                }
            )
        if not r.cross and keys[selected] in xlab:  # a cross map's columns are the source's
            shapes.append(
                {
                    "type": "line",
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "xref": "x",
                    "x0": keys[selected],
                    "x1": keys[selected],
                    "line": line,
                }
            )
    n = max(len(ylab), len(xlab))
    size = int(min(900, max(420, 18 * len(ylab) + 160 + (60 if r.writes else 0))))
    xtitle, ytitle = AXES[r.kind]
    what = f" {KIND_TITLES[r.kind]}," if KIND_TITLES[r.kind] else ""
    heat = {
        "type": "heatmap",
        "z": v.drawn,
        "x": xlab,
        "y": ylab,
        "colorscale": COLORSCALE,
        "zmin": 0,
        "hoverongaps": False,
        "colorbar": {"title": {"text": "weight"}, "thickness": 12},
        "hovertemplate": "<b>%{y}</b> attends to <b>%{x}</b><br>weight %{z:.4f}<extra></extra>",
    }
    layout = {
        "height": size,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "plot_bgcolor": MASK_COLOR,
        "shapes": shapes,
        "title": {
            "text": f"{r.model}:{what} layer {v.layer}, head {v.head} (rows attend to columns)"
        },
        "xaxis": {
            "title": {"text": xtitle},
            "tickangle": -60,
            "showgrid": False,
            "type": "category",
            "showticklabels": n <= 80,
        },
        "yaxis": {
            "title": {"text": ytitle},
            "autorange": "reversed",
            "showgrid": False,
            "type": "category",
            "showticklabels": n <= 80,
        },
    }
    return _figure([heat], layout)


def head_csv(r: AttentionResult, v: HeadView) -> bytes:
    """The head's shown weights as CSV: one row per attending token, one column per key."""
    labels, keys = r.labels(), r.key_labels()
    buf = io.StringIO()
    cols = [keys[j] for j in v.cols]
    buf.write(",".join(["query"] + [_csv(c) for c in cols]) + "\n")
    for i, row in zip(v.rows, v.matrix, strict=True):
        buf.write(",".join([_csv(labels[i])] + [f"{x:.6g}" for x in row]) + "\n")
    return buf.getvalue().encode("utf-8")


def _csv(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


# --- many heads, tiled ----------------------------------------------------------------------------
def _tile(
    mats: Sequence[np.ndarray], texts: list[list[list[str]]], ncols: int
) -> tuple[np.ndarray, np.ndarray]:
    """Tile same-size matrices into one, with a NaN gap of one cell between them."""
    h, w = mats[0].shape
    nrows = -(-len(mats) // ncols)
    z = np.full((nrows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    t = np.full(z.shape, "", dtype=object)
    for k, (m, tx) in enumerate(zip(mats, texts, strict=True)):
        r0, c0 = (k // ncols) * (h + 1), (k % ncols) * (w + 1)
        z[r0 : r0 + h, c0 : c0 + w] = m
        t[r0 : r0 + h, c0 : c0 + w] = tx
    return z, t


def _hover_texts(r: AttentionResult, th: Thumbnails) -> list[list[list[str]]]:
    """'L1 H2: 3 it → 5 cat: 0.120' for every cell of every thumbnail (the real weight)."""

    def spans(idx: np.ndarray, starts: np.ndarray, ends: np.ndarray, tokens) -> list[str]:
        if not th.pooled_blocks:  # not pooled: name the tokens
            return [f"{i} {_short(tokens[i], 10)}" for i in idx]
        return [f"tokens {idx[a]}–{idx[b]}" for a, b in zip(starts, ends, strict=True)]

    span = spans(th.tokens, th.starts, th.ends, plot_labels(r.tokens))
    col_span = spans(*th.columns, plot_labels(r.col_tokens)) if r.cross else span
    return [
        [
            [
                f"L{layer} H{head}: {span[a]} → {col_span[b]}: {m[a, b]:.3f}"
                for b in range(m.shape[1])
            ]
            for a in range(m.shape[0])
        ]
        for (layer, head), m in zip(th.heads, th.pooled, strict=True)
    ]


def _tiled(r: AttentionResult, th: Thumbnails, ncols: int, height: int, layout: dict) -> go.Figure:
    z, text = _tile(th.scaled, _hover_texts(r, th), ncols)
    heat = {
        "type": "heatmap",
        "z": _z(z),
        "text": text.tolist(),
        "colorscale": COLORSCALE,
        "zmin": 0,
        "zmax": 1,
        "showscale": False,
        "hoverongaps": False,
        "hovertemplate": "%{text}<extra></extra>",
    }
    axis = {"showgrid": False, "zeroline": False}
    base = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "plot_bgcolor": "white",
        "xaxis": dict(axis),
        "yaxis": {**axis, "autorange": "reversed"},
    }
    for k, v in layout.items():
        base[k] = {**base[k], **v} if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return _figure([heat], base)


def _ident(r: AttentionResult) -> tuple:
    """What identifies a result for a figure cache (hashing its arrays would cost more)."""
    return r.model, r.text, r.text_pair, r.token_ids, r.kind, r.key_token_ids


@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_layer_figure(_r: AttentionResult, ident: tuple, layer: int, hide: bool) -> go.Figure:
    return layer_figure(_r, layer, hide_special=hide)


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_model_figure(_r: AttentionResult, ident: tuple, hide: bool) -> go.Figure:
    return model_figure(_r, hide_special=hide)


def layer_figure(
    r: AttentionResult, layer: int, *, hide_special: bool, size: int = 48, ncols: int = 4
) -> go.Figure:
    """All heads of one layer as small multiples (each pooled to at most size x size)."""
    th = thumbnails(r, [(layer, h) for h in range(r.n_heads)], size, hide_special=hide_special)
    h, w = th.scaled[0].shape
    nrows = -(-r.n_heads // ncols)
    notes = [
        {
            "x": (k % ncols) * (w + 1) + (w - 1) / 2,
            "y": (k // ncols) * (h + 1) - 0.6,
            "text": f"head {k}",
            "showarrow": False,
            "yanchor": "bottom",
            "font": {"size": 12},
        }
        for k in range(r.n_heads)
    ]
    return _tiled(
        r,
        th,
        ncols,
        int(min(1100, 80 + nrows * 230)),
        {
            "annotations": notes,
            "title": {"text": f"Layer {layer}: all {r.n_heads} heads"},
            "margin": {"t": 60},
            "xaxis": {"showticklabels": False},
            "yaxis": {"showticklabels": False},
        },
    )


def model_figure(r: AttentionResult, *, hide_special: bool) -> go.Figure:
    """bertviz's model view: every layer (rows) x head (columns) as a thumbnail."""
    size = 20 if r.n_layers * r.n_heads <= 144 else 12
    heads = [(layer, h) for layer in range(r.n_layers) for h in range(r.n_heads)]
    th = thumbnails(r, heads, size, hide_special=hide_special)
    h, w = th.scaled[0].shape
    return _tiled(
        r,
        th,
        r.n_heads,
        # a cross map is (target x source): its thumbnails are as much flatter (or taller)
        int(min(1400, 110 + r.n_layers * 900 / r.n_heads * (h + 1) / (w + 1))),
        {
            "margin": {"t": 70},
            "xaxis": {
                "constrain": "domain",
                "side": "top",
                "tickvals": [k * (w + 1) + (w - 1) / 2 for k in range(r.n_heads)],
                "ticktext": [f"head {k}" for k in range(r.n_heads)],
            },
            "yaxis": {
                "scaleanchor": "x",
                "constrain": "domain",
                "tickvals": [k * (h + 1) + (h - 1) / 2 for k in range(r.n_layers)],
                "ticktext": [f"layer {k}" for k in range(r.n_layers)],
            },
        },
    )


# --- summary --------------------------------------------------------------------------------------
def summary_figure(s: HeadSummary, metric: str) -> go.Figure:
    """One metric for every (layer, head), as a layer x head heatmap with the values written."""
    m = s.metric(metric)
    heat = {
        "type": "heatmap",
        "z": m.tolist(),
        "x": [f"head {h}" for h in range(m.shape[1])],
        "y": [f"layer {layer}" for layer in range(m.shape[0])],
        "colorscale": "Viridis",
        "text": np.round(m, 2).tolist(),
        "texttemplate": "%{text}",
        "textfont": {"size": 10},
        "customdata": s.pattern.tolist(),
        "colorbar": {"thickness": 12},
        "hovertemplate": "%{y}, %{x}<br>%{z:.3f}<br>pattern: %{customdata}<extra></extra>",
    }
    return _figure(
        [heat],
        {
            "height": int(min(900, 120 + 42 * m.shape[0])),
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "title": {"text": HEAD_METRICS[metric]},
            "yaxis": {"autorange": "reversed"},
        },
    )


# --- the selected token ---------------------------------------------------------------------------
def token_bars(r: AttentionResult, v: HeadView, index: int, *, top: int = 10) -> go.Figure:
    """Two bar charts: whom the token attends to (its row) and who attends to it (its column);
    in cross-attention only the first (the source's tokens attend to nothing of the target)."""
    labels, keys = plot_labels(r.labels()), plot_labels(r.key_labels())
    focus = token_focus(r, v, index, top=top)
    data = []
    sides = [(focus.attends_to, focus.attends_to_weights, keys)]
    if not r.cross:
        sides.append((focus.attended_by, focus.attended_by_weights, labels))
    for k, (tokens, weights, names) in enumerate(sides, start=1):
        data.append(
            {
                "type": "bar",
                "x": weights[::-1].tolist(),  # heaviest at the top
                "y": [names[j] for j in tokens[::-1]],
                "orientation": "h",
                "marker": {"color": "#1f77b4"},
                "xaxis": f"x{k}" if k > 1 else "x",
                "yaxis": f"y{k}" if k > 1 else "y",
                "hovertemplate": "%{y}: %{x:.4f}<extra></extra>",
            }
        )
    tok = html.escape(r.tokens[index])
    titles = [(0.1875, f"'{tok}' attends to"), (0.8125, f"who attends to '{tok}'")]
    xaxis = {"title": {"text": "weight"}, "rangemode": "tozero"}
    first = [0, 0.375]
    if r.cross:
        titles, first = [(0.5, f"'{tok}' looks at these source tokens")], [0, 1]
    return _figure(
        data,
        {
            "height": 90 + 26 * top,
            "showlegend": False,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "xaxis": {**xaxis, "domain": first, "anchor": "y"},
            "xaxis2": {**xaxis, "domain": [0.625, 1], "anchor": "y2", "visible": not r.cross},
            "yaxis": {"anchor": "x", "type": "category"},
            "yaxis2": {"anchor": "x2", "type": "category", "visible": not r.cross},
            "annotations": [
                {
                    "text": t,
                    "x": x,
                    "y": 1,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 16},
                }
                for x, t in titles
            ],
        },
    )


def token_text_html(r: AttentionResult, v: HeadView, index: int) -> str:
    """The text with each token shaded by how much the selected token attends to it (in
    cross-attention: the source's tokens, shaded by how much the decoder token looks at them)."""
    focus = token_focus(r, v, index)
    spans = []
    for i, (tok, w, shade) in enumerate(
        zip(r.col_tokens, focus.weights.tolist(), focus.shade.tolist(), strict=True)
    ):
        style = f"background: rgba(31,119,180,{shade:.2f}); padding: 1px 3px; margin: 1px;"
        if shade > 0.6:  # dark text on a dark cell is hard to read
            style += " color: white;"
        style += " border-radius: 4px; display: inline-block;"
        if i == index and not r.cross:
            style += " outline: 2px solid #d62728;"
        spans.append(
            f'<span title="{i}: {html.escape(tok)} ({w:.3f})" style="{style}">'
            f"{html.escape(tok)}</span>"
        )
    return '<div style="line-height: 1.9; font-family: monospace;">' + "".join(spans) + "</div>"


# --- page pieces ----------------------------------------------------------------------------------
MAX_CHARS = 20_000  # far more than 512 tokens; the rest of a huge paste is cut with a notice
CUSTOM = "Other hub id..."
FILTER_LABELS = {"all": "all", "A->A": "A → A", "A->B": "A → B", "B->A": "B → A", "B->B": "B → B"}


def model_label(name: str) -> str:
    if name == CUSTOM:
        return name
    spec = models.MODELS[name]
    role = {"causal-lm": "decoder", "seq2seq": "encoder-decoder"}.get(spec.kind, "encoder")
    return f"{spec.label}, {role}"


def filter_label(f: str) -> str:
    return FILTER_LABELS.get(f, f)


@st.cache_data(max_entries=64, show_spinner=False)
def is_decoder(name: str) -> bool:
    """Whether ``name`` is a causal LM (cached: a hub id's config is read once)."""
    return _is_decoder(name)


@st.cache_data(max_entries=64, show_spinner=False)
def is_seq2seq(name: str) -> bool:
    """Whether ``name`` is an encoder-decoder (cached: a hub id's config is read once)."""
    return _is_seq2seq(name)


def result_caption(r: AttentionResult) -> None:
    dev = r.row_sum_deviation
    kind = "decoder (causal: sees only earlier tokens)" if r.causal else "encoder (bidirectional)"
    size = f"{r.n_tokens} tokens"
    if r.kind != "self":

        def count(n: int, what: str) -> str:
            return f"{n} {what} token{'s' if n != 1 else ''}"

        kind = KIND_LABELS[r.kind].lower() + " " + KIND_MASKS[r.kind]
        size = count(r.n_tokens, "source" if r.kind == "encoder" else "target")
        if r.cross:
            size = f"{count(r.n_tokens, 'target')} × {count(r.n_keys, 'source')}"
    st.caption(
        f"**{r.model}**, {kind}: {size} · {r.n_layers} layers × {r.n_heads} heads · "
        f"forward pass {r.seconds * 1000:.0f} ms · every row sums to 1 "
        f"(largest deviation {dev:.1e})"
    )


VIEWS = ["One head", "All heads of this layer", "Model view (layers x heads)", "Head summary"]


def clamp_state(r: AttentionResult) -> None:
    """Bring layer and head back in range when the model or the text changed."""
    ss = st.session_state
    ss["attention_layer"] = min(max(int(ss["attention_layer"]), 0), r.n_layers - 1)
    ss["attention_head"] = min(max(int(ss["attention_head"]), 0), r.n_heads - 1)


def follow_token(r: AttentionResult) -> None:
    """Keep the selected token when the tokens around it are the same; when the text or the
    model changed the token at that index, go to the default token (``it``, or the first plain
    one) instead of keeping an index that now points at another word."""
    ss = st.session_state
    before, i = ss.get("attention_token_tokens"), ss.get("attention_token")
    if before is not None and tuple(before) != r.tokens:
        same = isinstance(i, int) and 0 <= i < min(len(before), r.n_tokens)
        if not (same and before[i] == r.tokens[i]):
            ss["attention_token"] = default_token(r)
    ss["attention_token_tokens"] = r.tokens


def view_notes(r: AttentionResult, v: HeadView) -> None:
    if v.renormalized:
        st.info(
            "Special tokens are hidden, and each row was **renormalized** to sum to 1 over the "
            "remaining tokens: the weights shown are rescaled, not the raw ones.",
            icon=":material/visibility_off:",
        )
    if v.threshold:
        st.caption(f"Threshold {v.threshold:.2f}: {v.below_threshold} smaller weights are blanked.")


def render_head(r: AttentionResult, v: HeadView, selected: int) -> None:
    """The selected head at full size, the causal mask explained, exports, the token explorer."""
    if r.causal:
        above = r.max_above_diagonal(v.layer, v.head)
        st.info(
            "**Causal mask.** A decoder predicts the next token, so token *i* may only look at "
            "tokens 0…*i*: the grey triangle above the diagonal is masked (set to −∞ before the "
            f"softmax). Largest weight above the diagonal in this head: {above:.1f}.",
            icon=":material/change_history:",
        )
    if r.writes:
        st.caption(
            "Each row is a decoder position: it reads its token and writes the next one (shown "
            "after →). The first input, `<pad>`, is T5's start token."
        )
    fname = f"attention_{r.model}_L{v.layer}_H{v.head}".replace("/", "_")
    st.plotly_chart(
        head_figure(r, v, selected=selected), config=plotly_config(fname), width="stretch"
    )
    c1, c2 = st.columns([1, 3])
    c1.download_button(
        "Weights as CSV",
        functools.partial(head_csv, r, v),  # built only when downloaded
        f"{fname}.csv",
        "text/csv",
        key="attention_csv",
        icon=":material/download:",
    )
    c2.caption(
        "PNG: use the camera icon in the chart's toolbar. The CSV holds the weights shown "
        "(after hiding special tokens, the pair filter and the threshold)."
    )
    what = (
        "the source shaded by how much it looks at each source token"
        if r.cross
        else "the text shaded by how much it attends to each token"
    )
    st.markdown(f"**Token {selected} `{r.tokens[selected]}`**: {what} (this head)")
    st.html(token_text_html(r, v, selected))
    st.plotly_chart(
        token_bars(r, v, selected),
        config=plotly_config(f"{fname}_token{selected}"),
        width="stretch",
    )


def render_views(
    r: AttentionResult,
    view: HeadView,
    cfg,
    selected: int,
    text: str,
    pair: str | None,
    name: str,
    kind: AttentionKind = "self",
) -> None:
    """The four views as keyed tabs with fixed labels: the chosen view survives every rerun (a
    layer change no longer jumps back to "One head"), and only the open one is drawn."""
    tabs = st.tabs(VIEWS, key="attention_view", on_change="rerun")
    drawn = [t.open is not False for t in tabs]  # None (no state yet): draw every view
    if drawn[0]:
        with tabs[0]:
            render_head(r, view, selected)
    if drawn[1]:
        with tabs[1]:
            render_layer(r, cfg)
    if drawn[2]:
        with tabs[2]:
            render_model(r, cfg)
    if drawn[3]:
        with tabs[3]:
            render_summary(r, text, pair, name, kind)


def render_layer(r: AttentionResult, cfg) -> None:
    if r.n_tokens > 48:
        st.caption(
            f"{r.n_tokens} tokens: each head is averaged into 48 × 48 blocks "
            "(the 'One head' tab draws the selected head at full size)."
        )
    st.caption("Each thumbnail is scaled to its own maximum; hover for the real weight.")
    # cached: the figure is only read by st.plotly_chart, and a layer revisited costs nothing
    fig = _cached_layer_figure(r, _ident(r), cfg.layer, cfg.hide_special)
    st.plotly_chart(
        fig, config=plotly_config(f"attention_{r.model}_layer{cfg.layer}"), width="stretch"
    )


def render_model(r: AttentionResult, cfg) -> None:
    what = "target token × source token" if r.cross else "token × token"
    st.caption(
        "Every head of every layer, like bertviz's model view: rows are layers, columns "
        f"heads; each thumbnail is a (block-averaged) {what} map."
    )
    st.plotly_chart(
        _cached_model_figure(r, _ident(r), cfg.hide_special),
        config=plotly_config(f"attention_{r.model}_model_view"),
        width="stretch",
    )


def render_summary(
    r: AttentionResult, text: str, pair: str | None, name: str, kind: AttentionKind = "self"
) -> None:
    """The per-head summary; for a seq2seq part, ``text`` and ``pair`` are the source and the
    typed target (None: the model's own output)."""
    if kind == "self":
        s = cached_summary(text, pair, name)
    else:
        s = cached_seq2seq_summary(text, pair, name, kind)
    options = list(metrics_for(r))
    if st.session_state.get("attention_metric") not in options:
        st.session_state["attention_metric"] = options[0]
    if len(options) < len(HEAD_METRICS):
        st.caption(
            "Attention to itself and to the previous token do not apply to cross-attention: "
            "its rows and columns are tokens of two different texts."
        )
    st.selectbox("Metric", options, key="attention_metric", format_func=lambda m: HEAD_METRICS[m])
    st.plotly_chart(
        summary_figure(s, st.session_state["attention_metric"]),
        config=plotly_config(f"attention_{r.model}_summary"),
        width="stretch",
    )
    import pandas as pd

    df = pd.DataFrame(s.rows())
    st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        height=300,
        column_config={k: st.column_config.NumberColumn(format="%.3f") for k in HEAD_METRICS},
    )
    st.download_button(
        "Summary as CSV",
        df.to_csv(index=False).encode(),
        "head_summary.csv",
        "text/csv",
        key="attention_summary_csv",
    )


@st.fragment
def explorer(
    r: AttentionResult, text: str, pair: str | None, name: str, kind: AttentionKind = "self"
) -> None:
    """Layer, head, filters, the selected token and the four views: each control reruns only
    this part (the forward pass above is not looked up again), and only the open view draws.
    For a seq2seq model ``r`` is one ``kind`` of its attention, ``text`` the source and
    ``pair`` the typed target."""
    clamp_state(r)
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1.2])
    c1.slider("Layer", 0, r.n_layers - 1, key="attention_layer", help="0 is the first layer.")
    c2.slider("Head", 0, r.n_heads - 1, key="attention_head")
    knobs.slider(ViewConfig, "threshold", key="attention_threshold", label="Threshold", where=c3)
    c4.toggle(
        "Hide special tokens",
        key="attention_hide_special",
        help="Drop [CLS]/[SEP]-like tokens and renormalize each row to sum to 1.",
    )
    if r.has_pair:
        st.segmented_control(
            "Pair filter (rows → columns)",
            PAIR_FILTERS,
            key="attention_filter",
            format_func=filter_label,
        )
    ss = st.session_state
    cfg = ViewConfig(
        ss["attention_layer"],
        ss["attention_head"],
        ss["attention_threshold"],
        ss["attention_hide_special"],
        (ss["attention_filter"] or "all") if r.has_pair else "all",
    )
    hv = head_view(r, cfg)
    view_notes(r, hv)
    selected = stable_selectbox(
        "Selected token" if not r.cross else "Selected target token (a row)",
        list(range(r.n_tokens)),
        key="attention_token",
        format_func=lambda i: f"{i}: {r.tokens[i]}",
        fallback=default_token(r),
        help="Its row and column are outlined in the head's map; the views below follow it.",
    )
    render_views(r, hv, cfg, selected, text, pair, name, kind)
    sync_url()


# --- encoder-decoders -----------------------------------------------------------------------------
KIND_LABELS = {
    "encoder": "Encoder self-attention",
    "decoder": "Decoder self-attention",
    "cross": "Cross-attention",
}
KIND_MASKS = {
    "encoder": "(bidirectional: no mask)",
    "decoder": "(causal mask)",
    "cross": "(no mask: every source token is visible)",
}
KIND_HELP = {
    "encoder": "Bidirectional: every source token looks at every other source token, before "
    "and after it. No mask.",
    "decoder": "Causal: each token of the output looks only at itself and the tokens written "
    "before it. The upper triangle is empty (masked).",
    "cross": "Each written token looks at the source: rows are the decoder's tokens, columns "
    "the encoder's. No mask: the whole source is visible at every step.",
}
S2S_SOURCE = translate_source("cat dog")
S2S_EXAMPLES = {  # name: (source, target; "" = the model's own output)
    "Translation (the model's own output)": (S2S_SOURCE, ""),
    "Translation, target typed": (translate_source("the red cat", "Spanish"), "el gato rojo"),
    "Question about a context": (
        context_source("Tom is in the garden. Lily is at school.", "Where is Lily?"),
        "",
    ),
    "Summary": (
        summarize_source(
            "Once upon a time there was a little cat named Tom. Tom liked to play in the "
            "garden. One day Tom saw a big dog and ran home."
        ),
        "",
    ),
}


S2S_NOTICE = [
    "Encoder self-attention is bidirectional, like minilm's: the whole square is filled.",
    "Decoder self-attention is causal, like tiny-gpt's: the upper triangle is exactly 0.",
    "Cross-attention is where the output meets the source: pick a target token and see which "
    "source words it looks at while writing the next token.",
    "The decoder's first input is its start token (`<pad>` in T5); each row writes the token "
    "shown after → (teacher forcing: the target is fed in, not sampled).",
]


def mask_html(kind: str, n: int = 5, m: int = 7) -> str:
    """A small grid picturing the mask of one kind of attention: filled cells may be attended
    to, empty ones are masked (n x n for self-attention, n x m target x source for cross)."""
    rows, cols = (n, m) if kind == "cross" else (n, n)
    cell = "width: 11px; height: 11px; display: inline-block; margin: 1px; border-radius: 2px;"
    grid = []
    for i in range(rows):
        line = []
        for j in range(cols):
            seen = kind != "decoder" or j <= i
            color = "#1f77b4" if seen else "#ececec"
            line.append(f'<span style="{cell} background: {color};"></span>')
        grid.append('<div style="line-height: 0;">' + "".join(line) + "</div>")
    axes = {
        "encoder": "source × source",
        "decoder": "target × target",
        "cross": "target (rows) × source (columns)",
    }[kind]
    return (
        '<div style="display: flex; gap: 10px; align-items: center;">'
        f'<div>{"".join(grid)}</div><div style="font-size: 0.8rem; color: #555;">'
        f"{html.escape(axes)}<br>blue: may attend · grey: masked</div></div>"
    )


def _s2s_example() -> None:
    source, target = S2S_EXAMPLES[st.session_state["attention_s2s_example"]]
    st.session_state["attention_source"], st.session_state["attention_target"] = source, target


def seq2seq_inputs(where) -> None:
    """The source and target boxes and the attention kind, with what each kind sees."""
    where.selectbox(
        "Examples",
        list(S2S_EXAMPLES),
        key="attention_s2s_example",
        index=None,
        placeholder="Load an example source...",
        on_change=_s2s_example,
    )
    st.text_area(
        "Source (what the encoder reads)",
        key="attention_source",
        height=80,
        help="tiny-t5 knows four formats: 'translate English to French: …', "
        "'question: … context: …', 'summarize: …' and 'sentiment: …'.",
    )
    st.text_input(
        "Target (what the decoder writes)",
        key="attention_target",
        placeholder="Leave empty: the model writes its own answer (greedy)",
        help="Teacher forcing: the decoder reads its start token, then these tokens.",
    )
    c_kind, c_mask = st.columns([3, 2])
    with c_kind:
        st.segmented_control(
            "Attention kind",
            SEQ2SEQ_KINDS,
            key="attention_kind",
            format_func=KIND_LABELS.get,
            required=True,
        )
        kind = st.session_state["attention_kind"]
        st.caption(KIND_HELP[kind])
    with c_mask:
        st.html(mask_html(kind))


def seq2seq_page(name: str, where) -> None:
    """The encoder-decoder mode: inputs, one cached teacher-forced pass, the chosen kind's
    explorer. Stops the page with a message on empty input or a model that cannot run."""
    seq2seq_inputs(where)
    ss = st.session_state
    source = clean_text(ss["attention_source"], max_chars=MAX_CHARS, strip_controls=True)
    target = clean_text(ss["attention_target"], max_chars=MAX_CHARS, strip_controls=True)
    input_notes(source)
    input_notes(target)
    if source.empty:
        st.info("Type a source (or load an example) to see its attention.", icon=":material/edit:")
        sync_url()
        st.stop()
    typed = target.text.strip() or None
    try:
        res = cached_seq2seq(source.text, typed, name)
    except (models.ModelUnavailableError, ValueError) as e:
        st.error(str(e), icon=":material/error:")
        sync_url()
        st.stop()
    for note in res.notes:
        st.warning(note, icon=":material/content_cut:")
    seq2seq_caption(res)
    kind = ss["attention_kind"]
    r = res.part(kind)
    result_caption(r)
    follow_token(r)
    explorer(r, source.text, typed, name, kind)


ASK_TARGET = " ".join(TRANSLATIONS[w]["French"] for w in ("cat", "dog"))  # "chat chien"
ASK_SOURCE_WORD = "dog"  # the word 'chien' translates
ASK_WORDS = ["translate", "English", "French", "cat", "dog"]


def seq2seq_question(name: str) -> None:
    """Predict, then reveal: which source word the decoder looks at while writing 'chien'."""
    writing = ASK_TARGET.split()[-1]

    def reveal() -> tuple[str, str]:
        res = cached_seq2seq(S2S_SOURCE, ASK_TARGET, name)
        scores = source_word_attention(res, writing, ASK_WORDS, layer=res.cross.n_layers - 1)
        best = max(scores, key=scores.__getitem__)
        shares = ", ".join(f"{w}: {v:.3f}" for w, v in scores.items())
        why = (
            " Attention is not a word-for-word dictionary: a head may follow the task (the "
            f"language asked for) more than the word being translated ('{ASK_SOURCE_WORD}'). "
            "Look at the other layers and heads above with this target."
            if best != ASK_SOURCE_WORD
            else ""
        )
        return best, (
            f"Measured on {name}'s cross-attention, last layer, mean of {res.cross.n_heads} "
            f"heads, at the position writing '{writing}': {shares}.{why}"
        )

    predict_then_reveal(
        "attention_s2s_predict",
        f"Translating “{S2S_SOURCE}” into `{ASK_TARGET}`: while **{name}** writes "
        f"**{writing}**, which source word does its cross-attention look at most (last layer, "
        "averaged over its heads)?",
        ASK_WORDS,
        reveal,
    )


def seq2seq_caption(res: Seq2SeqAttention) -> None:
    """Where the target came from, for a learner reading the map."""
    if res.target_from_model:
        shown = res.target.strip() or "(nothing)"
        st.markdown(
            f"**{res.model}'s own output** (greedy, {res.generate_seconds * 1000:.0f} ms): "
            f"`{shown}` — the decoder reads it back, teacher-forced."
        )
    else:
        st.markdown(f"**Target typed**: `{res.target}` — teacher-forced into the decoder.")
