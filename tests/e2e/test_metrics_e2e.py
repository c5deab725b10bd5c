"""The ROUGE / BLEU page in real Chromium: scores render, uploads are checked, matches are drawn."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

GOOD_CSV = (
    b"candidate,reference,reference_2\n"
    b"the cat sat on the mat,the cat sat on the mat,a cat sat on a mat\n"
    b"a dog barks,the dog barks loudly,\n"
)


def _upload(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )


def test_scores_upload_and_matches(visit):
    # From the home page through the sidebar: a deep link (/metrics) makes Streamlit probe
    # /metrics/_stcore/health first, a 404 in the console that is not this page's doing.
    tab = visit().open("/")
    page = tab.page
    page.locator('[data-testid="stSidebarNav"] a', has_text="ROUGE / BLEU").click()
    page.wait_for_selector("h1:has-text('ROUGE / BLEU calculator')", timeout=60_000)
    tab.wait_idle()
    assert "ROUGE / BLEU calculator" in page.inner_text("h1")
    body = page.inner_text("body")
    assert "Corpus scores over 3 pairs" in body and "95% CI" in body

    page.get_by_text("Upload CSV", exact=True).click()
    tab.wait_idle()
    _upload(page, "broken.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    tab.wait_idle()
    assert "binary file" in page.inner_text("body")
    _upload(page, "wrong.csv", b"text,label\nhello,positive\n")
    tab.wait_idle()
    assert "Wrong columns" in page.inner_text("body")
    _upload(page, "pairs.csv", GOOD_CSV)
    tab.wait_idle()
    body = page.inner_text("body")
    assert "Corpus scores over 2 pairs" in body
    assert "metrics_source=Upload" in page.url and "pairs.csv" not in page.url

    page.get_by_role("tab", name="Matched n-grams and LCS").click()
    tab.wait_idle()
    panel = page.get_by_role("tabpanel").filter(has_text="longest common subsequence")
    assert re.search(r"longest common subsequence, 6 tokens", panel.inner_text())
    assert panel.locator(".js-plotly-plot").count() == 1
    page.get_by_role("tab", name="BLEU and chrF").click()
    tab.wait_idle()
    assert "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp" in page.inner_text("body")
    tab.assert_clean()
