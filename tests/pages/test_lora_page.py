"""The LoRA page under AppTest: defaults computed by peft, bad settings said plainly, URL state,
a very short real run drawn to the end (base vs adapter, forgetting, saved adapter), names that
are never overwritten, the queue's place in line, Stop while queued, and others' runs marked."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict

import pytest
from streamlit.testing.v1 import AppTest

from core import lora, training
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


def test_defaults_show_peft_count_and_memory():
    at = open_page()
    assert not at.exception, [e.value for e in at.exception]
    expected = lora.count_trainable(lora.LoraConfigSpec(), ("negative", "positive"))
    shown = apptest.metrics(at)
    assert shown["Trainable parameters"] == f"{expected.trainable:,}"
    assert shown["Share of the model"] == f"{expected.percent:.2f}%"
    assert "MB" in shown["Training memory, LoRA"] and "MB" in shown["Full fine-tuning"]
    assert at.multiselect(key="lora_targets").value == ["query", "value"]
    assert at.multiselect(key="lora_targets").options == ["query", "key", "value", "dense"]

    at.number_input(key="lora_r").set_value(16).run()
    assert apptest.metrics(at)["Trainable parameters"] == f"{2 * 73728 + 770:,}"


def test_the_form_cannot_submit_rank_zero():
    """The form's rank is LoraConfigSpec's (r >= 1): it used to offer 0, which core refused."""
    r = lora_spec("r")
    at = open_page(lora_r="0")  # a link with r=0 falls back to the recipe's rank
    assert not at.exception, [e.value for e in at.exception]
    field = at.number_input(key="lora_r")
    assert (field.min, field.max, field.value) == (r.lo, r.hi, lora.RECIPES["sentiment"].r)
    field.set_value(0).run()  # the browser clamps to min; the server falls back likewise
    assert not at.exception
    assert at.number_input(key="lora_r").value >= 1
    assert not at.error and not start_button(at).disabled
    assert at.query_params["lora_r"] != "0"
    for key, name in [("lora_epochs", "epochs"), ("lora_dropout", "dropout")]:
        k, widget = lora_spec(name), at.slider(key=key)
        assert (widget.min, widget.max) == (k.lo, k.hi)


def lora_spec(name: str):
    from core.knobs import spec

    return spec(lora.LoraConfigSpec, name)


def test_a_bad_setting_is_said_plainly():
    at = open_page()
    at.multiselect(key="lora_targets").set_value([]).run()
    assert not at.exception
    assert any("target module" in e.value for e in at.error)
    assert start_button(at).disabled


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


@pytest.mark.slow
def test_a_short_run_ends_with_the_comparison(data_dir):
    at = open_page(
        lora_recipe="format", lora_epochs="1", lora_batch="64", lora_maxlen="24", lora_val="0.1"
    )
    at.text_input(key="lora_name").input("page-test").run()
    start_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.monotonic() + 300  # a guard, not a timing assertion
    while "Adapter loss" not in apptest.metrics(at):
        assert time.monotonic() < deadline, "the run did not finish"
        assert not at.exception, [e.value for e in at.exception]
        time.sleep(1)
        at.run()
    meta = json.loads((data_dir / "runs" / "page-test" / "run.json").read_text())
    shown = apptest.metrics(at)
    assert shown["Base exact match"] == f"{meta['base_accuracy']:.0%}"
    assert shown["Adapter exact match"] == f"{meta['adapter_accuracy']:.0%}"
    assert any("held-out" in s.value for s in [*at.subheader, *at.caption])
    assert (data_dir / "runs" / "page-test" / "adapter_config.json").exists()
    assert "Saved adapters (1)" in [e.label for e in at.expander]
    assert any("1 saved by you in this browser session" in c.value for c in at.caption)
    assert at.dataframe[-1].value["whose"].tolist() == ["yours"]
    assert meta["owner_tag"] == training.owner_tag("test session id")  # AppTest's session id
    notices = next(m.value for m in at.markdown if m.value.startswith("- This run:"))
    run = at.session_state["lora_job"].snapshot().result.run
    (_, v0), (_, v1) = run.val_losses[0], run.val_losses[-1]
    moved = "fell" if v1 < v0 else "rose" if v1 > v0 else "stayed"
    assert f"validation loss {moved} from {v0:.3f} to {v1:.3f}" in notices
    assert f"went from {meta['base_accuracy']:.0%} (adapter off)" in notices
    forgetting = [
        b.value for b in [*at.success, *at.info, *at.warning] if "paired items" in b.value
    ]
    assert forgetting and forgetting[0].split(":")[0] in (
        "Forgot a lot",
        "Forgot a little",
        "Nothing measurable",
        "Nothing forgotten",
    )

    at.text_input(key="lora_name").input("page-test").run()  # same name again: refused
    start_button(at).click().run()
    assert any("exists already" in e.value and "page-test-2" in e.value for e in at.error)
    next(b for b in at.button if b.label == "Use the suggested name").click().run()
    assert at.text_input(key="lora_name").value == "page-test-2"
    at.text_input(key="lora_name").input("../escape").run()
    start_button(at).click().run()
    assert any("not a valid run name" in e.value for e in at.error)
    assert [p.name for p in (data_dir / "runs").iterdir()] == ["page-test"]


def saved_elsewhere(runs_dir, name: str, owner: str) -> None:
    """A LoRA run another session saved (its files do not matter to the list)."""
    meta = {"spec": asdict(lora.LoraConfigSpec()), "labels": ["negative", "positive"]}
    training.save_run(name, lambda p: None, meta, kind="lora", owner=owner, runs_dir=runs_dir)


def test_other_sessions_runs_are_listed_after_and_marked(data_dir):
    saved_elsewhere(data_dir / "runs", "classrun", "another-browser")
    at = open_page()
    assert not at.exception, [e.value for e in at.exception]
    assert "Saved adapters (1)" in [e.label for e in at.expander]
    table = at.dataframe[-1].value
    assert table["name"].tolist() == ["classrun"]
    assert table["whose"].tolist() == ["from another session"]
    assert any("0 saved by you" in c.value for c in at.caption)
    pick = at.selectbox(key="lora_saved_pick")
    assert pick.format_func(pick.value) == "classrun (from another session)"
    # the same name cannot be taken by this session: refused with a free suggestion
    at.text_input(key="lora_name").input("classrun").run()
    start_button(at).click().run()
    assert any("classrun-2" in e.value for e in at.error)
    assert training.default_queue().jobs(owner="test session id") == []


def blocker(owner: str, release: threading.Event) -> training.Job:
    def work(ctx):
        while not release.is_set() and not ctx.should_stop():
            release.wait(0.01)

    return training.Job(work, owner=owner, title="another learner's run")


def test_a_queued_run_sees_its_place_and_stop_leaves_the_line_at_once(data_dir):
    release = threading.Event()
    queue = training.default_queue()
    others = [queue.submit(blocker(o, release)) for o in ("learner-a", "learner-b")]
    try:
        at = open_page(lora_recipe="format", lora_epochs="1", lora_batch="64")
        at.text_input(key="lora_name").input("queued-run").run()
        start_button(at).click().run()
        assert not at.exception, [e.value for e in at.exception]
        waiting = [i.value for i in at.info if "waiting for a free training slot" in i.value]
        assert waiting and "2nd in line, 1 run ahead of yours" in waiting[0]
        assert apptest.metrics(at)["Place in line"] == "2"
        assert start_button(at).disabled
        next(b for b in at.button if b.label == "Stop (leave the queue)").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert any("left the queue before it started" in i.value for i in at.info)
        assert queue.jobs(owner="test session id") == []  # gone from the line at once
        assert others[0].snapshot().state == "running" and not others[0].snapshot().stopped
        assert others[1].snapshot().state == "queued"
        assert not (data_dir / "runs" / "queued-run").exists()
        training.reserve("queued-run", data_dir / "runs").release()  # the name is free again
        assert not start_button(at).disabled
    finally:
        release.set()
        for job in others:
            job.join(10)


def test_session_alive_asks_streamlits_runtime(monkeypatch):
    from streamlit.runtime import Runtime

    from ui import lora_view

    class FakeRuntime:
        def is_active_session(self, session_id: str) -> bool:
            return session_id == "open-tab"

    monkeypatch.setattr(Runtime, "_instance", FakeRuntime())
    assert lora_view.session_alive("open-tab")() is True
    assert lora_view.session_alive("closed-tab")() is False
    monkeypatch.setattr(Runtime, "_instance", None)  # no server: nothing can tell
    assert lora_view.session_alive("closed-tab")() is True


@pytest.mark.slow
def test_the_pages_run_stops_when_its_session_ends(data_dir, monkeypatch):
    """AppTest has no websocket to close: the page's liveness predicate is swapped for one the
    test controls, and the run started from the page must stop when it turns False."""
    from ui import lora_view

    tab = {"open": True}
    monkeypatch.setattr(lora_view, "session_alive", lambda session_id: lambda: tab["open"])
    monkeypatch.setattr(lora_view, "OWNER_GRACE_S", 0.0)
    at = open_page(lora_recipe="sentiment", lora_epochs="20", lora_batch="1", lora_maxlen="16")
    at.text_input(key="lora_name").input("closed-tab").run()
    start_button(at).click().run()
    job = at.session_state["lora_job"]
    deadline = time.monotonic() + 300
    while (job.snapshot().progress is None or job.snapshot().progress.step < 1) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    tab["open"] = False  # the tab closes
    status = job.join(120)
    assert status.state == "done" and status.stop_reason == training.OWNER_GONE
    res = status.result.run
    assert res.stopped and 0 < res.steps_done < res.total_steps
    assert status.result.forgetting is None and res.comparison is None  # nobody to show them
    assert training.get_run("closed-tab", data_dir / "runs").meta["stopped"] is True
    assert training.default_queue().jobs() == []
