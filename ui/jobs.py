"""A page's background jobs: who owns them (this browser session), the queue they go to, and the
live panel that polls one while it waits or runs.

The jobs themselves are built by the engine (``core.lora.lora_job``, ``core.optimize.jobs``);
this module only keeps each in the session state under a page's key and draws its progress.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core import training
from core.training import Job, JobStatus

OWNER_GRACE_S = 10.0  # a tab gone this long has closed (a network blip reconnects sooner)


def session_owner() -> str:
    """This browser session's id: jobs and saved runs belong to it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def session_alive(session_id: str) -> Callable[[], bool]:
    """A predicate, safe from any thread: is this browser session still connected?

    Streamlit's runtime keeps a session active while its websocket is open; closing the tab
    ends it. Without a runtime (a bare script, or AppTest between runs) nothing can tell, so the
    session counts as alive.
    """

    def alive() -> bool:
        from streamlit.runtime import Runtime

        if not session_id or not Runtime.exists():
            return True
        return bool(Runtime.instance().is_active_session(session_id))

    return alive


def current(key: str) -> Job | None:
    """The job this session keeps under ``key`` (None before the first)."""
    return st.session_state.get(key)


def busy(key: str) -> bool:
    """Whether the job under ``key`` is waiting or running."""
    job = current(key)
    return job is not None and not job.snapshot().finished


def submit(key: str, make: Callable[[str, Callable[[], bool], float], Job]) -> str | None:
    """Queue ``make(owner, owner_alive, grace_s)`` for this session under ``key``; returns an
    error message to show, or None when it was queued."""
    owner = session_owner()
    try:
        job = make(owner, session_alive(owner), OWNER_GRACE_S)
        st.session_state[key] = training.default_queue().submit(job)
    except (ValueError, training.QueueError) as e:
        return str(e)
    return None


def poll(
    job: Job | None,
    queued: Callable[[Job, JobStatus], None],
    running: Callable[[Job, JobStatus], None],
) -> None:
    """Draw ``job`` while it waits (``queued``) or runs (``running``), redrawn every second in a
    fragment (the rest of the page stays as it is); once it ends the whole page reruns once."""
    if job is None:
        return
    live = not job.snapshot().finished

    @st.fragment(run_every=1.0 if live else None)
    def panel() -> None:
        status = job.snapshot()
        if status.finished:
            if live:
                st.rerun()  # the whole page redraws once with the results
            return
        (queued if status.state == "queued" else running)(job, status)

    panel()


def waiting_panel(job: Job, status: JobStatus, key: str, noun: str = "run") -> None:
    """A waiting job: its place in line and a Stop that takes it out of the line."""
    place = status.place
    where = place.describe(noun) if place is not None else "Starting..."
    st.info(f"Your {noun} is waiting for a free slot: {where}", icon=":material/schedule:")
    st.button(
        "Stop (leave the queue)",
        key=key,
        icon=":material/stop_circle:",
        on_click=job.stop,
        help="Takes it out of the line now; nothing runs",
    )


def start_and_poll(
    key: str,
    *,
    label: str,
    button_key: str,
    make: Callable[[str, Callable[[], bool], float], Job],
    disabled: bool,
    running: Callable[[Job, JobStatus], None],
    on_submit: Callable[[], None] | None = None,
) -> JobStatus | None:
    """A start button for the job under ``key``, its live panel, and its status once it ended.

    Args:
        key: the session key the job is kept under.
        label / button_key: the start button.
        make: ``make(owner, owner_alive, grace_s)`` builds the job (see :func:`submit`).
        disabled: the settings cannot run (the button is also off while the job runs).
        running: draws the running job (a Stop button among it).
        on_submit: called once the job is queued (before the page reruns).

    Returns:
        The job's final status (None while it waits or runs, or before the first).
    """
    if st.button(
        label,
        type="primary",
        icon=":material/play_arrow:",
        key=button_key,
        disabled=disabled or busy(key),
    ):
        problem = submit(key, make)
        if problem is None:
            if on_submit is not None:
                on_submit()
            st.rerun()
        st.error(problem, icon=":material/error:")
    job = current(key)
    poll(job, lambda j, s: waiting_panel(j, s, f"{button_key}_leave"), running)
    status = job.snapshot() if job is not None else None
    return status if status is not None and status.finished else None
