"""The app's entry point for learners: ``streamlit run serve.py``.

The pages themselves live in ``app.py`` (which AppTest also runs); this wraps them in Streamlit's
ASGI app so the server shows learners escaped page errors instead of tracebacks and keeps its
statistics endpoint to itself. Settings for serving are in ``.streamlit/config.toml``.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from ui.serving import BlockInternalRoutes, harden_session_messages, show_script_error

# Never Streamlit's legacy "pages/ folder" mode: a deep link opened first after a restart would
# flash a bare page and a file-name menu before app.py's frame (ui.ensure_app_frame) takes over.
PagesManager.uses_pages_directory = False
harden_session_messages()

app = st.App(
    "app.py",
    middleware=[Middleware(BlockInternalRoutes)],
    on_script_error=show_script_error,
)
