"""The Align page in real Chromium: a hostile upload is explained, a ranking becomes pairs, and
a reward model then a DPO run train live (curves polled), a Stop keeps what was learned, and the
before/after comparison and the saved adapter appear."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

UPLOAD = '[data-testid="stFileUploaderDropzoneInput"]'
SAME = b"prompt,chosen,rejected\nQ:, same, same\n"
# 40 epochs of 240 pairs: 600 steps, minutes on one thread: a click always lands mid-run
LONG_DPO = "/align?align_epochs=40&align_train_n=240"


def main(tab):
    return tab.page.get_by_test_id("stMainBlockContainer")


def test_identical_pair_upload_is_explained(visit):
    tab = visit().open("/align?align_source=upload")
    tab.page.set_input_files(
        UPLOAD, files=[{"name": "same.csv", "mimeType": "text/csv", "buffer": SAME}]
    )
    tab.page.get_by_text("no usable pair").wait_for(timeout=60_000)
    tab.wait_idle()
    tab.assert_clean()


def test_a_ranking_becomes_pairs(visit):
    tab = visit().open("/align")
    page = tab.page
    page.get_by_text("Rank the model's own completions").click()
    page.get_by_role("button", name="Sample 4 completions").click()
    page.get_by_text("Your ranking, best first").wait_for(timeout=60_000)
    tab.wait_idle()
    tab.assert_clean()


@pytest.mark.slow
def test_reward_then_dpo_live_stop_and_before_after(visit):
    tab = visit().open(LONG_DPO)
    page = tab.page
    page.get_by_role("button", name="Train the reward model").click()
    page.get_by_text("Held-out accuracy, trained").wait_for(timeout=180_000)
    page.get_by_text("Score any text").wait_for(timeout=30_000)
    tab.wait_idle()
    page.get_by_role("button", name="Start DPO").click()
    page.get_by_text(re.compile(r"DPO: step [1-9]\d* of 600")).wait_for(timeout=180_000)
    page.get_by_text("KL to the frozen reference (nats/token)").first.wait_for(timeout=60_000)
    main(tab).get_by_role("button", name="Stop").click()
    page.get_by_text("Before / after: the same held-out prompts").wait_for(timeout=180_000)
    assert page.get_by_text(re.compile(r"Stopped after \d+ of 600 steps")).count() >= 1
    page.get_by_text(re.compile(r"Saved aligned policies \(1\)")).wait_for(timeout=30_000)
    tab.wait_idle()
    tab.assert_clean()
