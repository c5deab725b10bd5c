"""The Quantization page under AppTest: a run fills the table, hostile input, calculator, URL."""

from __future__ import annotations

import statistics

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.apptest import open_page

PAGE = "pages/quantization.py"
SMALL = {"quant_schemes": ["fp32", "int8", "int4"], "quant_n_eval": "8", "quant_runs": "1"}


def _open(**query) -> AppTest:
    return open_page(PAGE, query=query, timeout=300)


def _texts(at: AppTest) -> str:
    kinds = ("info", "warning", "error", "caption", "success", "markdown")
    return " ".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _run(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Run comparison").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _run(_open(**SMALL))


def test_a_run_fills_the_table_with_measured_figures(page):
    assert page.title[0].value == "Quantization comparison"
    table = page.dataframe[0].value
    assert list(table["scheme"]) == [
        "fp32 (reference)",
        "int8 weight-only (quanto)",
        "int4 weight-only (quanto)",
    ]
    assert table["disk (MB)"].is_monotonic_decreasing
    assert table["KL from fp32 (nats)"].iloc[0] == 0.0
    assert table["KL from fp32 (nats)"].iloc[2] > table["KL from fp32 (nats)"].iloc[1] > 0
    outputs = page.dataframe[1].value
    assert len(outputs) == 3 and outputs["output"].iloc[0].strip()
    assert "int4 is" in _texts(page) and "smaller than fp32 on disk" in _texts(page)
    assert len(page.get("plotly_chart")) >= 4  # size, latency, quality, histogram, memory


def test_state_goes_to_the_url(page):
    assert list(page.query_params["quant_schemes"]) == ["fp32", "int8", "int4"]
    page.selectbox(key="quant_layer_scheme").set_value("int2").run()
    assert page.query_params["quant_layer_scheme"] in ("int2", ["int2"])
    assert "4 levels" in " ".join(str(c.proto.spec) for c in page.get("plotly_chart"))


def test_predict_then_reveal_measures_the_ratio_live():
    from core import models
    from ui import quantization_view as view

    bucket, why = view.reveal_int4_ratio(models.load_causal_lm("tiny-gpt"))
    assert bucket in view.RATIO_OPTIONS
    assert "Measured just now" in why and "MB" in why


@pytest.mark.parametrize(
    "typed, message",
    [
        ("someone/some-model", "no network"),
        ("../../etc/passwd", "not a model name"),
        ("", "not a model name"),
    ],
)
def test_memory_calculator_hostile_ids_are_clear_messages(page, typed, message):
    page.text_input(key="quant_mem_model").input(typed).run()
    assert not page.exception
    assert message in _texts(page)


def test_memory_calculator_offline_for_embedded_models(page):
    page.text_input(key="quant_mem_model").input("minilm").run()
    assert "BertModel: 22,713,216 parameters" in _texts(page)
    assert "trains 337,920 parameters" in _texts(page)


def test_hostile_prompt_and_no_scheme_are_handled():
    at = _open(quant_schemes=["fp32"], quant_n_eval="8", quant_runs="1")
    at.text_input(key="quant_prompt").input("\x00 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e " + "x" * 200).run()
    at.multiselect(key="quant_schemes").set_value([]).run()
    _run(at)
    assert "fp32 alone" in _texts(at)
    assert len(at.dataframe[0].value) == 1


def test_key_columns_come_first_so_they_are_in_view(page):
    cols = list(page.dataframe[0].value.columns)
    key = ["scheme", "KL from fp32 (nats)", "top-1 agreement", "perplexity"]
    assert cols[:5] == [*key, "latency (ms, median)"]
    assert "latency range (ms)" in cols


def test_the_same_comparison_from_another_session_is_not_recomputed(page):
    from core import quantization as q

    before = q.shared_results().computed
    other = _run(_open(**SMALL))  # a second learner, same settings
    assert q.shared_results().computed == before
    assert other.dataframe[0].value.equals(page.dataframe[0].value)


def test_one_timed_run_is_not_a_verdict(page):
    text = _texts(page)
    assert "cannot be told from noise" in text
    assert "Half precision is slower" not in text


def _result(scheme: str, runs: tuple[float, ...]):
    from core.quantization import QuantResult, get_scheme

    s = get_scheme(scheme)
    median = statistics.median(runs)
    return QuantResult(
        scheme, s.label, s.bits, s.library, True, latency_ms=median, latency_runs_ms=runs
    )


@pytest.mark.parametrize(
    ("bf16_runs", "said", "not_said"),
    [
        ((4.0, 4.1, 4.2, 4.0, 4.3), "bf16 measured faster than fp32", "slower than fp32"),
        ((9.0, 9.5, 9.1, 9.9, 9.2), "bf16 measured slower than fp32", "faster than fp32"),
        ((4.0, 6.0, 4.5, 5.5, 5.1), "bf16 took the same time as fp32 within noise", "measured"),
    ],
)
def test_half_precision_sentence_follows_the_measured_runs(bf16_runs, said, not_said):
    from ui import quantization_view as view

    fp32 = _result("fp32", (5.0, 5.2, 5.1, 5.3, 5.0))
    points = view.latency_points([fp32, _result("bf16", bf16_runs)])
    text = " ".join(points)
    assert said in text and not_said not in " ".join(points[1:])
    assert f"bf16 {statistics.median(bf16_runs) / 5.1:.2f}x" in points[0]


def test_quality_sentence_names_a_scheme_that_beats_more_bits():
    from dataclasses import replace

    from ui import quantization_view as view

    fp32 = _result("fp32", (5.0,))
    kl = {"bf16": 3e-5, "int8": 1e-6, "int4": 2e-4}
    rs = [fp32, *(replace(_result(s, (5.0,)), kl_from_fp32=v) for s, v in kl.items())]
    (text,) = view.quality_points(rs, "causal-lm")
    assert "Not strictly by the bits" in text and "falls with the bits" not in text
    assert "int8 weight-only (quanto) (8 bits, 0.00000) is closer to fp32 than bf16" in text
    ok = {"bf16": 1e-6, "int8": 1e-5, "int4": 2e-4}
    monotone = [fp32, *(replace(_result(s, (5.0,)), kl_from_fp32=v) for s, v in ok.items())]
    assert view.quality_points(monotone, "causal-lm")[0].startswith("Quality falls with the bits")


@pytest.mark.parametrize(
    "query, key, expected",
    [
        ({"quant_rank": "0"}, "quant_rank", 8),  # LoraConfigSpec's r starts at 1
        ({"quant_rank": "256"}, "quant_rank", 256),
        ({"quant_n_eval": "84"}, "quant_n_eval", 24),  # the page offers up to 80
        ({"quant_n_eval": "8"}, "quant_n_eval", 8),
    ],
)
def test_link_values_are_bounded_by_the_engine_knobs(query, key, expected):
    from core.knobs import spec
    from core.lora import LoraConfigSpec

    at = _open(**query)
    assert not at.exception, [e.value for e in at.exception]
    widget = at.number_input(key=key) if key == "quant_rank" else at.slider(key=key)
    assert widget.value == expected
    r = spec(LoraConfigSpec, "r")
    assert (at.number_input(key="quant_rank").min, at.number_input(key="quant_rank").max) == (
        r.lo,
        r.hi,
    )
