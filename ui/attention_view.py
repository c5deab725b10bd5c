"""Drawing for the attention page: the cached core call, plotly figures, the token explorer.

Figures stay light for long inputs: the selected head is drawn at full size (up to 512 x 512
cells, hover on each), every other head is block-averaged into a small thumbnail, and all
thumbnails of a view are tiled into ONE heatmap trace instead of dozens of subplots.
"""

from __future__ import annotations

import html
import io

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import models
from core.attention import (
    HEAD_METRICS,
    AttentionResult,
    HeadSummary,
    HeadView,
    attention_maps,
    head_summary,
    head_weights,
    pool,
)

COLORSCALE = "Blues"
MASK_COLOR = "#d9d9d9"  # the causal mask's cells (NaN) show the plot background
PRONOUN = "The animal didn't cross the street because it was too tired."
PRONOUN_TARGETS = ["animal", "street", "because", "tired"]
EXAMPLES = {
    "Pronoun (who is 'it'?)": (PRONOUN, ""),
    "Sentence pair (encoders)": ("The cat sat on the mat.", "It fell asleep in the sun."),
    "Repeated phrase (copy heads)": (
        "Tom gave Lily a red ball. Lily gave Tom a blue cup. Tom gave Lily a red ball.", ""),
    "Toy story (tiny-gpt's corpus)": (
        "Once upon a time there was a little cat named Tom. Tom liked to play in the garden. "
        "One day Tom saw a big dog.", ""),
    "Long text (512 tokens)": (" ".join(
        ["Attention lets every token look at the other tokens of the text and mix in what it "
         "finds useful."] * 30), ""),
}  # fmt: skip


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


def model_options() -> list[str]:
    """Encoders and decoders of the catalog (embedded first)."""
    return [s.name for s in models.list_models() if s.kind in ("encoder", "causal-lm")]


def _short(t: str, n: int = 12) -> str:
    return t if len(t) <= n else t[: n - 1] + "…"


# --- one head -------------------------------------------------------------------------------------
def head_figure(r: AttentionResult, v: HeadView, *, selected: int | None = None) -> go.Figure:
    """The selected head as a token x token heatmap; rows attend to columns."""
    labels = r.labels()
    ylab = [labels[i] for i in v.rows]
    xlab = [labels[j] for j in v.cols]
    z = np.where(v.masked, np.nan, v.matrix)
    fig = go.Figure(
        go.Heatmap(
            z=z, x=xlab, y=ylab, colorscale=COLORSCALE, zmin=0, hoverongaps=False,
            colorbar=dict(title="weight", thickness=12),
            hovertemplate="<b>%{y}</b> attends to <b>%{x}</b><br>weight %{z:.4f}<extra></extra>",
        )
    )  # fmt: skip
    if selected is not None:  # outline the selected token's row and column
        if labels[selected] in ylab:
            fig.add_hline(y=labels[selected], line=dict(color="#d62728", width=1))
        if labels[selected] in xlab:
            fig.add_vline(x=labels[selected], line=dict(color="#d62728", width=1))
    n = max(len(ylab), len(xlab))
    size = int(min(900, max(420, 18 * n + 160)))
    fig.update_layout(
        height=size, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor=MASK_COLOR,
        title=f"{r.model}: layer {v.layer}, head {v.head} (rows attend to columns)",
        xaxis=dict(title="attended to (key)", tickangle=-60, showgrid=False),
        yaxis=dict(title="attending (query)", autorange="reversed", showgrid=False),
    )  # fmt: skip
    if n > 80:
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False)
    return fig


def head_csv(r: AttentionResult, v: HeadView) -> bytes:
    """The head's shown weights as CSV: one row per attending token, one column per key."""
    labels = r.labels()
    buf = io.StringIO()
    cols = [labels[j] for j in v.cols]
    buf.write(",".join(["query"] + [_csv(c) for c in cols]) + "\n")
    for i, row in zip(v.rows, v.matrix, strict=True):
        buf.write(",".join([_csv(labels[i])] + [f"{x:.6g}" for x in row]) + "\n")
    return buf.getvalue().encode("utf-8")


def _csv(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


# --- many heads, tiled ----------------------------------------------------------------------------
def _tile(
    mats: list[np.ndarray], texts: list[list[list[str]]], ncols: int
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


def _thumbs(r: AttentionResult, heads: list[tuple[int, int]], size: int, hide_special: bool
            ) -> tuple[list[np.ndarray], list[list[list[str]]]]:  # fmt: skip
    """Each head pooled to at most size x size, scaled to its own maximum, with hover texts."""
    idx = head_weights(r, 0, 0, hide_special)[1]
    mask = np.triu(np.ones((len(idx), len(idx))), 1) if r.causal else None
    starts = pool(np.zeros((len(idx), len(idx))), size)[1]
    ends = np.append(starts[1:], len(idx)) - 1
    if len(starts) == len(idx):  # not pooled: name the tokens
        span = [f"{i} {_short(r.tokens[i], 10)}" for i in idx]
    else:
        span = [f"tokens {idx[a]}–{idx[b]}" for a, b in zip(starts, ends, strict=True)]
    masked = (pool(mask, size)[0] >= 1.0 - 1e-9) if mask is not None else None
    mats, texts = [], []
    for layer, head in heads:
        m = pool(head_weights(r, layer, head, hide_special)[0], size)[0]
        shown = m / max(float(np.nanmax(m)), 1e-12)
        if masked is not None:
            shown = np.where(masked, np.nan, shown)
        mats.append(shown)
        texts.append([
            [f"L{layer} H{head}: {span[a]} → {span[b]}: {m[a, b]:.3f}"
             for b in range(m.shape[1])] for a in range(m.shape[0])
        ])  # fmt: skip
    return mats, texts


def _tiled_figure(z: np.ndarray, text: np.ndarray, height: int) -> go.Figure:
    fig = go.Figure(
        go.Heatmap(z=z, text=text, colorscale=COLORSCALE, zmin=0, zmax=1, showscale=False,
                   hoverongaps=False, hovertemplate="%{text}<extra></extra>")
    )  # fmt: skip
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white")
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(showgrid=False, zeroline=False, autorange="reversed")
    return fig


def layer_figure(r: AttentionResult, layer: int, *, hide_special: bool, size: int = 48,
                 ncols: int = 4) -> go.Figure:  # fmt: skip
    """All heads of one layer as small multiples (each pooled to at most size x size)."""
    heads = [(layer, h) for h in range(r.n_heads)]
    mats, texts = _thumbs(r, heads, size, hide_special)
    z, text = _tile(mats, texts, ncols)
    h, w = mats[0].shape
    nrows = -(-r.n_heads // ncols)
    fig = _tiled_figure(z, text, height=int(min(1100, 80 + nrows * 230)))
    for k in range(r.n_heads):
        fig.add_annotation(
            x=(k % ncols) * (w + 1) + (w - 1) / 2, y=(k // ncols) * (h + 1) - 0.6,
            text=f"head {k}", showarrow=False, yanchor="bottom", font=dict(size=12),
        )  # fmt: skip
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(title=f"Layer {layer}: all {r.n_heads} heads", margin=dict(t=60))
    return fig


def model_figure(r: AttentionResult, *, hide_special: bool) -> go.Figure:
    """bertviz's model view: every layer (rows) x head (columns) as a thumbnail."""
    size = 20 if r.n_layers * r.n_heads <= 144 else 12
    heads = [(layer, h) for layer in range(r.n_layers) for h in range(r.n_heads)]
    mats, texts = _thumbs(r, heads, size, hide_special)
    z, text = _tile(mats, texts, r.n_heads)
    h, w = mats[0].shape
    fig = _tiled_figure(z, text, height=int(min(1400, 110 + r.n_layers * 900 / r.n_heads)))
    fig.update_layout(margin=dict(t=70))
    fig.update_yaxes(scaleanchor="x", constrain="domain")  # square thumbnails
    fig.update_xaxes(constrain="domain")
    fig.update_xaxes(
        tickvals=[k * (w + 1) + (w - 1) / 2 for k in range(r.n_heads)],
        ticktext=[f"head {k}" for k in range(r.n_heads)], side="top",
    )  # fmt: skip
    fig.update_yaxes(
        tickvals=[k * (h + 1) + (h - 1) / 2 for k in range(r.n_layers)],
        ticktext=[f"layer {k}" for k in range(r.n_layers)],
    )  # fmt: skip
    return fig


# --- summary --------------------------------------------------------------------------------------
def summary_figure(s: HeadSummary, metric: str) -> go.Figure:
    """One metric for every (layer, head), as a layer x head heatmap with the values written."""
    m = s.metric(metric)
    fig = go.Figure(
        go.Heatmap(
            z=m, x=[f"head {h}" for h in range(m.shape[1])],
            y=[f"layer {layer}" for layer in range(m.shape[0])], colorscale="Viridis",
            text=np.round(m, 2), texttemplate="%{text}", textfont=dict(size=10),
            customdata=s.pattern, colorbar=dict(thickness=12),
            hovertemplate="%{y}, %{x}<br>%{z:.3f}<br>pattern: %{customdata}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        height=int(min(900, 120 + 42 * m.shape[0])), margin=dict(l=10, r=10, t=40, b=10),
        title=HEAD_METRICS[metric], yaxis=dict(autorange="reversed"),
    )  # fmt: skip
    return fig


# --- the selected token ---------------------------------------------------------------------------
def token_bars(r: AttentionResult, v: HeadView, index: int, *, top: int = 10) -> go.Figure:
    """Two bar charts: whom the token attends to (its row) and who attends to it (its column)."""
    from plotly.subplots import make_subplots

    labels = r.labels()
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.25,
        subplot_titles=(f"'{r.tokens[index]}' attends to", f"who attends to '{r.tokens[index]}'"),
    )  # fmt: skip
    for col, (vec, names) in enumerate((_row(v, index, labels), _col(v, index, labels)), start=1):
        nonzero = np.flatnonzero(vec > 0)  # masked (future) and blanked cells are left out
        order = nonzero[np.argsort(-vec[nonzero], kind="stable")][:top][::-1]
        fig.add_trace(
            go.Bar(x=vec[order], y=[names[k] for k in order], orientation="h",
                   marker_color="#1f77b4", hovertemplate="%{y}: %{x:.4f}<extra></extra>"),
            row=1, col=col,
        )  # fmt: skip
    fig.update_layout(height=90 + 26 * top, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(title="weight", rangemode="tozero")
    return fig


def _row(v: HeadView, index: int, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    hit = np.flatnonzero(v.rows == index)
    vec = v.matrix[hit[0]] if len(hit) else np.zeros(len(v.cols))
    return vec, [labels[j] for j in v.cols]


def _col(v: HeadView, index: int, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    hit = np.flatnonzero(v.cols == index)
    vec = v.matrix[:, hit[0]] if len(hit) else np.zeros(len(v.rows))
    return vec, [labels[i] for i in v.rows]


def token_text_html(r: AttentionResult, v: HeadView, index: int) -> str:
    """The text with each token shaded by how much the selected token attends to it."""
    vec, _ = _row(v, index, r.labels())
    weight = dict(zip(v.cols.tolist(), vec.tolist(), strict=True))
    top = max(vec.max() if len(vec) else 0.0, 1e-12)
    spans = []
    for i, tok in enumerate(r.tokens):
        w = weight.get(i, 0.0)
        style = f"background: rgba(31,119,180,{w / top:.2f}); padding: 1px 3px; margin: 1px;"
        style += " border-radius: 4px; display: inline-block;"
        if i == index:
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
    role = "decoder" if spec.kind == "causal-lm" else "encoder"
    return f"{spec.label}, {role}"


def filter_label(f: str) -> str:
    return FILTER_LABELS.get(f, f)


@st.cache_data(max_entries=64, show_spinner=False)
def is_decoder(name: str) -> bool:
    """Whether ``name`` is a causal LM (unknown or unreachable models count as encoders)."""
    from core.attention import _kind_of

    try:
        return _kind_of(name) == "causal-lm"
    except models.ModelUnavailableError:
        return False


def result_caption(r: AttentionResult) -> None:
    dev = max(float(np.abs(w.sum(-1, dtype=np.float64) - 1.0).max()) for w in r.layers)
    kind = "decoder (causal: sees only earlier tokens)" if r.causal else "encoder (bidirectional)"
    st.caption(
        f"**{r.model}**, {kind}: {r.n_tokens} tokens · {r.n_layers} layers × {r.n_heads} heads · "
        f"forward pass {r.seconds * 1000:.0f} ms · every row sums to 1 "
        f"(largest deviation {dev:.1e})"
    )


def default_token(r: AttentionResult) -> int:
    """'it' when the text has it (the classic question), else the first ordinary token (the
    last one for a decoder: it is the token that sees the whole text)."""
    from core.attention import word_tokens

    hit = word_tokens(r, "it")
    if hit:
        return hit[0]
    plain = np.flatnonzero(~r.special)
    if not len(plain):
        return 0
    return int(plain[-1] if r.causal else plain[0])


def clamp_state(r: AttentionResult) -> None:
    """Bring layer, head and token back in range when the model or the text changed."""
    ss = st.session_state
    ss["attention_layer"] = min(max(int(ss["attention_layer"]), 0), r.n_layers - 1)
    ss["attention_head"] = min(max(int(ss["attention_head"]), 0), r.n_heads - 1)
    if not 0 <= int(ss["attention_token"]) < r.n_tokens:
        ss["attention_token"] = default_token(r)


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
        above = float(np.triu(r.head(v.layer, v.head), 1).max()) if r.n_tokens > 1 else 0.0
        st.info(
            "**Causal mask.** A decoder predicts the next token, so token *i* may only look at "
            "tokens 0…*i*: the grey triangle above the diagonal is masked (set to −∞ before the "
            f"softmax). Largest weight above the diagonal in this head: {above:.1f}.",
            icon=":material/change_history:",
        )
    fname = f"attention_{r.model}_L{v.layer}_H{v.head}".replace("/", "_")
    st.plotly_chart(head_figure(r, v, selected=selected), config=plotly_config(fname),
                    width="stretch")  # fmt: skip
    c1, c2 = st.columns([1, 3])
    c1.download_button("Weights as CSV", head_csv(r, v), f"{fname}.csv", "text/csv",
                       key="attention_csv", icon=":material/download:")  # fmt: skip
    c2.caption("PNG: use the camera icon in the chart's toolbar. The CSV holds the weights shown "
               "(after hiding special tokens, the pair filter and the threshold).")  # fmt: skip
    st.markdown(f"**Token {selected} `{r.tokens[selected]}`**: the text shaded by how much it "
                "attends to each token (this head)")  # fmt: skip
    st.html(token_text_html(r, v, selected))
    st.plotly_chart(token_bars(r, v, selected), config=plotly_config(f"{fname}_token{selected}"),
                    width="stretch")  # fmt: skip


def render_layer(r: AttentionResult, cfg) -> None:
    if r.n_tokens > 48:
        st.caption(f"{r.n_tokens} tokens: each head is averaged into 48 × 48 blocks "
                   "(the 'One head' tab draws the selected head at full size).")  # fmt: skip
    st.caption("Each thumbnail is scaled to its own maximum; hover for the real weight.")
    fig = layer_figure(r, cfg.layer, hide_special=cfg.hide_special)
    st.plotly_chart(fig, config=plotly_config(f"attention_{r.model}_layer{cfg.layer}"),
                    width="stretch")  # fmt: skip


def render_model(r: AttentionResult, cfg) -> None:
    st.caption("Every head of every layer, like bertviz's model view: rows are layers, columns "
               "heads; each thumbnail is a (block-averaged) token × token map.")  # fmt: skip
    st.plotly_chart(model_figure(r, hide_special=cfg.hide_special),
                    config=plotly_config(f"attention_{r.model}_model_view"),
                    width="stretch")  # fmt: skip


def render_summary(r: AttentionResult, text: str, pair: str | None, name: str) -> None:
    s = cached_summary(text, pair, name)
    st.selectbox("Metric", list(HEAD_METRICS), key="attention_metric",
                 format_func=lambda m: HEAD_METRICS[m])  # fmt: skip
    st.plotly_chart(summary_figure(s, st.session_state["attention_metric"]),
                    config=plotly_config(f"attention_{r.model}_summary"),
                    width="stretch")  # fmt: skip
    import pandas as pd

    df = pd.DataFrame(s.rows())
    st.dataframe(df, hide_index=True, width="stretch", height=300,
                 column_config={k: st.column_config.NumberColumn(format="%.3f")
                                for k in HEAD_METRICS})  # fmt: skip
    st.download_button("Summary as CSV", df.to_csv(index=False).encode(), "head_summary.csv",
                       "text/csv", key="attention_summary_csv")  # fmt: skip
