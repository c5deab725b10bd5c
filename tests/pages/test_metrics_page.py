"""The ROUGE / BLEU page under AppTest: scores equal core.metrics, clear messages, URL state."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import metrics as M
from tests.conftest import ROOT
from tests.pages.apptest import metrics as _metrics
from tests.pages.apptest import open_page

PAGE = "pages/metrics.py"


def _open(**query) -> AppTest:
    return open_page(PAGE, query=query, timeout=120)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_default_example_shows_the_core_scores(page):
    ex = next(iter(M.load_examples().values())).pairs
    refs = [list(g) for g in ex.references]
    shown = _metrics(page)
    r = M.rouge(list(ex.predictions), refs)
    assert shown["ROUGE-1 F1"] == f"{100 * r.corpus['rouge1'].fmeasure:.1f}"
    assert shown["ROUGE-L F1"] == f"{100 * r.corpus['rougeL'].fmeasure:.1f}"
    assert shown["BLEU"] == f"{M.bleu(list(ex.predictions), refs).score:.1f}"
    assert shown["chrF"] == f"{M.chrf(list(ex.predictions), refs).score:.1f}"
    assert any("nrefs:2|case:mixed|eff:no|tok:13a" in c.value for c in page.code)
    assert any("CI [" in c.value for c in page.caption)


def test_typed_pairs_mismatch_and_empty_are_clear(page):
    page.radio(key="metrics_source").set_value("Type or paste").run()
    page.text_area(key="metrics_candidates").input("a cat\na dog").run()
    page.text_area(key="metrics_references").input("the cat").run()
    assert not page.exception
    assert any("2 candidate line(s) but 1 reference line(s)" in e.value for e in page.error)
    page.text_area(key="metrics_candidates").input("   ").run()
    assert any("candidate box is empty" in e.value for e in page.error)
    page.text_area(key="metrics_candidates").input(
        "the cat sat\x00 on the mat \u200b\u202e \U0001f408"
    ).run()
    page.text_area(key="metrics_references").input("the cat sat on the mat ||| a cat sat").run()
    assert not page.exception and not page.error
    assert float(_metrics(page)["ROUGE-1 F1"]) == pytest.approx(100.0)
    assert page.query_params["metrics_source"] == "Type or paste"


def test_one_pair_shows_no_interval_but_says_why(page):
    page.radio(key="metrics_source").set_value("Type or paste").run()
    page.text_area(key="metrics_candidates").input("the cat sat on the mat").run()
    page.text_area(key="metrics_references").input("a cat sat on a mat").run()
    captions = [c.value for c in page.caption]
    assert not any("CI [" in c for c in captions), captions
    assert any(f"needs {M.MIN_PAIRS}+ pairs" in c for c in captions), captions
    assert any("No confidence interval with 1 pair" in c for c in captions), captions
    page.text_area(key="metrics_candidates").input("the cat sat\na dog ran\nit rains").run()
    page.text_area(key="metrics_references").input("a cat sat\nthe dog ran\nit is raining").run()
    assert any("CI [" in c.value for c in page.caption)


def test_huge_text_is_cut_with_a_note(page):
    page.radio(key="metrics_source").set_value("Type or paste").run()
    page.text_area(key="metrics_candidates").input("the cat sat " * 12_000).run()
    page.text_area(key="metrics_references").input("the cat sat on the mat").run()
    assert not page.exception and not page.error
    notes = " ".join(w.value for w in page.warning)
    assert "only the first 100,000 are used" in notes
    assert "were cut there" in notes
    assert "metrics_candidates" not in page.query_params  # too long for the link


def test_chinese_example_warns_and_tokenizer_choice_changes_bleu():
    at = _open(metrics_example="Chinese (the tokenizer matters)")
    assert any("Chinese (CJK) script" in w.value for w in at.warning)
    assert _metrics(at)["ROUGE-1 F1"] == "0.0"
    before = float(_metrics(at)["BLEU"])
    at.selectbox(key="metrics_bleu_tok").set_value("zh").run()
    at.selectbox(key="metrics_rouge_tok").set_value("char").run()
    assert not at.exception
    assert float(_metrics(at)["BLEU"]) > before
    assert float(_metrics(at)["ROUGE-1 F1"]) > 50
    at.selectbox(key="metrics_bleu_tok").set_value("flores200").run()
    assert any("cannot run here" in e.value for e in at.error)


def test_short_answers_warn_and_show_zero_bleu_alone():
    at = _open(metrics_example="Short answers (the BLEU trap)")
    assert any("fewer than 4 tokens" in w.value for w in at.warning)
    df = at.dataframe[0].value
    assert list(df["BLEU (alone, no eff. order)"])[:3] == [0.0, 0.0, 0.0]
    assert all(v > 0 for v in list(df["chrF"]))


def test_published_output_is_a_candidate():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["playground_outputs"] = {"RAG answer": "The capital of France is Paris."}
    at.run()
    at.switch_page(PAGE).run()
    at.radio(key="metrics_source").set_value("Another page's output").run()
    assert any("Type the reference" in i.value for i in at.info)
    at.text_area(key="metrics_pub_ref").input("Paris is the capital of France.").run()
    assert not at.exception
    want = M.rouge(["The capital of France is Paris."], ["Paris is the capital of France."])
    assert _metrics(at)["ROUGE-1 F1"] == f"{100 * want.corpus['rouge1'].fmeasure:.1f}"


def test_url_state_round_trip_and_predict_reveal():
    at = _open(metrics_smooth="floor", metrics_n="2", metrics_by="BLEU", metrics_seed="abc")
    assert at.selectbox(key="metrics_smooth").value == "floor"
    assert at.slider(key="metrics_n").value == 2
    assert at.number_input(key="metrics_seed").value == 0
    at.radio(key="metrics_predict_guess").set_value(M_OPTION_A).run()
    at.button(key="metrics_predict_reveal").click().run()
    assert any("ROUGE-1 F1 is 1.00 for A" in s.value for s in at.success)


M_OPTION_A = "A: the mat is on the cat"


def test_evaluate_check_agrees(page):
    page.radio(key="metrics_source").set_value("Example set").run()
    page.toggle(key="metrics_evaluate").set_value(True).run()
    assert not page.exception
    df = page.dataframe[-1].value
    assert list(df["metric"]) == ["rouge1", "rouge2", "rougeL", "rougeLsum", "BLEU", "chrF"]
    assert all(v in ("identical", "equal to 1e-12") for v in df["equal"])


# --- tiny-t5's own outputs on held-out items, generated when the set is opened -------------------
@pytest.mark.parametrize("task", ["translation", "summarization"])
def test_tiny_t5s_generated_set_is_scored_like_any_pairs(task):
    from core import models
    from core.metrics.generated import seq2seq_set, set_name

    name = set_name("tiny-t5", task)
    at = _open(metrics_example=name)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="metrics_example").value == name
    t5 = models.load_seq2seq("tiny-t5")
    g = seq2seq_set(t5.model, t5.tokenizer, task)
    report = M.score_pairs(g.pairs, M.MetricsConfig())
    shown = _metrics(at)
    assert shown["BLEU"] == f"{report.bleu.score:.1f}"
    assert shown["ROUGE-L F1"] == f"{100 * report.rouge.corpus['rougeL'].fmeasure:.1f}"
    assert any("60 held-out items" in c.value for c in at.caption)
    items = at.dataframe[0].value  # what the model read and wrote, item by item
    assert list(items.iloc[:, 0]) == list(g.sources)
    assert list(items.iloc[:, 1]) == list(g.pairs.predictions)
    assert at.subheader[0].value == "Corpus scores over 60 pairs"


def test_the_generated_sets_follow_the_shipped_ones_and_a_bad_name_falls_back():
    from ui import metrics_view as V

    at = _open(metrics_example="tiny-t5 poems (generated now)")
    box = at.selectbox(key="metrics_example")
    assert box.options == [*M.load_examples(), *V.GENERATED]
    assert box.value == next(iter(M.load_examples())) and not at.exception
