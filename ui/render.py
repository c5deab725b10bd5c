"""Shared pieces every page draws: header, input notes, "what to notice", predict-then-reveal."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import streamlit as st

from core.text import CleanText
from ui import classroom, ensure_app_frame

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~:$])")  # what can open markup or a link


def md_escape(text: str) -> str:
    """``text`` with every markdown character backslash-escaped (safe inside st.markdown).

    >>> md_escape("![p](http://x)")
    '\\\\!\\\\[p\\\\]\\\\(http\\\\://x\\\\)'
    """
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    """``text`` as an inline code span that nothing inside can close (untrusted text shown
    verbatim in st.markdown: a code span renders no markup, links or images).

    >>> md_code("a`b")
    '`` a`b ``'
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def page_header(title: str, idea: str) -> None:
    """The page title and its one-line idea (and, first, make sure app.py's frame is around)."""
    ensure_app_frame()
    st.title(title)
    st.caption(idea)


def placeholder(issue: int, what: str) -> None:
    """Say plainly that a page is not built yet (used until its issue lands)."""
    st.info(
        f"This page is a placeholder: {what} arrives with issue #{issue}. "
        "The rest of the playground works meanwhile.",
        icon=":material/construction:",
    )


def input_notes(clean: CleanText) -> None:
    """Show what :func:`core.text.clean_text` changed, as a notice, never an error."""
    for note in clean.notes:
        st.warning(note, icon=":material/info:")


def what_to_notice(points: Sequence[str]) -> None:
    """The "what to notice" box at the end of a page."""
    with st.container(border=True):
        st.markdown("**What to notice**")
        st.markdown("\n".join(f"- {p}" for p in points))


def predict_then_reveal(
    key: str, question: str, options: Sequence[str], reveal: Callable[[], tuple[str, str]]
) -> None:
    """Ask a question, let the learner commit to an answer, then reveal the measured one.

    The answer stays revealed across reruns until the learner changes their guess.

    Args:
        key: widget key prefix, ``<page>_predict``.
        question: the question shown.
        options: the answers offered.
        reveal: called only after the learner answered; returns (correct option, explanation),
            computed from a real model or library on the spot.
    """
    shown = f"{key}_revealed"

    def forget() -> None:
        st.session_state[shown] = False

    def remember() -> None:
        st.session_state[shown] = True
        guess = st.session_state.get(f"{key}_guess")  # a joined student's goes to the class
        if guess is not None:
            classroom.record_prediction(key, question, str(guess))

    with st.container(border=True):
        st.markdown(f"**Predict, then reveal:** {question}")
        guess = st.radio(
            "Your prediction",
            options,
            index=None,
            key=f"{key}_guess",
            horizontal=True,
            on_change=forget,
        )
        st.button("Reveal", key=f"{key}_reveal", disabled=guess is None, on_click=remember)
        classroom.prediction_note(key)
        revealed = guess is not None and st.session_state.get(shown)
        correct, explanation = reveal() if revealed else (None, "")
        if classroom.teaching():  # the teacher's screen: the class's answers, live
            classroom.class_answers(key, options, correct)
        if revealed:
            if guess == correct:
                st.success(f"Right: {correct}. {explanation}")
            else:
                # a wrong guess is part of learning, not an error: a neutral reveal, never red
                st.info(
                    f"Not quite: you said {guess}; the answer is {correct}. {explanation}",
                    icon=":material/lightbulb:",
                )
