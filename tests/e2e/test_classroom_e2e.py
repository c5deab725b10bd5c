"""The class in real Chromium: a teacher starts a class, a student in another browser joins by
its link and commits a prediction, and the teacher's screen counts it."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_a_students_prediction_reaches_the_teachers_screen(visit):
    teacher = visit().open("/classroom")
    tp = teacher.page
    tp.get_by_role("button", name="Start a class").click()
    tp.get_by_text("Students open this link").wait_for(timeout=60_000)
    teacher.wait_idle()
    code = re.search(r"class=([A-Z0-9]{6})", teacher.main_text()).group(1)

    student = visit().open(f"/sampling?class={code}")
    sp = student.page
    group = sp.get_by_role("radiogroup", name="Your prediction")
    group.locator("label").first.click()
    student.wait_idle()
    sp.get_by_role("button", name="Reveal").click()
    sp.get_by_text(f"Sent to class {code}.").wait_for(timeout=60_000)
    student.wait_idle()
    assert "so far" not in student.main_text()  # a student never sees the class's answers

    tp.locator('[data-testid="stSidebarNav"] a', has_text="Sampling").click()
    tp.get_by_text(re.compile(rf"Class {code}: 1 prediction so far")).wait_for(timeout=60_000)
    teacher.wait_idle()
    teacher.assert_clean()
    student.assert_clean()
