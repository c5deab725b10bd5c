"""The Align page under AppTest: the pairs table and widgets from DPOConfig's knobs, URL state,
the offline message for a hub policy, a bad upload said plainly, a ranking turned into pairs,
and a short real reward-model + DPO run drawn to the end (metrics equal the engine's numbers,
the adapter saved as a run)."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.align import DPOConfig
from core.knobs import spec
from tests.pages import apptest
from tests.pages.test_lora_page import data_dir  # noqa: F401 - runs in a fresh data folder

PAGE = "pages/align.py"


def open_page(**params) -> AppTest:
    return apptest.open_page(PAGE, query=params, timeout=240, check=False)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def wait_for(at: AppTest, metric: str, limit: float = 300) -> None:
    deadline = time.monotonic() + limit  # a guard, not a timing assertion
    while metric not in apptest.metrics(at):
        assert time.monotonic() < deadline, f"{metric!r} never appeared"
        assert not at.exception, [e.value for e in at.exception]
        time.sleep(1)
        at.run()


def test_defaults_show_the_pairs_and_the_engines_ranges():
    at = open_page()
    assert not at.exception, [e.value for e in at.exception]
    beta = at.slider(key="align_beta")
    k = spec(DPOConfig, "beta")
    assert beta.value == k.default and beta.max <= k.hi and beta.min >= k.lo
    assert at.slider(key="align_epochs").value == DPOConfig().epochs
    assert any("240 training pairs" in c.value for c in at.caption)
    assert at.dataframe[0].value.shape == (240, 4)
    assert not button(at, "Start DPO").disabled
    from core import lora
    from core.align.dpo import policy_spec

    count = lora.count_trainable(policy_spec(DPOConfig()))  # peft's own count, c_attn only
    assert any(f"adapter of {count.trainable:,} weights" in c.value for c in at.caption)


def test_url_state_round_trips_and_no_leash_sets_beta():
    at = open_page(align_beta="0.25", align_epochs="2", align_model="nope")
    assert at.slider(key="align_beta").value == 0.25
    assert at.selectbox(key="align_model").value == "tiny-gpt"  # an unknown model falls back
    button(at, "No leash (beta 0.001)").click().run()
    assert at.slider(key="align_beta").value == 0.001
    assert at.query_params["align_beta"] == "0.001"


def test_a_hub_policy_offline_says_so_and_names_tiny_gpt():
    at = open_page(align_model="smollm2-135m-instruct")
    assert not at.exception, [e.value for e in at.exception]
    assert any("tiny-gpt" in e.value for e in at.error), [e.value for e in at.error]


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="align_upload").set_value([(name, data, "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"prompt,chosen,rejected\nQ:, a, a\n", "no usable pair"),
        (b"prompt,chosen,rejected\n, a, b\n", "prompt is empty"),
        (
            b"prompt,chosen,rejected\n" + b"".join(b"Q%d:, y, n\n" % i for i in range(10_000)),
            "10,000 pairs",
        ),
    ],
)
def test_a_hostile_upload_is_refused_plainly(data, said):
    at = upload(open_page(align_source="upload"), "mine.csv", data)
    assert any(said in e.value for e in at.error), [e.value for e in at.error]
    assert any("240 training pairs" in c.value for c in at.caption)  # the shipped set stays


def test_an_upload_replaces_the_training_pairs_and_counts_the_bad_rows():
    rows = b"prompt,chosen,rejected\nQ1:, yes, no\nQ2:, same, same\nQ3:, up, down\n"
    at = upload(open_page(align_source="upload"), "mine.csv", rows)
    assert any("2 pairs read, 1 skipped" in s.value for s in at.success)
    assert any("2 training pairs" in c.value for c in at.caption)


def test_a_ranking_becomes_n_choose_2_pairs_and_joins_the_training_set():
    at = open_page()
    assert at.text_input(key="align_rank_prompt").value == "Once upon a time, there was a"
    button(at, "Sample 4 completions").click().run()
    options = at.multiselect(key="align_ranking").options
    assert len(options) == 4  # four different stories
    at.multiselect(key="align_ranking").set_value(options[:3]).run()
    assert any("3 choose 2 = 3 pairs" in c.value for c in at.caption)
    button(at, "Add these pairs to the training set").click().run()
    assert any("243 training pairs (3 of them yours)" in c.value for c in at.caption)


@pytest.mark.slow
def test_reward_model_then_dpo_run_to_the_end(data_dir):  # noqa: F811
    at = open_page(align_train_n="60", align_epochs="2")
    button(at, "Train the reward model").click().run()
    wait_for(at, "Held-out accuracy, trained")
    shown = apptest.metrics(at)
    assert int(shown["Held-out accuracy, trained"].rstrip("%")) >= 70
    assert "Reward" in shown
    at.slider(key="align_n").set_value(4).run()
    button(at, "Sample and pick").click().run()
    assert any("from n = 1 to n = 4" in c.value for c in at.caption)
    assert any("Best-of-n on the same samples" in m.value for m in at.markdown)
    at.text_input(key="align_name").input("page-dpo").run()
    button(at, "Start DPO").click().run()
    wait_for(at, "After DPO")
    meta = json.loads((data_dir / "runs" / "page-dpo" / "run.json").read_text())
    shown = apptest.metrics(at)
    assert shown["After DPO"] == f"{meta['accuracy_after']:.0%}"
    assert shown["Reference accuracy (held-out)"] == "50%"
    assert shown["Win rate (reward model)"] == f"{meta['win_rate']:.0%}"
    assert meta["config"]["epochs"] == 2 and meta["steps_done"] == 8
    at.button(key="align_reload").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Reloaded `page-dpo`" in c.value for c in at.caption)


@pytest.mark.slow
def test_no_leash_run_warns_with_its_measured_forgetting(data_dir):  # noqa: F811
    at = open_page(align_beta="0.001")
    button(at, "Start DPO").click().run()
    wait_for(at, "After DPO")
    warned = [w.value for w in at.warning if "Off the leash" in w.value]
    assert warned, [w.value for w in at.warning]
    ref, pol = (
        float(apptest.metrics(at)[k]) for k in ("Perplexity, reference", "Perplexity, aligned")
    )
    assert pol > 2 * ref and f"{ref:.2f} -> {pol:.2f}" in warned[0]


def test_predict_then_reveal_measures_the_starting_point():
    at = open_page()
    at.radio(key="align_predict_guess").set_value("loss 0.69 (log 2), KL 0").run()
    at.button(key="align_predict_reveal").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [s.value for s in at.success]
    assert any(
        "Right: loss 0.69 (log 2), KL 0" in s and "loss 0.6931, KL 0.0000" in s for s in said
    )
