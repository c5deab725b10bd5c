"""A light client of Streamlit's own websocket protocol (streamlit 1.67), as a browser tab uses it.

One websocket per tab, ``ws://HOST:PORT/_stcore/stream``, subprotocol ``streamlit``; binary
protobufs both ways (``BackMsg`` up, ``ForwardMsg`` down). What the browser does, and this does:

- connecting runs nothing: the tab sends a first ``rerun_script`` whose ``ClientState`` carries
  the URL's query string and ``page_name`` (the URL path, "" for the default page);
- every run starts with ``new_session`` and ends with ``script_finished``; a callback or
  ``st.rerun()`` ends a run with ``FINISHED_EARLY_FOR_RERUN`` and starts the next one at once,
  so a *page run* ends only at ``FINISHED_SUCCESSFULLY``, ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``
  or ``FINISHED_WITH_COMPILE_ERROR``;
- ``navigation`` lists the pages (``page_script_hash``, ``url_pathname``); a click in the sidebar
  is a ``rerun_script`` with that ``page_script_hash``;
- ``page_info_changed`` carries the query string the page wrote (``st.query_params``); the
  browser puts it in its URL and sends it back on the next rerun of that page;
- a widget change is a ``rerun_script`` with the widget's ``WidgetState`` (id from its delta,
  value in the field its type uses); a widget drawn inside ``@st.fragment`` (its delta carries a
  ``fragment_id``) reruns only that fragment, with ``fragment_id`` set in the ``ClientState``;
- an uncaught exception in the script arrives as an ``exception`` element in a delta; served
  through ``serve.py`` (``st.App(on_script_error=...)``) it is an error box drawn in a container
  keyed :data:`SCRIPT_ERROR_KEY` instead, which counts as an exception here too.

The server must be on loopback: :func:`check_loopback` refuses any other host.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.common import user_key_from_element_id

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SCRIPT_ERROR_KEY = "genai-script-error"  # the key serve.py gives the error box (ERROR_KEY)
DONE = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
}
WIDGETS = set(
    "slider number_input checkbox selectbox radio multiselect button_group text_input text_area "
    "select_slider button chat_input".split()
)


def check_loopback(url: str) -> str:
    """``url`` as ``ws://host:port`` if its host is a loopback address; ValueError otherwise."""
    u = urlparse(url if "://" in url else f"ws://{url}")
    if u.hostname not in LOOPBACK or u.port is None:
        raise ValueError(f"only a loopback server with a port is allowed, got {url!r}")
    scheme = {"http": "ws", "https": "wss"}.get(u.scheme, u.scheme)
    return f"{scheme}://{u.hostname}:{u.port}"


@dataclass
class Widget:
    id: str
    type: str
    proto: Any
    fragment_id: str


@dataclass
class RunResult:
    """One page run, from the BackMsg sent to the ``script_finished`` that ends it."""

    seconds: float
    status: str  # "ok", "fragment", "compile_error" or "timeout"
    exceptions: list[str] = field(default_factory=list)
    errors_shown: int = 0  # st.error boxes (the page's own clear messages, not crashes)
    messages: int = 0
    in_error_box: bool = False  # inside serve.py's box for an exception the script raised


def _label(options: list[str], value: Any) -> str | None:
    """The option label the browser would send for ``value`` (labels are format_func's output)."""
    text = str(value).lower()
    lowered = [o.lower() for o in options]
    if text in lowered:
        return options[lowered.index(text)]
    starts = [o for o in options if o.lower().startswith(text)]
    if starts:
        return starts[0]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(options):
        return options[value]  # an index (e.g. options built from range(...))
    return None


def widget_state(w: Widget, value: Any) -> WidgetState:
    """The WidgetState a browser sends when the user sets ``w`` to ``value``; ValueError if the
    value cannot be expressed for this widget (an option it does not have)."""
    ws = WidgetState(id=w.id)
    if w.type == "slider":
        values = value if isinstance(value, list | tuple) else [value]
        ws.double_array_value.data[:] = [float(v) for v in values]
    elif w.type == "number_input":
        ws.double_value = float(value)
    elif w.type == "checkbox":
        ws.bool_value = bool(value)
    elif w.type in {"text_input", "text_area"}:
        ws.string_value = str(value)
    elif w.type == "button":
        ws.trigger_value = True
    elif w.type == "chat_input":
        ws.chat_input_value.data = str(value)
    elif w.type in {"selectbox", "radio"}:
        label = _label(list(w.proto.options), value)
        if label is None:
            raise ValueError(f"{value!r} is not an option of {w.type} {w.id}")
        ws.string_value = label
    elif w.type in {"multiselect", "button_group", "select_slider"}:
        options = [o if isinstance(o, str) else o.content for o in w.proto.options]
        values = value if isinstance(value, list | tuple) else [value]
        labels = [_label(options, v) for v in values]
        if None in labels:
            raise ValueError(f"{value!r} is not among the options of {w.type} {w.id}")
        ws.string_array_value.data[:] = labels
    else:
        raise ValueError(f"{w.type} widgets are not supported by this client")
    return ws


class Tab:
    """One browser tab on a Streamlit server: open pages, change widgets, time each page run."""

    def __init__(self, ws: Any, *, run_timeout: float = 120.0) -> None:
        self.ws = ws
        self.run_timeout = run_timeout
        self.pages: dict[str, str] = {}  # url_pathname -> page_script_hash ("" for the default)
        self.page = ""  # page_script_hash of the page shown now
        self.query = ""  # query string of the page shown now (the URL bar)
        self.widgets: dict[str, Widget] = {}  # user key -> widget, on the page shown now
        self.session_id = ""

    @classmethod
    async def connect(cls, url: str, *, run_timeout: float = 120.0) -> Tab:
        from websockets.asyncio.client import connect

        ws = await connect(
            check_loopback(url) + "/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            max_size=None,  # a page can send multi-megabyte figures
            ping_interval=None,
            open_timeout=30,
        )
        return cls(ws, run_timeout=run_timeout)

    async def close(self) -> None:
        await self.ws.close()

    async def open(self, page: str = "") -> RunResult:
        """Open ``page`` (a url_pathname): typed in the URL bar first, then a sidebar click."""
        if not self.pages:  # the first run: the URL is all the tab knows
            return await self._rerun(page_name=page, query="")
        if page not in self.pages:
            raise KeyError(f"no page {page!r}; the app has {sorted(self.pages)}")
        self.widgets = {}
        return await self._rerun(page_hash=self.pages[page], query="")

    async def set_widget(self, key: str, value: Any) -> RunResult | None:
        """Set the widget with user key ``key`` on the page shown now; None if there is none."""
        w = self.widgets.get(key)
        if w is None:  # a stable widget's key carries a digest of its labels: "<key>__<hex>"
            w = next((v for k, v in self.widgets.items() if k.startswith(f"{key}__")), None)
        if w is None:
            return None
        state = widget_state(w, value)
        return await self._rerun(
            page_hash=self.page, query=self.query, states=[state], fragment_id=w.fragment_id
        )

    async def _rerun(
        self,
        *,
        page_hash: str = "",
        page_name: str = "",
        query: str,
        states: list[WidgetState] | None = None,
        fragment_id: str = "",
    ) -> RunResult:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query
        cs.page_script_hash = page_hash
        cs.page_name = page_name
        cs.fragment_id = fragment_id
        cs.widget_states.widgets.extend(states or [])
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        result = RunResult(0.0, "timeout")
        try:
            await asyncio.wait_for(self._read_run(result), self.run_timeout)
        except TimeoutError:
            result.status = "timeout"
        result.seconds = time.perf_counter() - t0
        return result

    async def _read_run(self, result: RunResult) -> None:
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await self.ws.recv())
            result.messages += 1
            kind = fm.WhichOneof("type")
            if kind == "delta":
                self._delta(fm, result)
            elif kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id or self.session_id
                self.page = fm.new_session.page_script_hash
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages}
                for p in fm.navigation.app_pages:
                    if p.is_default:
                        self.pages.setdefault("", p.page_script_hash)
                self.page = fm.navigation.page_script_hash or self.page
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "session_event" and fm.session_event.HasField(
                "script_compilation_exception"
            ):
                e = fm.session_event.script_compilation_exception
                result.exceptions.append(f"{e.type}: {e.message}"[:300])
            elif kind == "script_finished" and fm.script_finished in DONE:
                result.status = {
                    ForwardMsg.FINISHED_SUCCESSFULLY: "ok",
                    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment",
                    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
                }[fm.script_finished]
                return

    def _delta(self, fm: ForwardMsg, result: RunResult) -> None:
        if fm.delta.WhichOneof("type") == "add_block":
            block_id = fm.delta.add_block.id
            if block_id and user_key_from_element_id(block_id) == SCRIPT_ERROR_KEY:
                result.exceptions.append("script error box")
                result.in_error_box = True
            return
        if fm.delta.WhichOneof("type") != "new_element":
            return
        el = fm.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            result.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
        elif kind == "alert" and el.alert.format == el.alert.ERROR and result.in_error_box:
            result.exceptions[-1] = f"script error box: {el.alert.body}"[:300]
            result.in_error_box = False
        elif kind == "alert" and el.alert.format == el.alert.ERROR:
            result.errors_shown += 1
        elif kind in WIDGETS:
            proto = getattr(el, kind)
            key = user_key_from_element_id(proto.id)
            if key:
                self.widgets[key] = Widget(proto.id, kind, proto, fm.delta.fragment_id)
