"""The class database: a teacher opens a class session (a short code), students join with it
and their predictions (and results) are pooled, in SQLite by default or any SQLAlchemy URL
(PostgreSQL for several app servers).

No accounts and no personal data: a student is an opaque id (a hash of their browser session)
with an optional nickname. A student writes and reads only their own entries; the class's
entries are read through the teacher's token. Closing a session keeps every entry (export CSV).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LEN = 6
QUESTION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_VALUE = 200  # characters of one answer
MAX_NICK = 24
RATE = (20, 60.0)  # at most 20 submissions per student per 60 s
Kind = Literal["prediction", "result"]


class ClassError(ValueError):
    """A request the class database refuses (an unknown code, a closed session, bad input)."""


@dataclass(frozen=True)
class ClassSession:
    """A class session as its teacher or a student sees it.

    Args:
        code: the short code students type.
        title: what the teacher called it.
        closed: True once the teacher closed it (entries are kept, no new ones).
        teacher_token: the secret that opens the class's entries (only the teacher holds it;
            empty in a student's copy).
    """

    code: str
    title: str
    closed: bool
    teacher_token: str = ""


@dataclass(frozen=True)
class Entry:
    """One answer: a prediction (``value`` is the option picked) or a result (``number``)."""

    question: str
    kind: str
    value: str
    number: float | None
    nickname: str
    prompt: str


@dataclass(frozen=True)
class Summary:
    """One question of a session: its prompt, how many picked each option, every result."""

    question: str
    prompt: str
    counts: dict[str, int]
    results: list[float]


def student_id(session_id: str, salt: str = "genai-class") -> str:
    """An opaque, stable id for a browser session (the session id itself is never stored).

    >>> student_id("abc") == student_id("abc") != student_id("abd")
    True
    """
    return hashlib.blake2b(f"{salt}:{session_id}".encode(), digest_size=12).hexdigest()


def clean_nickname(text: str) -> str:
    """A nickname kept to letters, digits, spaces and ``-_.``, at most 24 characters.

    >>> clean_nickname("  <b>Ann</b>  e\\u202e ")
    'bAnnb e'
    """
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " -_.")
    return " ".join(kept.split())[:MAX_NICK]


def normalise_code(text: str) -> str:
    """A typed code as stored: upper case, spaces and dashes dropped.

    >>> normalise_code(" ab-c 23x ")
    'ABC23X'
    """
    return "".join(ch for ch in text.upper() if ch not in " -")


class ClassDB:
    """The class database behind one SQLAlchemy URL (tables made on first use).

    >>> db = ClassDB("sqlite://")
    >>> s = db.open_session("Demo")
    >>> db.submit(s.code, student_id("browser-1"), "q_predict", "prediction", value="About 2x")
    >>> db.counts(s.code, "q_predict", s.teacher_token)
    {'About 2x': 1}
    """

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.url = url
        kwargs: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = sa.pool.StaticPool  # one in-memory database for all
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        meta = sa.MetaData()
        self.sessions = sa.Table(
            "class_sessions",
            meta,
            sa.Column("code", sa.String(CODE_LEN), primary_key=True),
            sa.Column("title", sa.String(120), nullable=False),
            sa.Column("teacher_hash", sa.String(64), nullable=False),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("closed", sa.Float, nullable=True),
        )
        self.entries = sa.Table(
            "class_entries",
            meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("code", sa.String(CODE_LEN), sa.ForeignKey("class_sessions.code")),
            sa.Column("student", sa.String(32), nullable=False),
            sa.Column("nickname", sa.String(MAX_NICK), nullable=False, default=""),
            sa.Column("question", sa.String(64), nullable=False),
            sa.Column("prompt", sa.String(500), nullable=False, default=""),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("value", sa.String(MAX_VALUE), nullable=False, default=""),
            sa.Column("number", sa.Float, nullable=True),
            sa.Column("updated", sa.Float, nullable=False),
            sa.UniqueConstraint("code", "student", "question", "kind", name="one_answer_each"),
        )
        meta.create_all(self.engine)
        self._recent: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    # --- sessions --------------------------------------------------------------------------
    def open_session(self, title: str = "") -> ClassSession:
        """A new session with a fresh code; the returned copy holds the teacher's token."""
        import sqlalchemy as sa

        token = secrets.token_urlsafe(24)
        title = " ".join((title or "Class").split())[:120]
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))
            try:
                with self.engine.begin() as c:
                    c.execute(
                        self.sessions.insert().values(
                            code=code,
                            title=title,
                            teacher_hash=_hash(token),
                            created=time.time(),
                            closed=None,
                        )
                    )
                return ClassSession(code, title, False, token)
            except sa.exc.IntegrityError:
                continue  # the code was taken: draw another
        raise ClassError("could not find a free class code; try again")

    def session(self, code: str) -> ClassSession:
        """The session behind a code (a student's view: no token).

        Raises:
            ClassError: no session has this code.
        """
        import sqlalchemy as sa

        code = normalise_code(code)
        if len(code) != CODE_LEN or any(ch not in CODE_ALPHABET for ch in code):
            raise ClassError(f"a class code is {CODE_LEN} letters and digits, like K7Q2MX")
        with self.engine.connect() as c:
            row = c.execute(sa.select(self.sessions).where(self.sessions.c.code == code)).first()
        if row is None:
            raise ClassError(f"no class has the code {code}: check it with your teacher")
        return ClassSession(row.code, row.title, row.closed is not None)

    def _teacher(self, code: str, token: str) -> None:
        import sqlalchemy as sa

        with self.engine.connect() as c:
            row = c.execute(
                sa.select(self.sessions.c.teacher_hash).where(self.sessions.c.code == code)
            ).first()
        if row is None or not secrets.compare_digest(row.teacher_hash, _hash(token or "")):
            raise ClassError("only the class's teacher can see its answers")

    def is_teacher(self, code: str, token: str) -> bool:
        """Whether ``token`` is the teacher's token of the session ``code``."""
        try:
            self._teacher(normalise_code(code), token)
        except ClassError:
            return False
        return True

    def close(self, code: str, token: str) -> None:
        """Close the session (no new entries; every entry is kept)."""
        self._teacher(code, token)
        with self.engine.begin() as c:
            c.execute(
                self.sessions.update()
                .where(self.sessions.c.code == code)
                .values(closed=time.time())
            )

    # --- entries ---------------------------------------------------------------------------
    def _rate(self, code: str, student: str) -> None:
        n, window = RATE
        now = time.monotonic()
        with self._lock:
            q = self._recent.setdefault((code, student), deque())
            while q and now - q[0] > window:
                q.popleft()
            if len(q) >= n:
                raise ClassError("too many answers in a minute: wait a moment and try again")
            q.append(now)

    def submit(
        self,
        code: str,
        student: str,
        question: str,
        kind: Kind,
        *,
        value: str = "",
        number: float | None = None,
        nickname: str = "",
        prompt: str = "",
    ) -> None:
        """Store (or replace) this student's answer to ``question``.

        Raises:
            ClassError: an unknown or closed session, a malformed question, value or number,
                or too many submissions in a minute.
        """
        import sqlalchemy as sa

        if kind not in ("prediction", "result"):
            raise ClassError(f"an entry is a prediction or a result, not {kind!r}")
        if not QUESTION.match(question or ""):
            raise ClassError("a question is named by a page's key, like sampling_predict")
        if not re.fullmatch(r"[0-9a-f]{8,32}", student or ""):
            raise ClassError("not a student id")
        value = " ".join(str(value).split())
        if len(value) > MAX_VALUE:
            raise ClassError(f"an answer is at most {MAX_VALUE} characters")
        if kind == "prediction" and not value:
            raise ClassError("a prediction needs the option picked")
        if number is not None and not (isinstance(number, (int, float)) and math.isfinite(number)):
            raise ClassError("a result must be a finite number")
        if kind == "result" and number is None:
            raise ClassError("a result needs a number")
        s = self.session(code)
        if s.closed:
            raise ClassError(f"class {s.code} is closed: answers are no longer taken")
        self._rate(s.code, student)
        row = dict(
            code=s.code,
            student=student,
            nickname=clean_nickname(nickname),
            question=question,
            prompt=" ".join(prompt.split())[:500],
            kind=kind,
            value=value,
            number=None if number is None else float(number),
            updated=time.time(),
        )
        t = self.entries
        mine = (
            (t.c.code == s.code)
            & (t.c.student == student)
            & (t.c.question == question)
            & (t.c.kind == kind)
        )
        changes = {k: v for k, v in row.items() if v or k not in ("prompt", "nickname")}
        for _ in range(3):  # insert, or replace one's own answer; a race retries
            with self.engine.begin() as c:
                if c.execute(t.update().where(mine).values(**changes)).rowcount:
                    return
                try:
                    with c.begin_nested():
                        c.execute(t.insert().values(**row))
                    return
                except sa.exc.IntegrityError:
                    continue
        raise ClassError("the answer could not be saved; try again")

    def mine(self, code: str, student: str, question: str, kind: Kind) -> Entry | None:
        """This student's own answer (never another's)."""
        import sqlalchemy as sa

        t = self.entries
        with self.engine.connect() as c:
            r = c.execute(
                sa.select(t).where(
                    (t.c.code == normalise_code(code))
                    & (t.c.student == student)
                    & (t.c.question == question)
                    & (t.c.kind == kind)
                )
            ).first()
        return (
            None
            if r is None
            else Entry(r.question, r.kind, r.value, r.number, r.nickname, r.prompt)
        )

    def _rows(self, code: str, token: str, question: str | None = None) -> list[Any]:
        import sqlalchemy as sa

        code = normalise_code(code)
        self._teacher(code, token)
        t = self.entries
        where = t.c.code == code
        if question is not None:
            where = where & (t.c.question == question)
        with self.engine.connect() as c:
            return list(c.execute(sa.select(t).where(where).order_by(t.c.id)))

    def counts(self, code: str, question: str, token: str) -> dict[str, int]:
        """How many students predicted each option (the teacher's live histogram)."""
        out: dict[str, int] = {}
        for r in self._rows(code, token, question):
            if r.kind == "prediction":
                out[r.value] = out.get(r.value, 0) + 1
        return out

    def results(self, code: str, question: str, token: str) -> list[float]:
        """Every student's result for ``question`` (the distribution after the reveal)."""
        return [r.number for r in self._rows(code, token, question) if r.kind == "result"]

    def summary(self, code: str, token: str) -> list[Summary]:
        """Every question the class answered, in the order first seen, with its prediction
        counts and results: one read of the session's entries (the teacher's overview)."""
        out: dict[str, Summary] = {}
        for r in self._rows(code, token):
            q = out.setdefault(r.question, Summary(r.question, r.prompt, {}, []))
            if r.kind == "prediction":
                q.counts[r.value] = q.counts.get(r.value, 0) + 1
            else:
                q.results.append(r.number)
        return list(out.values())

    def questions(self, code: str, token: str) -> list[tuple[str, str]]:
        """(question, prompt) of every question the class answered, in the order first seen."""
        seen: dict[str, str] = {}
        for r in self._rows(code, token):
            seen.setdefault(r.question, r.prompt)
        return list(seen.items())

    def export_csv(self, code: str, token: str) -> str:
        """Every entry of the session as CSV (no student ids: a row number per student)."""
        rows = self._rows(code, token)
        students: dict[str, int] = {}
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["student", "nickname", "question", "prompt", "kind", "value", "number", "time"])
        for r in rows:
            n = students.setdefault(r.student, len(students) + 1)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.updated))
            w.writerow([n, r.nickname, r.question, r.prompt, r.kind, r.value, r.number, stamp])
        return buf.getvalue()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sqlite_pragmas(conn: Any, _record: Any) -> None:
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_DBS: dict[str, ClassDB] = {}
_DBS_LOCK = threading.Lock()


def class_db(url: str | None = None) -> ClassDB:
    """The process's database for ``url`` (default: the settings' ``class_db_url``)."""
    from core.settings import get_settings

    url = url or get_settings().class_db_url
    with _DBS_LOCK:
        if url not in _DBS:
            if url.startswith("sqlite:///"):
                from pathlib import Path

                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            _DBS[url] = ClassDB(url)
        return _DBS[url]
