"""The classroom layer in real Chromium: a student link with hidden controls shows none of them
and a locked one cannot be changed; a guided lesson walks from the Lessons page to a step and
on to the next; presenter mode opens with the sidebar closed and the page enlarged."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

STUDENT = (
    "/sampling?sampling_temperature=0.7&lock=sampling_temperature"
    "&hide=sampling_min_p&hide=sampling_penalty&hide=sampling_seed"
)


def test_a_student_link_hides_and_locks_its_controls(visit):
    tab = visit().open(STUDENT)
    main = tab.main_text()
    for label in ("Min-p (0 = off)", "Repetition penalty (1 = off)", "⑥ Seed"):
        assert label not in main
    assert "③ Top-k (0 = off)" in main  # the others are there
    slider = tab.page.get_by_role("slider", name="② Temperature (0 = greedy)")
    assert slider.count() == 1
    slider.click(force=True)  # a learner tries to move it
    tab.page.keyboard.press("ArrowRight")
    tab.page.keyboard.press("ArrowRight")
    tab.wait_idle()
    assert "sampling_temperature=0.7&" in tab.page.url  # still the lesson's value
    tab.assert_clean()


def test_a_guided_lesson_from_the_list_to_the_next_step(visit):
    tab = visit().open("/lessons")
    page = tab.page
    page.get_by_role("link", name="1. Greedy always picks the top").click()
    page.get_by_text("step 1 of 4: Greedy always picks the top").wait_for(timeout=60_000)
    tab.wait_idle()
    assert "lesson=sampling" in page.url and "step=1" in page.url
    page.get_by_role("link", name="Next step").click()
    page.get_by_text("step 2 of 4: Hotter and colder").wait_for(timeout=60_000)
    tab.wait_idle()
    assert "sampling_temperature=1.5&" in page.url  # the step's own setting
    tab.assert_clean()


def test_presenter_mode_from_a_link(visit):
    tab = visit()
    page = tab.page
    page.goto(tab.base_url + "/sampling?present=1", timeout=60_000)
    page.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=60_000)
    tab.wait_idle()  # the sidebar is closed: no navigation to wait for
    zoom = page.evaluate(
        "getComputedStyle(document.querySelector('[data-testid=stMainBlockContainer]')).zoom"
    )
    assert float(zoom) > 1.2
    assert not page.get_by_test_id("stSidebarNav").is_visible()  # the sidebar starts closed
    # one concept per screen: PageDown brings the next section to the top of the screen
    page.locator("h1").first.click()
    heading = page.get_by_role("heading", name="Step by step")
    landed = []
    for _ in range(6):
        page.keyboard.press("PageDown")
        page.wait_for_timeout(700)
        top = page.evaluate(
            "h => h.getBoundingClientRect().top"
            " - document.querySelector('[data-testid=stMain]').getBoundingClientRect().top",
            heading.element_handle(),
        )
        landed.append(round(top))
        if 40 <= top <= 140:  # just below Streamlit's header bar
            break
    assert 40 <= landed[-1] <= 140, landed
    page.keyboard.press("PageUp")
    page.wait_for_timeout(700)
    assert heading.evaluate("h => h.getBoundingClientRect().top") > 140  # back one section
    tab.assert_clean()
