"""Drawing for the prompt-shot page: highlighted prompts, k-sweep chart, item table, diffs."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core.prompting import Prompt, ShotSweepResult, Task

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
        st.progress(
            share,
            text=f"{prompt.n_tokens} tokens of a {prompt.max_tokens}-token context "
            f"(start token and longest answer included)",
        )
    st.html(prompt_html(prompt))
    for note in prompt.notes:
        st.warning(note, icon=":material/content_cut:")


def sweep_figure(result: ShotSweepResult, chance: float, k_sel: int) -> go.Figure:
    """Accuracy (mean and spread over draws) and prompt tokens against k, context limit drawn."""
    pts = result.points()
    ks = [p.k for p in pts]
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.12,
        subplot_titles=("Accuracy over held-out items", "Prompt length (tokens)"),
    )  # fmt: skip
    fig.add_trace(go.Scatter(
        x=ks, y=[p.accuracy_mean for p in pts], mode="lines+markers", name="accuracy (mean)",
        error_y=dict(type="data", array=[p.accuracy_std for p in pts], visible=True),
        customdata=[[p.accuracy_min, p.accuracy_max, p.n_draws] for p in pts],
        hovertemplate="k=%{x}: %{y:.1%}<br>range %{customdata[0]:.0%}-%{customdata[1]:.0%}"
        " over %{customdata[2]} draws<extra></extra>",
    ), row=1, col=1)  # fmt: skip
    for r in result.runs:
        fig.add_trace(go.Scatter(
            x=[r.k], y=[r.accuracy], mode="markers", showlegend=False, opacity=0.35,
            marker=dict(size=6, color="#6b7280"), hovertemplate=f"k={r.k}, seed {r.seed}: "
            f"{r.accuracy:.1%}<extra></extra>",
        ), row=1, col=1)  # fmt: skip
    fig.add_hline(
        y=chance,
        line_dash="dot",
        line_color="#9ca3af",
        row=1,
        col=1,
        annotation_text=f"chance {chance:.0%}",
        annotation_position="bottom right",
    )
    fig.add_trace(go.Bar(
        x=ks, y=[p.tokens_mean for p in pts], name="mean prompt tokens",
        marker_color=["#60a5fa" if p.fits else "#f87171" for p in pts],
        hovertemplate="k=%{x}: %{y:.0f} tokens on average<extra></extra>",
    ), row=1, col=2)  # fmt: skip
    fig.add_trace(go.Scatter(
        x=ks, y=[p.tokens_max for p in pts], mode="markers", name="longest prompt",
        marker=dict(symbol="line-ew-open", size=18, color="#1f2937"),
    ), row=1, col=2)  # fmt: skip
    fig.add_hline(y=result.n_ctx, line_dash="dash", line_color="#dc2626", row=1, col=2,
                  annotation_text=f"context window {result.n_ctx}",
                  annotation_position="top left")  # fmt: skip
    fig.add_vline(x=k_sel, line_dash="dot", line_color="#f59e0b", row=1, col=1)
    fig.update_xaxes(title_text="shots k", tickvals=ks)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=1, col=1)
    top = max(result.n_ctx, max(p.tokens_max for p in pts)) * 1.15
    fig.update_yaxes(range=[0, top], row=1, col=2)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.2))  # fmt: skip
    return fig


def item_table(
    task: Task, result: ShotSweepResult, variants: dict[str, int], seed: int
) -> pd.DataFrame:
    """One row per held-out item: input, gold, and each variant's prediction and confidence."""
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
    return pd.DataFrame(rows)


def diff_html(diff: list[tuple[str, str]]) -> str:
    """A line diff as HTML: removed lines red with '-', added lines green with '+'."""
    style = {"-": "background:#fee2e2;color:#991b1b", "+": "background:#dcfce7;color:#166534"}
    lines = [
        f'<div style="{style.get(op, "color:#374151")}">{op} {html.escape(text) or "&nbsp;"}</div>'
        for op, text in diff
    ]
    return f'<div style="{_BOX}">{"".join(lines)}</div>'
