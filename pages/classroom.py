"""The class: a teacher opens a class session, students join with its code, and the teacher
sees the class's predictions live on every page."""

from __future__ import annotations

import streamlit as st

from core.classroom import class_db
from ui import classroom as view
from ui.lesson import qr_png
from ui.render import page_header

page_header(
    "Class",
    "Pool a class's answers: the teacher opens a class and shows its code; students join with "
    "it, and every prediction they make on a page goes to the teacher's live histogram. No "
    "accounts: a nickname is optional, and nobody sees another student's answer.",
)
code = view.joined()
if code is None:
    st.subheader("Join a class")
    c = st.columns([1, 1, 1], vertical_alignment="bottom")
    typed = c[0].text_input(
        "Class code", value=st.query_params.get("class", ""), max_chars=12, key="_class_typed"
    )
    nick = c[1].text_input("Nickname (optional)", max_chars=24, key="_class_nick_typed")
    if c[2].button("Join", type="primary", icon=":material/login:", key="_class_join"):
        problem = view.join(typed, nick)
        if problem is None:
            st.rerun()
        st.error(f"Could not join: {problem}.", icon=":material/error:")
    st.subheader("Teach a class")
    c = st.columns([2, 1], vertical_alignment="bottom")
    title = c[0].text_input("Name it (optional)", max_chars=120, key="_class_title")
    if c[1].button("Start a class", icon=":material/co_present:", key="_class_open"):
        view.open_class(title)
        st.rerun()
    st.stop()

session = class_db().session(code)
if view.teaching():
    st.subheader(f"Your class: {session.title}")
    c = st.columns([1, 1])
    c[0].markdown(f"# {code}")
    base = (st.context.url or "/classroom").rsplit("/", 1)[0]
    link = f"{base}/classroom?class={code}"
    c[0].caption("Students open this link, or the Class page, and type the code:")
    c[0].code(link, language=None)
    c[1].image(qr_png(link), caption="Scan to join", width=200)
    with st.expander("Your teacher link (keep it private)", icon=":material/key:"):
        st.caption(
            "A reload starts a new browser session: open this link to get this class's teacher "
            "view back. Do not show it to the class."
        )
        st.code(f"{link}&teacher={st.session_state[view.TOKEN]}", language=None)
    if session.closed:
        st.info("This class is closed: its answers are kept, no new ones are taken.")
    else:
        st.button(
            "Close the class",
            key="_class_close",
            icon=":material/lock:",
            on_click=lambda: class_db().close(code, st.session_state[view.TOKEN]),
            help="No new answers; everything answered so far is kept and can be exported.",
        )
    st.subheader("The class's answers so far")
    view.teacher_overview()
else:
    st.success(
        f"You are in class **{code}** ({session.title})"
        + (f" as {st.session_state.get(view.NICK)}" if st.session_state.get(view.NICK) else "")
        + ". Your predictions on any page go to your teacher; nobody else sees them.",
        icon=":material/groups:",
    )
    if session.closed:
        st.info("Your teacher closed this class: new predictions are not sent.")
st.button("Leave the class", key="_class_leave", on_click=view.leave, icon=":material/logout:")
