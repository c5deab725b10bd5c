"""The LoRA page in real Chromium: a broken upload is explained, a live run can be stopped and
still ends with the base vs adapter comparison, and a closed tab's run stops and frees the
server's training slot for the next learner, who saw their place in line meanwhile."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e

UPLOAD = '[data-testid="stFileUploaderDropzoneInput"]'
# MiniLM at 20 epochs: hundreds of steps at a few per second, so a click always lands mid-run
# (tiny-gpt's recipe runs ~20 steps/s on a quiet machine and can finish before the click).
LONG_RUN = "/lora?lora_recipe=sentiment&lora_epochs=20&lora_batch=8&lora_maxlen=32"
ONE_CSV = b"text,label\n" + b"nice,pos\n" * 12
# batch 1: thousands of steps, minutes even on a fast machine: only a stop can end it soon
ENDLESS_RUN = "/lora?lora_recipe=sentiment&lora_epochs=20&lora_batch=1&lora_maxlen=32"


def test_broken_upload_is_explained(visit):
    tab = visit().open("/lora?lora_recipe=upload")
    tab.page.set_input_files(
        UPLOAD, files=[{"name": "one.csv", "mimeType": "text/csv", "buffer": ONE_CSV}]
    )
    tab.page.get_by_text("at least two different labels").wait_for(timeout=60_000)
    tab.wait_idle()
    tab.assert_clean()


def start_long_run(tab, name: str) -> None:
    page = tab.page
    page.get_by_text("Trainable parameters").first.wait_for(timeout=60_000)
    page.get_by_label("Save the adapter as (letters, digits, _ and -)").fill(name)
    page.keyboard.press("Enter")
    tab.wait_idle()
    page.get_by_role("button", name="Start training").click()


def main(tab):
    return tab.page.get_by_test_id("stMainBlockContainer")


@pytest.mark.slow
def test_live_run_stops_cleanly_and_compares(visit):
    tab = visit().open(LONG_RUN)
    page = tab.page
    start_long_run(tab, "e2e-stop")
    page.get_by_text("Steps per second").wait_for(timeout=120_000)  # the live panel polls
    page.get_by_text(re.compile(r"step [1-9]\d* of \d+")).wait_for(timeout=180_000)
    main(tab).get_by_role("button", name="Stop training").click()
    page.get_by_text("Base model vs adapter").wait_for(timeout=180_000)
    assert page.get_by_text("Stopped after").count() >= 1
    page.get_by_text("Did it forget?").wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"paired items")).first.wait_for(timeout=60_000)  # the verdict
    tab.wait_idle()
    tab.assert_clean()


@pytest.mark.slow
def test_a_closed_tabs_run_stops_and_the_next_learner_gets_the_slot(visit, tmp_path_factory):
    first = visit().open(ENDLESS_RUN)
    start_long_run(first, "e2e-closed")
    first.page.get_by_text(re.compile(r"step [1-9]\d* of \d+")).wait_for(timeout=180_000)
    first.assert_clean()

    second = visit().open(LONG_RUN)
    start_long_run(second, "e2e-next")
    page = second.page
    page.get_by_text("1st in line, no run ahead of yours").wait_for(timeout=60_000)
    first.close()  # the tab closes mid-run: its session ends, its run must stop
    page.get_by_text("Steps per second").wait_for(timeout=120_000)  # the slot is ours now
    main(second).get_by_role("button", name="Stop training").click()
    page.get_by_text("Base model vs adapter").wait_for(timeout=180_000)
    page.get_by_text(re.compile(r"Saved adapters \(\d+\)")).click()
    page.get_by_text("from another session").first.wait_for(timeout=30_000)  # e2e-closed, kept
    second.wait_idle()
    second.assert_clean()
    # the server's data folder (tests/e2e/conftest.py): the closed tab's run stopped midway
    found = tmp_path_factory.getbasetemp().rglob("runs/e2e-closed/run.json")
    saved = {p.resolve() for p in found}  # pytest adds "...current" links to its folders
    assert len(saved) == 1
    meta = json.loads(saved.pop().read_text())
    assert meta["stopped"] and 0 < meta["steps_done"] < meta["total_steps"]
