"""The LoRA page in real Chromium: a broken upload is explained, and a live run can be stopped
and still ends with the base vs adapter comparison."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

UPLOAD = '[data-testid="stFileUploaderDropzoneInput"]'


def test_broken_upload_is_explained(visit):
    tab = visit().open("/lora?lora_recipe=upload")
    tab.page.set_input_files(
        UPLOAD,
        files=[{"name": "one.csv", "mimeType": "text/csv",
                "buffer": b"text,label\n" + b"nice,pos\n" * 12}],
    )  # fmt: skip
    tab.page.get_by_text("at least two different labels").wait_for(timeout=60_000)
    tab.wait_idle()
    tab.assert_clean()


def test_live_run_stops_cleanly_and_compares(visit):
    # MiniLM at 20 epochs: hundreds of steps at a few per second, so Stop always lands mid-run
    # (tiny-gpt's recipe runs ~20 steps/s on a quiet machine and can finish before the click).
    tab = visit().open("/lora?lora_recipe=sentiment&lora_epochs=20&lora_batch=8&lora_maxlen=32")
    page = tab.page
    page.get_by_text("Trainable parameters").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Steps per second").wait_for(timeout=120_000)  # the live panel polls
    page.get_by_text(re.compile(r"step [1-9]\d* of \d+")).wait_for(timeout=180_000)
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop training").click()
    page.get_by_text("Base model vs adapter").wait_for(timeout=180_000)
    assert page.get_by_text("Stopped after").count() >= 1
    page.get_by_text("Did it forget?").wait_for(timeout=60_000)
    tab.wait_idle()
    tab.assert_clean()
