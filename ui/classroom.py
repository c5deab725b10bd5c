"""The class's answers in the app: a teacher opens a class, students join with its code (or a
link carrying ``class=CODE``), every predict-then-reveal answer of a joined student goes to the
class database, and the teacher sees the live histogram.

This module keeps who is who in the session state and draws; the database is
``core.classroom``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.classroom import ClassError, class_db, normalise_code

CODE = "_class_code"  # the class this browser joined (or teaches)
NICK = "_class_nick"
TOKEN = "_class_token"  # the teacher's token: only the teacher's session holds it
NOTE = "_class_note"  # the last message about a submission (shown under the question)
STUDENT = "_class_student"  # this session's random student id
LIVE_S = 3.0  # the teacher's histograms refresh this often


def me() -> str:
    """This browser session's opaque student id: random, made once per session (nothing about
    the browser or the person is in it)."""
    return st.session_state.setdefault(STUDENT, secrets.token_hex(12))


def joined() -> str | None:
    return st.session_state.get(CODE)


def teaching() -> bool:
    return bool(st.session_state.get(TOKEN)) and joined() is not None


def join(code: str, nickname: str = "") -> str | None:
    """Join the class with ``code``; returns an error message, or None."""
    try:
        s = class_db().session(code)
    except ClassError as e:
        return str(e)
    if s.closed:
        return f"class {s.code} is closed"
    st.session_state[CODE] = s.code
    st.session_state[NICK] = nickname
    st.session_state.pop(TOKEN, None)
    return None


def leave() -> None:
    for k in (CODE, NICK, TOKEN, NOTE):
        st.session_state.pop(k, None)


def open_class(title: str) -> None:
    s = class_db().open_session(title)
    st.session_state.update({CODE: s.code, TOKEN: s.teacher_token, NICK: ""})


def join_from_link() -> None:
    """A link with ``class=CODE`` joins that class (once; a wrong code says so once). The
    teacher's private link adds ``teacher=TOKEN``: it gives the teacher's view back after a
    reload, and the token is taken out of the address bar at once (the projector shows it)."""
    code = st.query_params.get("class")
    token = st.query_params.get("teacher")
    if token is not None:
        del st.query_params["teacher"]
        if code and class_db().is_teacher(code, token):
            st.session_state.update({CODE: normalise_code(code), TOKEN: token, NICK: ""})
            return
        st.toast("That teacher link is not valid for this class.", icon=":material/error:")
    if not code or teaching() or joined() == normalise_code(code):
        return
    problem = join(code)
    if problem:
        st.toast(f"Could not join the class: {problem}", icon=":material/error:")


def _send(question: str, kind: str, prompt: str, sent: str, **answer: object) -> None:
    """Submit this student's answer; the outcome is kept for :func:`prediction_note`."""
    code = joined()
    if code is None:
        return
    try:
        class_db().submit(
            code,
            me(),
            question,
            kind,  # type: ignore[arg-type]
            nickname=st.session_state.get(NICK, ""),
            prompt=prompt,
            **answer,  # type: ignore[arg-type]
        )
        st.session_state[NOTE] = (question, sent.format(code=code), False)
    except ClassError as e:
        st.session_state[NOTE] = (question, f"Not sent to the class: {e}.", True)


def record_prediction(question: str, prompt: str, guess: str) -> None:
    """Send this student's prediction to the class (a no-op outside a class, or for the
    teacher); the outcome is kept for :func:`prediction_note`."""
    if joined() is None or teaching():
        return
    _send(question, "prediction", prompt, "Sent to class {code}.", value=guess)


def _live(fetch, draw) -> None:  # type: ignore[no-untyped-def]
    """Redraw ``draw(fetch(db, code, token))`` every :data:`LIVE_S` seconds (teacher only)."""
    code, token = joined(), st.session_state[TOKEN]

    @st.fragment(run_every=LIVE_S)
    def live() -> None:
        try:
            data = fetch(class_db(), code, token)
        except ClassError as e:
            st.warning(str(e))
            return
        draw(code, data)

    live()


def prediction_note(question: str) -> None:
    """The student's confirmation (or the reason it failed) for this question."""
    note = st.session_state.get(NOTE)
    if note and note[0] == question:
        (st.warning if note[2] else st.caption)(note[1])


def histogram(counts: dict[str, int], options: Sequence[str], correct: str | None) -> go.Figure:
    colours = ["#2ca02c" if o == correct else "#1f77b4" for o in options]
    fig = go.Figure(
        go.Bar(x=list(options), y=[counts.get(o, 0) for o in options], marker_color=colours)
    )
    fig.update_layout(height=220, margin=dict(l=10, r=10, t=10, b=10), yaxis_title="students")
    return fig


def class_answers(question: str, options: Sequence[str], correct: str | None) -> None:
    """The teacher's live histogram of the class's predictions for ``question`` (the correct
    option green once the teacher revealed it)."""
    if not teaching():
        return

    def draw(code: str, counts: dict[str, int]) -> None:
        n = sum(counts.values())
        head = f"**Class {code}:** {n} prediction{'s' if n != 1 else ''} so far"
        if correct is not None and n:
            head += f"; {counts.get(correct, 0) / n:.0%} picked the measured answer"
        st.markdown(head)
        fig = histogram(counts, options, correct)
        st.plotly_chart(fig, width="stretch", key=f"_class_h_{question}")

    _live(lambda db, code, token: db.counts(code, question, token), draw)


def sidebar_status() -> None:
    code = joined()
    if code is None:
        return
    who = "you teach it" if teaching() else f"as {st.session_state.get(NICK) or 'a student'}"
    st.sidebar.caption(f":material/groups: Class **{code}** ({who})")


def teacher_overview() -> None:
    """Every question the class answered (predictions and results), and the CSV export."""
    code, token = joined(), st.session_state[TOKEN]

    def fetch(db, code: str, token: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
        return [
            {
                "question": q.prompt or q.question,
                "predictions": sum(q.counts.values()),
                "most picked": max(q.counts, key=q.counts.get) if q.counts else "-",
                "results": len(q.results),
                "median result": sorted(q.results)[len(q.results) // 2] if q.results else None,
            }
            for q in db.summary(code, token)
        ]

    def draw(_code: str, rows: list[dict[str, object]]) -> None:
        if not rows:
            st.info(
                "No answers yet: students who joined answer the predict-then-reveal "
                "questions on any page, and their answers appear here."
            )
            return
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

    _live(fetch, draw)
    st.download_button(
        "Export every answer (CSV)",
        class_db().export_csv(code, token),
        file_name=f"class-{code}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="_class_export",
    )


def share_result(question: str, prompt: str, number: float, shown: str) -> None:
    """A joined student's "Send my result to the class" button (``shown``: the number as the
    page shows it); the teacher instead sees the class's results for this question."""
    code = joined()
    if code is None:
        return
    if teaching():
        class_results(question, prompt)
        return
    sent = f"Your result ({shown}) went to class {{code}}."
    st.button(
        f"Send my result ({shown}) to class {code}",
        key=f"_class_send_{question}",
        icon=":material/send:",
        on_click=lambda: _send(question, "result", prompt, sent, number=number),
    )
    prediction_note(question)


def class_results(question: str, prompt: str) -> None:
    """The teacher's live distribution of the class's results for ``question``."""

    def draw(code: str, values: list[float]) -> None:
        if not values:
            st.caption(f"Class {code}: no results sent yet for {prompt.lower()}.")
            return
        ordered = sorted(values)
        median = ordered[len(ordered) // 2]
        st.markdown(
            f"**Class {code}:** {len(values)} result{'s' if len(values) != 1 else ''} for "
            f"{prompt.lower()}; median {median:.3g}, from {ordered[0]:.3g} to {ordered[-1]:.3g}"
        )
        fig = go.Figure(go.Histogram(x=values, nbinsx=min(20, max(5, len(values)))))
        fig.update_layout(height=220, margin=dict(l=10, r=10, t=10, b=10), yaxis_title="students")
        st.plotly_chart(fig, width="stretch", key=f"_class_r_{question}")

    _live(lambda db, code, token: db.results(code, question, token), draw)
