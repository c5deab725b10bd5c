"""Guided lessons: a teacher's YAML file of ordered steps, each a page with its settings, the
controls it locks or hides, a short text and an optional question for the class.

The format (``assets/lessons/*.yaml``; README "Teaching with the playground")::

    title: Temperature, top-k and top-p        # required
    stage: 2. Prompt                           # optional: the lifecycle stage
    minutes: 10                                # optional: how long it takes in class
    summary: One line shown in the lesson list # optional
    steps:                                     # required: 1 to 50 steps
      - page: sampling                         # a page's address without the slash
        title: Greedy always picks the top     # optional
        text: |                                # required: what the class does and looks at
          Set the temperature to 0 and generate twice.
        settings: {sampling_temperature: 0.0}  # optional: the page's controls, by key
        lock: [sampling_temperature]           # optional: shown, not editable
        hide: [sampling_seed]                  # optional: not drawn
        ask: Will two runs give the same text? # optional: a question for the class

A file that does not follow it is refused with the line of the first problem.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.lessons.links import FLAGS, KEY, LessonLink, url_values

MAX_BYTES = 100_000
MAX_STEPS = 50
MAX_TEXT = 2_000
LESSON_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TOP = {"title", "stage", "minutes", "summary", "steps"}
STEP = {"page", "title", "text", "settings", "lock", "hide", "ask"}


class LessonError(ValueError):
    """A lesson file that cannot be used; ``line`` is 1-based (0: the file as a whole)."""

    def __init__(self, name: str, line: int, message: str) -> None:
        self.name, self.line, self.message = name, line, message
        where = f"{name}, line {line}" if line else name
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LessonStep:
    """One step: a page, its settings and rules, what to do, and an optional question."""

    page: str
    text: str
    title: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    lock: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    ask: str = ""
    line: int = 0  # where the step starts in its file


@dataclass(frozen=True)
class Lesson:
    """A guided lesson: its id (the file's name), title, steps and where it came from."""

    id: str
    title: str
    steps: tuple[LessonStep, ...]
    stage: str = ""
    minutes: int = 0
    summary: str = ""

    def link(self, index: int) -> LessonLink:
        """Step ``index`` (0-based) as a lesson link: its settings, rules, lesson id, step."""
        s = self.steps[index]
        values = {k: url_values(v) for k, v in s.settings.items()}
        return LessonLink(values, s.lock, s.hide, False, self.id, index + 1)


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _mapping(name: str, node: Any, what: str, allowed: set[str]) -> dict[str, Any]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise LessonError(name, _line(node), f"{what} must be a mapping of fields")
    out: dict[str, Any] = {}
    for k, v in node.value:
        key = k.value if isinstance(k, yaml.ScalarNode) else None
        if key not in allowed:
            raise LessonError(
                name,
                _line(k),
                f"unknown field {key!r} in {what}; allowed: {', '.join(sorted(allowed))}",
            )
        if key in out:
            raise LessonError(name, _line(k), f"{key!r} appears twice in {what}")
        out[key] = v
    return out


def _text(name: str, node: Any, what: str, *, required: bool = True, limit: int = 200) -> str:
    import yaml

    if node is None:
        if required:
            raise LessonError(name, 0, f"{what} is missing")
        return ""
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise LessonError(name, _line(node), f"{what} must be a non-empty text")
    text = str(node.value).strip()
    if len(text) > limit:
        raise LessonError(
            name, _line(node), f"{what} is {len(text):,} characters; at most {limit:,}"
        )
    return text


def _keys(name: str, node: Any, what: str) -> tuple[str, ...]:
    import yaml

    if node is None:
        return ()
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None:
        raise LessonError(name, _line(node), f"{what} must be a list of control keys")
    out = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode) or not KEY.match(str(item.value)):
            raise LessonError(
                name, _line(item), f"{what}: {getattr(item, 'value', item)!r} is not a control key"
            )
        out.append(str(item.value))
    return tuple(out)


def _settings(name: str, node: Any) -> dict[str, Any]:
    import yaml

    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise LessonError(name, _line(node), "settings must map control keys to values")
    loader = yaml.SafeLoader("")
    out: dict[str, Any] = {}
    for k, v in node.value:
        key = str(k.value)
        if not KEY.match(key) or key in FLAGS:
            raise LessonError(name, _line(k), f"settings: {key!r} is not a control key")
        try:
            value = loader.construct_object(v, deep=True)
        except yaml.YAMLError as e:  # a tag the safe loader refuses (!!python/...), a bad date
            raise LessonError(name, _line(v), f"settings: {key} cannot be read: {e}") from None
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(x, (str, int, float, bool)) for x in items):
            raise LessonError(
                name,
                _line(v),
                f"settings: {key} must be a number, a text, true/false or a list of them",
            )
        out[key] = value
    return out


def parse_lesson(text: str, name: str, *, pages: Collection[str] | None = None) -> Lesson:
    """A :class:`Lesson` from a YAML text.

    Args:
        text: the file's contents.
        name: its file name (``sampling.yaml``): the lesson's id is the name without ``.yaml``.
        pages: the page names a step may open (None: any name).

    Raises:
        LessonError: the text is not a lesson, with the line of the first problem.

    >>> text = "title: T\\nsteps:\\n  - page: sampling\\n    text: Look.\\n"
    >>> lesson = parse_lesson(text, "t.yaml")
    >>> lesson.id, lesson.steps[0].page, lesson.link(0).step
    ('t', 'sampling', 1)
    >>> parse_lesson(text.replace("text:", "txt:"), "t.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.lessons.files.LessonError: t.yaml, line 4: unknown field 'txt' in step 1; allowed: ...
    """
    import yaml

    lesson_id = name.removesuffix(".yaml").removesuffix(".yml")
    if not LESSON_ID.match(lesson_id):
        raise LessonError(name, 0, "a lesson's file name uses lowercase letters, digits and - only")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise LessonError(name, 0, f"the file is over {MAX_BYTES:,} bytes")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise LessonError(
            name, line, f"not valid YAML: {getattr(e, 'problem', None) or e}"
        ) from None
    if root is None:
        raise LessonError(name, 0, "the file is empty")
    top = _mapping(name, root, "the lesson", TOP)
    steps_node = top.get("steps")
    if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
        raise LessonError(
            name, _line(steps_node) if steps_node else 0, "steps must be a list of 1 or more steps"
        )
    if len(steps_node.value) > MAX_STEPS:
        raise LessonError(name, _line(steps_node), f"at most {MAX_STEPS} steps")
    minutes = 0
    if "minutes" in top:
        raw = str(top["minutes"].value)
        if not raw.isdigit() or not 1 <= int(raw) <= 600:
            raise LessonError(
                name, _line(top["minutes"]), "minutes must be a whole number from 1 to 600"
            )
        minutes = int(raw)
    steps = []
    for i, node in enumerate(steps_node.value, start=1):
        what = f"step {i}"
        f = _mapping(name, node, what, STEP)
        page = _text(name, f.get("page"), f"{what}: page")
        if pages is not None and page not in pages:
            raise LessonError(
                name,
                _line(f["page"]),
                f"{what}: no page named {page!r}; pages: {', '.join(sorted(pages))}",
            )
        if "text" not in f:
            raise LessonError(name, _line(node), f"{what}: text is missing")
        steps.append(
            LessonStep(
                page=page,
                text=_text(name, f["text"], f"{what}: text", limit=MAX_TEXT),
                title=_text(name, f.get("title"), f"{what}: title", required=False),
                settings=_settings(name, f.get("settings")),
                lock=_keys(name, f.get("lock"), f"{what}: lock"),
                hide=_keys(name, f.get("hide"), f"{what}: hide"),
                ask=_text(name, f.get("ask"), f"{what}: ask", required=False, limit=500),
                line=_line(node),
            )
        )
    return Lesson(
        id=lesson_id,
        title=_text(name, top.get("title"), "title"),
        steps=tuple(steps),
        stage=_text(name, top.get("stage"), "stage", required=False),
        minutes=minutes,
        summary=_text(name, top.get("summary"), "summary", required=False, limit=300),
    )


def lesson_dir() -> Path:
    """Where the shipped lessons live (``assets/lessons``)."""
    from core.settings import get_settings

    return get_settings().assets_dir / "lessons"


def load_lesson(path: str | Path, *, pages: Collection[str] | None = None) -> Lesson:
    """Read and parse one lesson file (see :func:`parse_lesson`)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise LessonError(p.name, 0, f"cannot be read: {e.strerror or e}") from None
    if len(raw) > MAX_BYTES:
        raise LessonError(p.name, 0, f"the file is over {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise LessonError(p.name, line, "not UTF-8 text") from None
    return parse_lesson(text, p.name, pages=pages)


def list_lessons(
    folder: str | Path | None = None, *, pages: Collection[str] | None = None
) -> tuple[list[Lesson], list[LessonError]]:
    """Every ``*.yaml`` lesson in ``folder`` (default: the shipped ones), sorted by stage then
    title, and the files that failed (each with its line)."""
    d = Path(folder) if folder is not None else lesson_dir()
    good: list[Lesson] = []
    bad: list[LessonError] = []
    for p in sorted(d.glob("*.yaml")):
        try:
            good.append(load_lesson(p, pages=pages))
        except LessonError as e:
            bad.append(e)
    good.sort(key=lambda x: (x.stage or "~", x.title))
    return good, bad
