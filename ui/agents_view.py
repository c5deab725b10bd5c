"""Drawing for the agents page: the shared runs, the four transcript cards, the ReAct step mode
and the held-out chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import models
from core.agents import (
    LABELS,
    STRATEGIES,
    AgentConfig,
    EvalConfig,
    EvalResult,
    ReactStep,
    StrategyRun,
    Toolbox,
    evaluate,
    lm_generate,
    react_step,
    run_strategy,
)
from core.agents.chat import ChatFormat, is_chat
from core.agents.examples import Example, examples
from core.agents.react import TEXT, finish
from core.cache import SharedResults
from core.word_problems import DIGITS
from ui.loaders import get_model
from ui.render import md_code

MODELS = ("tiny-gpt", "smollm2-135m-instruct", "qwen2.5-0.5b-instruct")
COLORS = {"direct": "#64748b", "cot": "#d97706", "pal": "#2563eb", "react": "#059669"}
CUSTOM = "custom"
MAX_QUESTION = 400  # characters of a typed question
STEPS_KEY = "agents_steps"  # the step mode's steps so far: (question, [ReactStep, ...])


def example_options() -> dict[str, Example]:
    return {e.key: e for e in examples()}


def example_label(key: str) -> str:
    if key == CUSTOM:
        return "Your own question"
    e = example_options()[key]
    return f"{e.label}: {e.question[:60]}"


# --- the model and the tools ---------------------------------------------------------------------
def model_label(name: str) -> str:
    spec = models.MODELS[name]
    return f"{name} ({'embedded' if spec.embedded else 'hub, online'})"


def loaded(name: str) -> Any:
    """The model, cached for every session (a clear message naming the offline alternative,
    and a stop, when a hub model cannot load)."""
    return get_model(name)


def chat_of(lm: Any) -> Any:
    """An instruct model's tokenizer (its chat template and tool format), else None."""
    return lm.tokenizer if is_chat(lm.tokenizer) else None


def _kb() -> Any:
    """This session's RAG knowledge base (the RAG page's, shared starter notes by default)."""
    from ui import rag_view

    return rag_view.stores().view(rag_view.owner_id()).kb


def search_source() -> tuple[Callable[[str], list[str]], str]:
    """The search tool's function over this session's knowledge base, and its revision (part
    of a cached run's key: a changed knowledge base is a new run)."""
    try:
        kb = _kb()
        rev = kb.revision()
    except Exception as e:  # the store is another service: the tool says so, the page goes on
        message = f"{type(e).__name__}: {e}"[:120]

        def down(query: str) -> list[str]:
            raise ConnectionError(message)

        return down, f"down:{message}"
    return (lambda q: [h.text for h in kb.query(q, k=3, hybrid=True)]), rev


@st.cache_resource
def _runs() -> SharedResults[Any]:
    """Finished runs by their settings, shared by every session (greedy runs are the same for
    everyone who asks; a result is never mutated)."""
    return SharedResults(max_entries=256)


def run_all(
    name: str, question: str, expected: str | None, config: AgentConfig
) -> list[StrategyRun]:
    """The four strategies on one question (computed once per settings and knowledge base)."""
    lm = loaded(name)
    search, rev = search_source()
    key = ("four", name, question, expected, config, rev)

    def compute(report: Callable[[int, int, str], None]) -> list[StrategyRun]:
        generate = lm_generate(lm.model, lm.tokenizer, config)
        box = Toolbox(search=search)
        out = []
        for i, s in enumerate(STRATEGIES):
            report(i, len(STRATEGIES), LABELS[s])
            out.append(
                run_strategy(
                    s,
                    question,
                    generate,
                    toolbox=box,
                    config=config,
                    expected=expected,
                    chat=chat_of(lm),
                )
            )
        return out

    with st.spinner("The four strategies are answering..."):
        result, _ = _runs().get_or_compute(key, compute)
    return result


def measured(
    name: str, config: EvalConfig, agent: AgentConfig, digits: tuple[int, ...] = DIGITS
) -> Any:
    """The held-out table (computed once per settings for every session), with a progress bar."""
    lm = loaded(name)
    key = ("eval", name, config, agent, digits)
    done = _runs().get(key)
    if done is not None:
        return done
    bar = st.progress(0.0, text="Answering held-out problems...")

    def step(i: int, n: int, what: str) -> None:
        bar.progress(i / max(n, 1), text=f"{what}: {i} of {n}")

    def compute(report: Callable[[int, int, str], None]) -> EvalResult:
        generate = lm_generate(lm.model, lm.tokenizer, agent)
        return evaluate(
            generate,
            config,
            agent=agent,
            digits=digits,
            chat=chat_of(lm),
            on_progress=lambda i, n: report(i, n, "strategy runs"),
        )

    result, _ = _runs().get_or_compute(key, compute, on_progress=step)
    bar.empty()
    return result


# --- one question, four strategies ---------------------------------------------------------------
def _verdict(run: StrategyRun) -> str:
    if run.correct is None:
        return "no expected answer given"
    return "right" if run.correct else "wrong"


def cards(runs: Sequence[StrategyRun]) -> None:
    """One card per strategy: the answer, right or wrong, tokens and time."""
    for col, run in zip(st.columns(len(runs)), runs, strict=True):
        with col.container(border=True):
            st.markdown(f"**{run.label}**")
            answer = run.answer if run.answer is not None else "no answer"
            st.markdown(f"### {md_code(answer[:40])}")
            if run.correct is True:
                st.success("right", icon=":material/check_circle:")
            elif run.correct is False:
                st.error("wrong", icon=":material/cancel:")
            else:
                st.caption("no expected answer given")
            tools = f" · {len(run.react.tool_calls)} tool calls" if run.react else ""
            st.caption(f"{run.tokens} tokens written · {run.seconds:.2f} s{tools}")
            if run.problem:
                st.caption(f"Why no answer: {run.problem}")


def program_table(run: StrategyRun) -> None:
    """PAL's program as the interpreter ran it: its variables at the end, or its error."""
    p = run.program
    if p is None:
        return
    if p.variables:
        rows = [{"variable": k, "value": repr(v)} for k, v in p.variables.items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    where = "ran to the end" if p.ok else f"stopped: {p.error}"
    st.caption(f"The interpreter {where} in {p.steps} steps ({p.seconds * 1000:.1f} ms).")


def steps_table(steps: Sequence[ReactStep]) -> pd.DataFrame:
    rows = []
    for i, s in enumerate(steps, 1):
        if s.answer is not None:
            rows.append(
                {"step": i, "thought": s.thought, "action": "Answer", "observation": s.answer}
            )
            continue
        call = s.call
        rows.append(
            {
                "step": i,
                "thought": s.thought,
                "action": s.action or "(none)",
                "observation": s.observation + (" (edited)" if s.edited else "")
                if s.action
                else s.problem,
                "tool answered": "yes" if call is not None and call.ok else "no",
                "tool's real output": call.observation if call is not None else "",
            }
        )
    return pd.DataFrame(rows)


def transcripts(runs: Sequence[StrategyRun]) -> None:
    """Each strategy's exact prompt, everything the model wrote, and every tool call."""
    for tab, run in zip(st.tabs([r.label for r in runs]), runs, strict=True):
        with tab:
            st.markdown("**The exact prompt**")
            st.code(run.prompt, language=None)
            st.markdown("**What the model wrote** (observations are the tools' real outputs)")
            st.code(run.generated or "(nothing)", language=None)
            program_table(run)
            if run.react is not None and run.react.steps:
                st.dataframe(steps_table(run.react.steps), hide_index=True, width="stretch")


# --- step mode -----------------------------------------------------------------------------------
def step_state(name: str, question: str) -> list[ReactStep]:
    """The step mode's steps for this model and question (another one starts over)."""
    saved = st.session_state.get(STEPS_KEY)
    if not saved or saved[0] != (name, question):
        st.session_state[STEPS_KEY] = ((name, question), [])
    return st.session_state[STEPS_KEY][1]


def _fmt(lm: Any) -> Any:
    chat = chat_of(lm)
    return ChatFormat(chat) if chat is not None else TEXT


def step_transcript(name: str, question: str, steps: Sequence[ReactStep]) -> str:
    """The exchange so far as the model reads it (rewritten observations included)."""
    return _fmt(loaded(name)).transcript(question, steps)


def next_step(name: str, question: str, config: AgentConfig) -> None:
    lm = loaded(name)
    steps = step_state(name, question)
    if finish(question, steps, config.max_steps, _fmt(lm)).status != "running":
        return
    search, _ = search_source()
    generate = lm_generate(lm.model, lm.tokenizer, config)
    steps.append(react_step(generate, Toolbox(search=search), question, steps, _fmt(lm)))


def edit_last(name: str, question: str, text: str) -> str | None:
    """Rewrite the last observation; an error message when there is none to rewrite."""
    steps = step_state(name, question)
    if not steps or steps[-1].answer is not None or not steps[-1].action:
        return "There is no observation to rewrite yet: take a step first."
    if not text.strip():
        return "The new observation is empty: type what the tool should have said."
    steps[-1] = steps[-1].with_observation(text)
    return None


def status_line(name: str, question: str, steps: Sequence[ReactStep], config: AgentConfig) -> None:
    run = finish(question, steps, config.max_steps, _fmt(loaded(name)))
    if run.status == "answered":
        st.success(f"Answered after {len(steps)} steps: {run.answer}", icon=":material/flag:")
    elif run.status == "gave up":
        st.warning(
            f"Gave up: {config.max_steps} steps and no answer (the max-steps limit).",
            icon=":material/timer_off:",
        )
    elif run.status == "stopped":
        st.warning(
            "Stopped: the model wrote neither an action nor an answer.", icon=":material/block:"
        )
    elif steps:
        st.info(f"{len(steps)} of at most {config.max_steps} steps taken.", icon=":material/info:")


# --- the held-out measurement --------------------------------------------------------------------
def accuracy_figure(result: EvalResult) -> go.Figure:
    fig = go.Figure()
    sizes = sorted({r.digits for r in result.rows})
    for s in STRATEGIES:
        rows = [result.row(s, d) for d in sizes]
        fig.add_scatter(
            x=[f"{d}-digit" for d in sizes],
            y=[r.accuracy for r in rows],
            name=LABELS[s],
            mode="lines+markers",
            line={"color": COLORS[s], "width": 3},
            customdata=[[r.correct, r.n] for r in rows],
            hovertemplate="%{y:.0%} (%{customdata[0]} of %{customdata[1]})<extra>"
            + LABELS[s]
            + "</extra>",
        )
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"title": "accuracy (held out)", "tickformat": ".0%", "range": [-0.03, 1.03]},
        xaxis={"title": "operand size"},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def eval_table(result: EvalResult) -> pd.DataFrame:
    rows = []
    for r in result.rows:
        rows.append(
            {
                "strategy": LABELS[r.strategy],
                "operands": f"{r.digits}-digit",
                "accuracy": f"{r.accuracy:.0%} ({r.correct}/{r.n})",
                "tool calls valid": "" if r.validity is None else f"{r.validity:.0%}",
                "steps per answer": f"{r.steps:.1f}" if r.strategy == "react" else "",
                "tokens written": f"{r.tokens:.0f}",
                "seconds": f"{r.seconds:.2f}",
            }
        )
    return pd.DataFrame(rows)


def best_at(result: EvalResult, digits: int) -> list[str]:
    """The strategies with the top accuracy at one size."""
    accs = {s: result.accuracy(s, digits) for s in STRATEGIES}
    top = max(accs.values())
    return [s for s, a in accs.items() if a == top]


def summary(result: EvalResult, digits: int) -> str:
    parts = [
        f"{LABELS[s]} {result.row(s, digits).correct}/{result.row(s, digits).n}" for s in STRATEGIES
    ]
    return f"Measured just now on held-out {digits}-digit problems: " + ", ".join(parts) + "."


def notice_points(result: EvalResult | None, runs: Sequence[StrategyRun]) -> list[str]:
    """What to notice, written from what was measured on this page."""
    points = []
    if result is not None:
        sizes = sorted({r.digits for r in result.rows})
        lo, hi = sizes[0], sizes[-1]
        acc = result.accuracy
        d, c = acc("direct", lo), acc("cot", lo)
        verdict = (
            "writing the steps out helps: one small sum at a time instead of two at once"
            if c > d
            else "here writing the steps out did not help"
        )
        points.append(f"At {lo} digit(s): direct {d:.0%}, chain of thought {c:.0%}: {verdict}.")
        if hi > lo:
            c_hi = acc("cot", hi)
            trend = "falls" if c_hi < c else "does not fall"
            points.append(
                f"The chain of thought {trend} from {c:.0%} to {c_hi:.0%} at {hi} digits: its "
                "steps have the right form, but the model still does each sum itself."
            )
        p, r, d_hi = acc("pal", hi), acc("react", hi), acc("direct", hi)
        points.append(
            f"At {hi} digits PAL gets {p:.0%} and ReAct {r:.0%}, against {d_hi:.0%} for the "
            "direct answer: there the model only copies numbers and names operations, and the "
            "interpreter and the calculator do the arithmetic exactly."
        )
    react = next((r for r in runs if r.strategy == "react"), None)
    if react is not None and react.react is not None:
        points.append(
            f"ReAct read {len(react.react.tool_calls)} real tool outputs for this question. "
            "Rewrite one in the step mode and see whether the model carries the wrong number "
            "on: an agent is only as good as what its tools tell it."
        )
    return points
