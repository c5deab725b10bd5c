"""The class database: sessions, answers that replace only one's own, a teacher's view, closing
and export, refused input, and 40 students at once. Runs on SQLite, and on PostgreSQL too when
``GENAI_DB_URL`` points to one (CI starts one)."""

from __future__ import annotations

import csv
import io
import os
import threading

import pytest

from core.classroom import ClassDB, ClassError, student_id
from core.classroom import db as dbmod

URLS = ["sqlite"]
if os.environ.get("GENAI_DB_URL", "").startswith("postgresql"):
    URLS.append(os.environ["GENAI_DB_URL"])
elif os.environ.get("CI"):
    URLS.append("missing-postgres")


@pytest.fixture(params=URLS, ids=lambda u: u.split(":")[0].split("+")[0])
def db(request, tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "RATE", (1000, 60.0))
    if request.param == "missing-postgres":
        pytest.fail("CI must run the class database suite on PostgreSQL: set GENAI_DB_URL")
    url = f"sqlite:///{tmp_path / 'class.db'}" if request.param == "sqlite" else request.param
    return ClassDB(url)


STUDENTS = [student_id(f"browser-{i}") for i in range(40)]


def test_a_class_pools_predictions_one_per_student(db):
    s = db.open_session("Period 3")
    assert db.session(s.code.lower()).title == "Period 3" and not db.session(s.code).closed
    a, b = STUDENTS[:2]
    db.submit(s.code, a, "sampling_predict", "prediction", value="Yes", prompt="Same story?")
    db.submit(s.code, b, "sampling_predict", "prediction", value="No")
    db.submit(s.code, a, "sampling_predict", "prediction", value="No")  # a changes their mind
    assert db.counts(s.code, "sampling_predict", s.teacher_token) == {"No": 2}
    assert db.mine(s.code, a, "sampling_predict", "prediction").value == "No"
    assert db.mine(s.code, STUDENTS[5], "sampling_predict", "prediction") is None
    assert db.questions(s.code, s.teacher_token) == [("sampling_predict", "Same story?")]


def test_results_and_the_teachers_token(db):
    s = db.open_session()
    for i, acc in enumerate((0.8, 0.9, 0.85)):
        db.submit(s.code, STUDENTS[i], "lora_result", "result", number=acc)
    assert sorted(db.results(s.code, "lora_result", s.teacher_token)) == [0.8, 0.85, 0.9]
    other = db.open_session()
    for token in ("", "guess", other.teacher_token):
        with pytest.raises(ClassError, match="only the class's teacher"):
            db.counts(s.code, "lora_result", token)


def test_closing_keeps_every_entry_and_takes_no_more(db):
    s = db.open_session("Closing")
    db.submit(s.code, STUDENTS[0], "q_predict", "prediction", value="A", nickname="<Ann>")
    db.submit(s.code, STUDENTS[1], "q_predict", "prediction", value="B, with a comma")
    db.close(s.code, s.teacher_token)
    assert db.session(s.code).closed
    with pytest.raises(ClassError, match="closed"):
        db.submit(s.code, STUDENTS[2], "q_predict", "prediction", value="A")
    rows = list(csv.DictReader(io.StringIO(db.export_csv(s.code, s.teacher_token))))
    assert [(r["student"], r["nickname"], r["value"]) for r in rows] == [
        ("1", "Ann", "A"),
        ("2", "", "B, with a comma"),
    ]
    assert not any(STUDENTS[0] in v for r in rows for v in r.values())  # no ids leave
    with pytest.raises(ClassError):
        db.close(s.code, "not the token")


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(code="NOPE"), "6 letters"),
        (dict(code="ZZZZZZ"), "no class has the code"),
        (dict(question="Bad Question"), "question"),
        (dict(question="x" * 80), "question"),
        (dict(student="not-hex"), "student id"),
        (dict(value="x" * 201), "at most 200"),
        (dict(value="   "), "needs the option"),
        (dict(kind="vote"), "prediction or a result"),
        (dict(kind="result", value="", number=float("nan")), "finite"),
        (dict(kind="result", value=""), "needs a number"),
    ],
)
def test_bad_submissions_are_refused(db, kwargs, words):
    s = db.open_session()
    args = dict(code=s.code, student=STUDENTS[0], question="q_predict", kind="prediction")
    args |= {k: v for k, v in kwargs.items() if k in args}
    extra = {k: v for k, v in kwargs.items() if k not in args}
    extra.setdefault("value", "A")
    with pytest.raises(ClassError, match=words):
        db.submit(args["code"], args["student"], args["question"], args["kind"], **extra)


def test_a_student_is_rate_limited(db, monkeypatch):
    monkeypatch.setattr(dbmod, "RATE", (3, 60.0))
    s = db.open_session()
    for _ in range(3):
        db.submit(s.code, STUDENTS[0], "q_predict", "prediction", value="A")
    with pytest.raises(ClassError, match="too many"):
        db.submit(s.code, STUDENTS[0], "q_predict", "prediction", value="A")
    db.submit(s.code, STUDENTS[1], "q_predict", "prediction", value="A")  # others are not


def test_forty_students_at_once_lose_nothing_and_duplicate_nothing(db):
    s = db.open_session("Rush")
    questions = ["q_one", "q_two", "q_three"]
    errors: list[BaseException] = []
    start = threading.Barrier(len(STUDENTS))

    def student(i: int) -> None:
        try:
            start.wait()
            for q in questions:
                db.submit(s.code, STUDENTS[i], q, "prediction", value=f"opt{i % 3}")
            # the same student, twice at once on one question: still one row
            db.submit(s.code, STUDENTS[i], "q_one", "prediction", value=f"opt{i % 3}")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(len(STUDENTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for q in questions:
        counts = db.counts(s.code, q, s.teacher_token)
        assert sum(counts.values()) == 40, q
        assert counts == {"opt0": 14, "opt1": 13, "opt2": 13}
    rows = list(csv.DictReader(io.StringIO(db.export_csv(s.code, s.teacher_token))))
    assert len(rows) == 120


def test_the_summary_is_what_the_per_question_reads_say(db):
    s = db.open_session()
    db.submit(s.code, STUDENTS[0], "q_predict", "prediction", value="A", prompt="Q?")
    db.submit(s.code, STUDENTS[1], "q_predict", "prediction", value="B")
    db.submit(s.code, STUDENTS[0], "lora_result", "result", number=0.9, prompt="Acc")
    got = db.summary(s.code, s.teacher_token)
    assert [(x.question, x.prompt) for x in got] == db.questions(s.code, s.teacher_token)
    for x in got:
        assert x.counts == db.counts(s.code, x.question, s.teacher_token)
        assert x.results == db.results(s.code, x.question, s.teacher_token)
    with pytest.raises(ClassError):
        db.summary(s.code, "not the token")
