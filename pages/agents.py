"""Reasoning and tools: direct, chain-of-thought, program-aided and ReAct answers, live."""

from __future__ import annotations

import streamlit as st

from core.agents import LABELS, STRATEGIES, AgentConfig, EvalConfig
from core.knobs import spec
from ui import agents_view as view
from ui import knobs
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.urlstate import sync_url, url_state

page_header(
    "Reasoning and tools",
    "One question, four ways to answer it: straight away, step by step (chain of thought), by "
    "writing a small program an interpreter runs (PAL), or by calling tools in a "
    "Thought / Action / Observation loop (ReAct). tiny-gpt learned the four formats from its "
    "corpus; every answer below is generated now.",
)
EXAMPLES = view.example_options()
url_state(
    {
        "agents_model": "tiny-gpt",
        "agents_example": "digits3",
        "agents_question": "",
        "agents_expected": "",
        "agents_max_steps": spec(AgentConfig, "max_steps"),
        "agents_temperature": spec(AgentConfig, "temperature"),
        "agents_n": spec(EvalConfig, "n_per_digits"),
    },
    choices={"agents_example": [*EXAMPLES, view.CUSTOM], "agents_model": list(view.MODELS)},
)

# --- the model and the question -----------------------------------------------------------------
c_q, c_k = st.columns([3, 1])
name = c_k.selectbox(
    "Model",
    view.MODELS,
    key="agents_model",
    format_func=view.model_label,
    help="tiny-gpt learned the corpus formats; the instruct models answer through their chat "
    "template and call tools in its tool-calling format (online only).",
)
pick = c_q.selectbox(
    "Question",
    [*EXAMPLES, view.CUSTOM],
    key="agents_example",
    format_func=view.example_label,
    help="Held-out word problems (names and numbers the model never trained on), or your own.",
)
knobs.slider(AgentConfig, "max_steps", key="agents_max_steps", label="ReAct max steps", where=c_k)
knobs.slider(AgentConfig, "temperature", key="agents_temperature", label="Temperature", where=c_k)
if pick == view.CUSTOM:
    if len(st.session_state["agents_question"]) > view.MAX_QUESTION:  # a link's, too long
        st.session_state["agents_question"] = st.session_state["agents_question"][
            : view.MAX_QUESTION
        ]
        c_q.info(
            f"The question was cut to its first {view.MAX_QUESTION} characters.",
            icon=":material/content_cut:",
        )
    question = c_q.text_area(
        "Your question",
        key="agents_question",
        max_chars=view.MAX_QUESTION,
        placeholder="Tom has 12 kites. Tom buys 30 more and gives 5 to Mia. How many kites "
        "does Tom have now?",
    )
    expected = c_q.text_input(
        "Right answer (optional, to mark each strategy right or wrong)",
        key="agents_expected",
        max_chars=40,
    ).strip()
else:
    ex = EXAMPLES[pick]
    question, expected = ex.question, ex.expected
    c_q.markdown(f"> {ex.question}")
    c_q.caption(f"Right answer: **{ex.expected}** · {ex.label}")

try:
    config = AgentConfig(
        max_steps=int(st.session_state["agents_max_steps"]),
        temperature=float(st.session_state["agents_temperature"]),
    )
except ValueError as e:
    st.error(f"These settings cannot run: {e}.", icon=":material/error:")
    sync_url()
    st.stop()
if not question.strip():
    st.info("Type a question to see the four strategies answer it.", icon=":material/edit:")
    sync_url()
    st.stop()

# --- four strategies side by side ----------------------------------------------------------------
st.header("Four strategies, side by side")
try:
    runs = view.run_all(name, question, expected or None, config)
except ValueError as e:
    st.error(str(e), icon=":material/error:")
    sync_url()
    st.stop()
view.cards(runs)
st.caption(
    "Direct answers at once; chain of thought writes one `Step k: a + b = c` line per "
    "operation and still does each sum itself; PAL writes assignments and `answer = ...`, which "
    "the project's own AST interpreter runs (an allowlist: no imports, attributes or function "
    "definitions; at most 10,000 steps and 1 s); ReAct calls `calculator[...]` (an AST walk, "
    "never `eval`), `lookup[...]` (the toy world's price and age table) and `search[...]` (the "
    "RAG page's knowledge base)."
)
view.transcripts(runs)

# --- step mode -----------------------------------------------------------------------------------
st.header("ReAct, one step at a time")
st.caption(
    "Each step is one Thought and one Action; the tool's real output comes back as the "
    "Observation. Rewrite an observation before the next step to see whether the model follows "
    "a wrong tool result."
)
steps = view.step_state(name, question)
b1, b2, b3 = st.columns(3)
if b1.button("Next step", key="agents_step", icon=":material/skip_next:", type="primary"):
    view.next_step(name, question, config)
if b2.button("Run to the end", key="agents_run", icon=":material/fast_forward:"):
    for _ in range(config.max_steps):
        view.next_step(name, question, config)
if b3.button("Start over", key="agents_reset", icon=":material/restart_alt:"):
    steps.clear()
steps = view.step_state(name, question)
if steps:
    st.code(view.step_transcript(name, question, steps), language=None)
    st.dataframe(view.steps_table(steps), hide_index=True, width="stretch")
    last = steps[-1]
    if last.action and last.answer is None:
        with st.form("agents_edit_form", border=True):
            new = st.text_input(
                "The observation the model reads next",
                value=last.observation,
                max_chars=300,
                key="agents_edit",
            )
            if st.form_submit_button("Use this observation", icon=":material/edit:"):
                problem = view.edit_last(name, question, new)
                if problem:
                    st.warning(problem, icon=":material/info:")
                else:
                    st.rerun()
view.status_line(name, question, view.step_state(name, question), config)

# --- measured on held-out problems ---------------------------------------------------------------
st.header("Measured on held-out problems")
st.caption(
    "Two-step problems at each operand size, with names and numbers no training document used "
    "(`core/word_problems.py`). Computed once per settings for every session."
)
c_n, c_go = st.columns([2, 1])
knobs.slider(EvalConfig, "n_per_digits", key="agents_n", label="Problems per size", where=c_n)
eval_config = EvalConfig(n_per_digits=int(st.session_state["agents_n"]))
st.session_state.setdefault("agents_measure", False)
if c_go.button("Measure the four strategies", key="agents_measure_go", icon=":material/science:"):
    st.session_state["agents_measure"] = True
result = None
if st.session_state["agents_measure"]:
    result = view.measured(name, eval_config, config)
    st.plotly_chart(view.accuracy_figure(result), width="stretch", key="agents_curve")
    st.dataframe(view.eval_table(result), hide_index=True, width="stretch")
else:
    st.caption("Press Measure to run all four on the held-out set (about half a minute).")

OPTIONS = [LABELS[s] for s in STRATEGIES] + ["A tie at the top"]


def _reveal() -> tuple[str, str]:
    small = view.measured(name, EvalConfig(n_per_digits=6), config, digits=(3,))
    best = view.best_at(small, 3)
    answer = OPTIONS[-1] if len(best) > 1 else LABELS[best[0]]
    return answer, view.summary(small, 3)


predict_then_reveal(
    "agents_predict",
    "On held-out 3-digit problems, which strategy gets the most right?",
    OPTIONS,
    _reveal,
)
what_to_notice(view.notice_points(result, runs))
sync_url()
