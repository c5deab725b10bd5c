"""The classroom layer of every page: lesson links (controls locked or hidden by the link),
"Share as lesson", presenter mode and the guided lesson's banner.

A link's rules (``core.lessons.parse_link``) are kept in the session when the page opens. Every
Streamlit input widget of the app is wrapped once (:func:`install`, from app.py), so no page
restates them: a locked key's widget is drawn disabled and keeps the lesson's value; a hidden
key's widget is not drawn and its value (seeded from the link by ``ui.urlstate``) still applies.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.lessons import Lesson, LessonError, LessonLink, list_lessons, url_values

LINK = "_lesson_link"  # the session's LessonLink (its rules)
ORIGIN = "_lesson_origin"  # (page path, query) of the link as opened: "reset to the lesson"
LOCKED = "_lesson_locked"  # key -> the lesson's value of each locked key, as first seen
PRESENT = "_present"  # the presenter-mode toggle
WIDGETS = (
    "checkbox",
    "color_picker",
    "date_input",
    "multiselect",
    "number_input",
    "pills",
    "radio",
    "segmented_control",
    "select_slider",
    "selectbox",
    "slider",
    "text_area",
    "text_input",
    "time_input",
    "toggle",
)
PRESENTER_CSS = """
<style>
[data-testid="stMainBlockContainer"] { zoom: 1.35; max-width: 100%; padding-top: 1.5rem; }
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] { font-size: 1rem; }
</style>
"""


# --- the rules -----------------------------------------------------------------------------------
def rules() -> LessonLink | None:
    """The session's lesson link (None: no lesson rules)."""
    try:
        return st.session_state.get(LINK)
    except Exception:  # no session (a bare script)
        return None


def _base(key: str) -> str:
    return key.split("__", 1)[0]  # ui.urlstate.stable_key adds ``__<digest>``


def _wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def widget(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = kwargs.get("key")
        link = rules() if isinstance(key, str) and not key.startswith("_") else None
        if link is None:
            return fn(self, *args, **kwargs)
        base = _base(key)
        if base in link.hide and base in st.session_state:
            return st.session_state[base]  # not drawn; the lesson's value applies
        if base in link.lock:
            kwargs["disabled"] = True
            locked = st.session_state.setdefault(LOCKED, {})
            if base in st.session_state:
                locked.setdefault(base, st.session_state[base])
        return fn(self, *args, **kwargs)

    widget.__lesson_wrapped__ = True  # type: ignore[attr-defined]
    return widget


def install() -> None:
    """Wrap Streamlit's input widgets once per process (``st.x`` and ``column.x`` alike)."""
    for name in WIDGETS:
        fn = getattr(DeltaGenerator, name, None)
        if fn is None or getattr(fn, "__lesson_wrapped__", False):
            continue
        setattr(DeltaGenerator, name, _wrap(fn))
        if hasattr(st, name):
            setattr(st, name, getattr(st._main, name))


def query_lists() -> dict[str, list[str]]:
    """The page's query parameters, each as the list of its values."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def capture(page_path: str, link: LessonLink) -> LessonLink:
    """Keep the rules of ``link`` (the page's query, parsed); a link with new rules (another
    step, another lesson) replaces the session's and forgets the locked values of the old one.
    Call before the page runs."""
    old = rules()
    if link.is_lesson:
        same = old is not None and (old.lock, old.hide, old.lesson, old.step) == (
            link.lock,
            link.hide,
            link.lesson,
            link.step,
        )
        if not same:
            st.session_state[LINK] = link
            st.session_state[ORIGIN] = (page_path, query_lists())
            st.session_state.pop(LOCKED, None)
            for key in link.values:  # seeded again from this link by the page's url_state
                if not key.startswith("_"):
                    st.session_state.pop(key, None)
    if link.present and PRESENT not in st.session_state:
        st.session_state[PRESENT] = True
    return rules() or link


def enforce() -> None:
    """Give every locked key the lesson's value again (a callback may have changed it)."""
    for key, value in st.session_state.get(LOCKED, {}).items():
        if st.session_state.get(key) != value:
            st.session_state[key] = value


def reset_to_lesson() -> None:
    """Bring back the lesson's values (a button callback): the link's query, the page's keys
    seeded again from it."""
    origin = st.session_state.get(ORIGIN)
    if origin is None:
        return
    _, query = origin
    for key in [*st.session_state.get("_urlstate_keys", []), *query]:
        if not key.startswith("_") and key in st.session_state:
            del st.session_state[key]
    st.session_state.pop(LOCKED, None)
    st.query_params.from_dict(query)


# --- presenter mode ------------------------------------------------------------------------------
def presenter() -> bool:
    """Presenter mode's toggle state (seeded by ``present=1``)."""
    return bool(st.session_state.get(PRESENT, False))


# One concept per screen: PageDown / PageUp (and N / P) move from section to section, bringing the
# next heading, chart or boxed panel to the top of the projector's screen. A components.html
# script (Streamlit's own way to run one) listens in the app's page; keys typed into a control
# are left alone.
PRESENTER_KEYS = """
<script>
const doc = window.parent.document;
if (!doc.__genaiPresenterKeys) {
  doc.__genaiPresenterKeys = true;
  doc.addEventListener("keydown", (ev) => {
    const next = ev.key === "PageDown" || ev.key === "n";
    const prev = ev.key === "PageUp" || ev.key === "p";
    const t = doc.activeElement;
    const typing = t && (/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || t.isContentEditable
      || t.getAttribute("role") === "slider");
    if (!(next || prev) || typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!doc.querySelector("[data-genai-presenter]")) return;  // presenter mode is off
    const main = doc.querySelector('[data-testid="stMain"]');
    if (!main) return;
    const top = main.getBoundingClientRect().top + 70;  // below Streamlit's header bar
    const stops = Array.from(main.querySelectorAll(
      '[data-testid="stHeading"], [data-testid="stPlotlyChart"], '
      + '[data-testid="stVerticalBlockBorderWrapper"]'))
      .map((e) => e.getBoundingClientRect().top - top)
      .filter((y, i, all) => i === 0 || Math.abs(y - all[i - 1]) > 40);
    const y = next ? stops.find((d) => d > 8) : stops.reverse().find((d) => d < -8);
    ev.preventDefault();
    main.scrollBy({top: y === undefined ? (next ? main.clientHeight : -main.scrollTop) : y});
  });
}
</script>
"""


def presenter_style() -> None:
    """Large type and charts on the projector (the main area zoomed, captions kept), and the
    keys that page through its sections, one concept per screen."""
    if presenter():
        st.html(PRESENTER_CSS + '<span data-genai-presenter="1"></span>')
        import streamlit.components.v1 as components

        components.html(PRESENTER_KEYS, height=0)


def _sync_present() -> None:
    if st.session_state.get(PRESENT):
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


# --- share as lesson -----------------------------------------------------------------------------
def _label(key: str) -> str:
    head, _, rest = key.partition("_")
    return rest.replace("_", " ") or head


def share_link(path: str, lock: list[str], hide: list[str], present: bool) -> str:
    """The current setup as a lesson link: every setting of the page, the rules chosen."""
    keys = [k for k in st.session_state.get("_urlstate_keys", []) if k in st.session_state]
    values = {k: url_values(st.session_state[k]) for k in keys}
    base = st.context.url or "/" + path.strip("/")
    return LessonLink(values, tuple(lock), tuple(k for k in hide if k not in lock), present).url(
        base
    )


@st.cache_data(show_spinner=False, max_entries=256)
def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as PNG bytes (segno: no image library needed)."""
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=5, border=2)
    return buf.getvalue()


def share_panel(path: str) -> None:
    """The sidebar's "Share as lesson": pick controls to lock or hide, copy the link, show a QR
    code for the projector; "Reset to the lesson" when the page opened from one."""
    keys = [k for k in st.session_state.get("_urlstate_keys", []) if k in st.session_state]
    link = rules()
    with st.sidebar:
        st.toggle(
            "Presenter mode",
            key=PRESENT,
            on_change=_sync_present,
            help="Large type and charts for a projector; the link below opens in it too.",
        )
        if link is not None and st.session_state.get(ORIGIN):
            st.button(
                "Reset to the lesson",
                key="_lesson_reset",
                icon=":material/restart_alt:",
                on_click=reset_to_lesson,
                help="Puts back every setting the lesson link opened with.",
            )
        if not keys:
            return
        with st.expander("Share as lesson", icon=":material/school:"):
            lock = st.multiselect(
                "Lock (visible, not editable)",
                keys,
                default=[k for k in (link.lock if link else ()) if k in keys],
                format_func=_label,
                key="_share_lock",
            )
            hide = st.multiselect(
                "Hide",
                [k for k in keys if k not in lock],
                default=[k for k in (link.hide if link else ()) if k in keys and k not in lock],
                format_func=_label,
                key="_share_hide",
            )
            url = share_link(path, lock, hide, presenter())
            st.caption("The current settings of this page, as a link for the class:")
            st.code(url, language=None, wrap_lines=True)
            if len(url) > 2000:
                st.caption(f"The link is {len(url):,} characters: too long for a QR code.")
            else:
                st.image(qr_png(url), caption="Scan to open the lesson", width=180)


# --- guided lessons ------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, ttl=60)
def lessons(pages: tuple[str, ...]) -> tuple[list[Lesson], list[LessonError]]:
    """The shipped lessons (re-read every minute: a teacher may be editing one)."""
    return list_lessons(pages=set(pages))


def step_link(lesson: Lesson, index: int, paths: dict[str, str], **kw: Any) -> None:
    """A link to step ``index`` (0-based) of ``lesson``, opening its page in this tab with the
    step's settings and rules."""
    step = lesson.steps[index]
    label = kw.pop("label", f"{index + 1}. {step.title or step.page}")
    st.page_link(paths[step.page], label=label, query_params=lesson.link(index).query(), **kw)


def banner(link: LessonLink, paths: dict[str, str], page: str) -> None:
    """A guided lesson's step above the page: its text and question, previous / next.

    Args:
        link: the session's lesson link.
        paths: page name (its address without ``/``) -> its script.
        page: the name of the page shown (the banner is drawn on the step's own page only).
    """
    if not link.lesson:
        return
    found, _ = lessons(tuple(paths))
    lesson = next((x for x in found if x.id == link.lesson), None)
    if lesson is None or not 1 <= link.step <= len(lesson.steps):
        st.warning(
            f"This link names lesson {link.lesson!r} step {link.step}, which is not among the "
            "lessons here; the page works as usual.",
            icon=":material/school:",
        )
        return
    i, n = link.step - 1, len(lesson.steps)
    step = lesson.steps[i]
    if step.page != page:
        return
    with st.container(border=True, key="lesson_banner"):
        title = f"**{lesson.title}** · step {i + 1} of {n}" + (
            f": {step.title}" if step.title else ""
        )
        st.progress((i + 1) / n, text=title)
        st.markdown(step.text)
        if step.ask:
            st.markdown(f"**Question for the class:** {step.ask}")
        c = st.columns(3)
        if i > 0:
            with c[0]:
                step_link(lesson, i - 1, paths, label="Previous step", icon=":material/arrow_back:")
        if i + 1 < n:
            with c[1]:
                step_link(lesson, i + 1, paths, label="Next step", icon=":material/arrow_forward:")
        with c[2]:
            st.page_link(paths["lessons"], label="All lessons", icon=":material/list:")
