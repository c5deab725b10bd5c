"""The only layer importing both streamlit and core: cached loaders, URL state, shared widgets."""

from __future__ import annotations


def ensure_app_frame() -> None:
    """Make a deep link (``/metrics?...``) open inside app.py's frame, also on a fresh server.

    Streamlit keeps a process-wide flag, set because a ``pages/`` folder exists, under which it
    runs ``pages/<name>.py`` directly (its legacy multipage mode: no sidebar, no set_page_config)
    until app.py has run once and called ``st.navigation``. A shared link opened first after a
    restart would hit that (and AppTest resets the flag before every run). Every page imports
    ``ui`` and calls ``ui.render.page_header``, which both call this: clear the flag and rerun,
    and the rerun executes app.py, whose navigation picks the same page from the URL.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        import streamlit as st

        PagesManager.uses_pages_directory = False
        st.rerun()


ensure_app_frame()
