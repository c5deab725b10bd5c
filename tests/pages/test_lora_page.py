"""The LoRA page under AppTest: defaults computed by peft, bad settings said plainly, URL state,
and a very short real run drawn to the end (base vs adapter, forgetting, saved adapter)."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from core import lora
from core.settings import get_settings
from tests.pages import apptest

PAGE = "pages/lora.py"


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def open_page(**params) -> AppTest:
    return apptest.open_page(PAGE, query=params, timeout=240, check=False)


def start_button(at: AppTest):
    return next(b for b in at.button if b.label == "Start training")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_defaults_show_peft_count_and_memory():
    at = open_page()
    assert not at.exception, [e.value for e in at.exception]
    expected = lora.count_trainable(lora.LoraConfigSpec(), ("negative", "positive"))
    shown = metrics(at)
    assert shown["Trainable parameters"] == f"{expected.trainable:,}"
    assert shown["Share of the model"] == f"{expected.percent:.2f}%"
    assert "MB" in shown["Training memory, LoRA"] and "MB" in shown["Full fine-tuning"]
    assert at.multiselect(key="lora_targets").value == ["query", "value"]
    assert at.multiselect(key="lora_targets").options == ["query", "key", "value", "dense"]

    at.number_input(key="lora_r").set_value(0).run()
    assert not at.exception
    assert any("rank r must be between 1 and 256" in e.value for e in at.error)
    assert start_button(at).disabled
    assert at.query_params["lora_r"] == "0"

    at.number_input(key="lora_r").set_value(16).run()
    assert metrics(at)["Trainable parameters"] == f"{2 * 73728 + 770:,}"


def test_url_state_and_recipe_switch():
    at = open_page(lora_recipe="format", lora_epochs="2", lora_lr="0.01", lora_r="4")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="lora_model").value == "tiny-gpt"
    assert at.multiselect(key="lora_targets").value == ["c_attn", "c_proj"]
    assert (at.slider(key="lora_epochs").value, at.number_input(key="lora_r").value) == (2, 4)
    assert at.select_slider(key="lora_lr").value == 0.01
    at.selectbox(key="lora_recipe").set_value("sentiment").run()
    assert at.selectbox(key="lora_model").value == "minilm"
    assert at.multiselect(key="lora_targets").value == ["query", "value"]
    assert at.query_params["lora_recipe"] == "sentiment"


def test_a_short_run_ends_with_the_comparison(data_dir):
    at = open_page(
        lora_recipe="format", lora_epochs="1", lora_batch="64", lora_maxlen="24", lora_val="0.1"
    )
    at.text_input(key="lora_name").input("page-test").run()
    start_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.monotonic() + 300  # a guard, not a timing assertion
    while "Adapter loss" not in metrics(at):
        assert time.monotonic() < deadline, "the run did not finish"
        assert not at.exception, [e.value for e in at.exception]
        time.sleep(1)
        at.run()
    meta = json.loads((data_dir / "runs" / "page-test" / "lora_run.json").read_text())
    shown = metrics(at)
    assert shown["Base exact match"] == f"{meta['base_accuracy']:.0%}"
    assert shown["Adapter exact match"] == f"{meta['adapter_accuracy']:.0%}"
    assert any("held-out" in s.value for s in [*at.subheader, *at.caption])
    assert (data_dir / "runs" / "page-test" / "adapter_config.json").exists()
    assert "Saved adapters (1)" in [e.label for e in at.expander]

    at.text_input(key="lora_name").input("page-test").run()  # same name again: refused
    start_button(at).click().run()
    assert any("exists already" in e.value for e in at.error)
    at.text_input(key="lora_name").input("../escape").run()
    start_button(at).click().run()
    assert any("not a valid run name" in e.value for e in at.error)
    assert [p.name for p in (data_dir / "runs").iterdir()] == ["page-test"]
