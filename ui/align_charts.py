"""The Align page's plotly figures, drawn from the engine's results (nothing computed here)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.align import BestOfNResult, DPOEval, DPOStep, RewardScores

LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.35))


def loss_figure(losses: Sequence[float], total: int, title: str) -> go.Figure:
    """A loss per optimiser step over the whole run's length."""
    fig = go.Figure(go.Scatter(x=list(range(1, len(losses) + 1)), y=list(losses), mode="lines"))
    fig.update_layout(
        height=240,
        title=title,
        xaxis=dict(title="optimizer step", range=[0, max(total, 1) + 0.5]),
        yaxis_title="loss",
        **LAYOUT,
    )
    return fig


def reward_histogram(scores: RewardScores) -> go.Figure:
    """Held-out rewards of the chosen and the rejected completions, overlaid."""
    fig = go.Figure()
    fig.add_histogram(x=list(scores.chosen), name="chosen", opacity=0.65, nbinsx=30)
    fig.add_histogram(x=list(scores.rejected), name="rejected", opacity=0.65, nbinsx=30)
    fig.update_layout(
        barmode="overlay",
        height=260,
        title="Reward of held-out completions",
        xaxis_title="reward (the scalar head's output)",
        yaxis_title="completions",
        **LAYOUT,
    )
    return fig


def dpo_figure(steps: Sequence[DPOStep], evals: Sequence[DPOEval], total: int) -> go.Figure:
    """TRL's DPO logs as four live panels: margin, log-probs, accuracy, KL to the reference."""
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=(
            "Reward margin (chosen - rejected)",
            "Log-prob of the completions (summed)",
            "Preference accuracy",
            "KL to the frozen reference (nats/token)",
        ),
        vertical_spacing=0.16,
    )
    x = [s.step for s in steps]
    ex = [e.step for e in evals]
    fig.add_scatter(x=x, y=[s.margin for s in steps], name="margin (batch)", row=1, col=1)
    fig.add_scatter(
        x=ex,
        y=[e.margin for e in evals],
        name="margin (held-out)",
        mode="lines+markers",
        row=1,
        col=1,
    )
    fig.add_scatter(x=x, y=[s.chosen_logp for s in steps], name="log p(chosen)", row=1, col=2)
    fig.add_scatter(x=x, y=[s.rejected_logp for s in steps], name="log p(rejected)", row=1, col=2)
    fig.add_scatter(x=x, y=[s.accuracy for s in steps], name="accuracy (batch)", row=2, col=1)
    fig.add_scatter(
        x=ex,
        y=[e.reward_accuracy for e in evals],
        name="accuracy (held-out)",
        mode="lines+markers",
        row=2,
        col=1,
    )
    fig.add_scatter(x=x, y=[s.kl for s in steps], name="KL (batch)", row=2, col=2)
    fig.add_scatter(
        x=ex, y=[e.kl for e in evals], name="KL (held-out)", mode="lines+markers", row=2, col=2
    )
    fig.update_xaxes(range=[0, max(total, 1) + 0.5])
    fig.update_yaxes(range=[-0.05, 1.05], row=2, col=1)
    fig.update_layout(height=520, **LAYOUT)
    return fig


def best_of_n_figure(result: BestOfNResult) -> go.Figure:
    """Best-of-k on the same samples: the pick's reward climbs; its own fluency and KL bound."""
    ks = [p.n for p in result.curve]
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            "Reward of the pick",
            "Pick's log-prob per token (fluency)",
            "KL bound log n - (n-1)/n",
        ),
    )
    fig.add_scatter(x=ks, y=[p.reward for p in result.curve], name="reward", row=1, col=1)
    fig.add_scatter(x=ks, y=[p.logprob for p in result.curve], name="log-prob", row=1, col=2)
    fig.add_scatter(x=ks, y=[p.kl_bound for p in result.curve], name="KL bound", row=1, col=3)
    fig.update_xaxes(type="log", title="n (samples)")
    fig.update_layout(height=280, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
    return fig
