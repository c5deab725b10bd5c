"""The Distil & prune page under AppTest: the student's size before training, the softened
distribution, a distillation / sweep / table run end to end through the shared queue, links
that restore the setup, and settings that cannot run explained instead of run."""

from __future__ import annotations

import time

import pytest

from core.distill import student_size
from core.distill.student import StudentConfig
from tests.pages.apptest import metrics, open_page
from ui import optimize_view as view

PAGE = "pages/optimize.py"


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in (*at.info, *at.warning, *at.error, *at.success)]
    return "\n".join(parts)


def _finish(at, start: str, job_key: str, timeout: float = 240) -> None:
    """Click ``start`` and rerun until the session's job under ``job_key`` ended."""
    at.button(key=start).click().run()
    job = at.session_state[job_key]
    deadline = time.time() + timeout
    while not job.snapshot().finished and time.time() < deadline:
        time.sleep(0.5)
    at.run()
    assert job.snapshot().state == "done", job.snapshot().message
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_the_student_is_sized_before_it_is_trained(page):
    from core import models

    teacher = models.load_causal_lm("tiny-gpt").model
    size = student_size(teacher, StudentConfig())
    m = metrics(page)
    assert m["Student parameters"] == f"{size.n_params:,}"
    assert m["Share of the teacher"] == f"{size.ratio:.0%}"
    assert not page.button(key="opt_distill_start").disabled
    text = _text(page)
    assert "dark knowledge" in text and "nats at T = 5" in text
    assert "Predict, then reveal" in text and "What to notice" in text


def test_a_student_as_big_as_the_teacher_is_explained_not_trained():
    at = open_page(PAGE, query={"opt_layers": "12", "opt_width": "512", "opt_heads": "8"})
    assert any("must be smaller than the teacher" in e.value for e in at.error)
    assert at.button(key="opt_distill_start").disabled


def test_a_width_the_heads_cannot_share_is_explained():
    at = open_page(PAGE, query={"opt_heads": "5", "opt_width": "96"})
    assert any("divide evenly" in e.value for e in at.error)
    assert at.button(key="opt_distill_start").disabled


def test_hostile_links_fall_back_to_the_defaults():
    at = open_page(
        PAGE,
        query={
            "opt_temperature": "0",
            "opt_sparsity": "7",
            "opt_alpha": "-1",
            "opt_candidates": ["fp64", "int8"],
            "opt_teacher": "../../etc/passwd",
            "opt_prompt": "\u202e\x00 odd",
        },
    )
    ss = at.session_state
    assert ss.opt_temperature == 1.0 and ss.opt_alpha == 0.8 and ss.opt_sparsity == 0.5
    assert ss.opt_candidates == ["int8"] and ss.opt_teacher == "tiny-gpt"
    assert not at.error


def test_an_empty_prompt_is_explained():
    at = open_page(PAGE, query={"opt_prompt": " "})
    assert any("prompt is empty" in i.value for i in at.info)


def test_the_reveal_is_measured_on_the_spot(page):
    page.radio(key="opt_predict_guess").set_value(view.RATIO_OPTIONS[0]).run()
    page.button(key="opt_predict_reveal").click().run()
    text = _text(page)
    assert "Not quite" in text and "About the same size" in text
    assert "safetensors file is" in text


def test_distil_then_sweep_then_the_table():
    at = open_page(PAGE, query={"opt_steps": "20", "opt_sweep": ["0.5"], "opt_recover_steps": "2"})
    _finish(at, "opt_distill_start", view.DISTILL_JOB)
    df = next(d.value for d in at.dataframe if "KL to teacher (nats/token)" in d.value.columns)
    assert list(df["model"]) == ["teacher", "distilled", "hard-label"]
    assert "Same student, same 20 steps" in _text(at)

    _finish(at, "opt_sweep_start", view.SWEEP_JOB)
    text = _text(at)
    assert "What actually shrinks" in text and "a dense tensor stores a zero" in text
    assert "loses most when pruned alone" in text

    at.multiselect(key="opt_candidates").set_value(["int8", "distilled", "pruned"]).run()
    _finish(at, "opt_compare_start", view.COMPARE_JOB)
    table = next(d.value for d in at.dataframe if "latency vs fp32" in d.value.columns)
    assert list(table["candidate"]) == [
        view.CANDIDATE_LABELS[n] for n in ("fp32", "int8", "distilled", "pruned")
    ]
    text = _text(at)
    assert "the student of your distillation run above: 2 layers, 2 heads, width 96" in text
    assert "On the frontier" in text
    # the notice box now speaks of all three runs, in their own numbers
    assert "Distillation: the same" in text and "Pruning: at 50% zeros" in text
    assert "The smallest file here is" in text


def test_a_hub_teacher_offline_is_a_clear_message():
    at = open_page(PAGE, query={"opt_teacher": "smollm2-135m-instruct"})
    assert not at.exception
    assert "tiny-gpt" in " ".join(e.value for e in at.error)


@pytest.mark.parametrize("method", ["heads", "neurons"])
def test_removing_every_head_or_neuron_is_explained_not_run(method):
    at = open_page(PAGE, query={"opt_method": method, "opt_sparsity": "1.0"})
    assert any("pick a sparsity below 1" in e.value for e in at.error)
    assert at.button(key="opt_sweep_start").disabled
    assert at.button(key="opt_compare_start").disabled


def test_sparsity_zero_and_one_unstructured_still_run():
    for sparsity in ("0.0", "1.0"):
        at = open_page(PAGE, query={"opt_method": "global", "opt_sparsity": sparsity})
        assert not at.error
        assert not at.button(key="opt_sweep_start").disabled
