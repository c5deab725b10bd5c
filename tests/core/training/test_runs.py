"""core.training.runs: names never overwrite, saves are all or nothing, owners first."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.training import runs
from core.training.runs import RunNameTaken
from tests.conftest import ROOT


def writer(text: str):
    def write(folder: Path) -> None:
        (folder / "weights.txt").write_text(text)

    return write


def test_save_list_and_get(tmp_path):
    saved = runs.save_run(
        "r1", writer("w1"), {"score": 0.5}, kind="lora", owner="s1", runs_dir=tmp_path
    )
    assert saved.name == "r1" and saved.kind == "lora" and saved.meta == {"score": 0.5}
    assert (Path(saved.path) / "weights.txt").read_text() == "w1"
    record = json.loads((tmp_path / "r1" / "run.json").read_text())
    assert record["owner_tag"] == runs.owner_tag("s1") and "s1" not in json.dumps(record)
    assert runs.get_run("r1", tmp_path) == saved
    assert runs.list_runs(tmp_path, kind="lora") == [saved]
    assert runs.list_runs(tmp_path, kind="other") == []
    with pytest.raises(ValueError, match="no saved other run named 'r1'"):
        runs.get_run("r1", tmp_path, kind="other")
    with pytest.raises(ValueError, match="meta may not set"):
        runs.save_run("r2", writer(""), {"owner_tag": "x"}, kind="lora", runs_dir=tmp_path)


def test_a_taken_name_is_refused_with_a_suggestion_and_nothing_is_overwritten(tmp_path):
    runs.save_run("classrun", writer("first"), {}, kind="lora", owner="s1", runs_dir=tmp_path)
    with pytest.raises(RunNameTaken, match="classrun-2") as e:
        runs.save_run("classrun", writer("second"), {}, kind="lora", owner="s2", runs_dir=tmp_path)
    assert e.value.suggestion == "classrun-2"
    assert (tmp_path / "classrun" / "weights.txt").read_text() == "first"
    second = runs.save_run(
        "classrun", writer("second"), {}, kind="lora", owner="s2", runs_dir=tmp_path, unique=True
    )
    assert (
        second.name == "classrun-2"
        and json.loads((tmp_path / "classrun-2" / "run.json").read_text())["name"] == "classrun-2"
    )
    assert (tmp_path / "classrun" / "weights.txt").read_text() == "first"
    assert (tmp_path / "classrun-2" / "weights.txt").read_text() == "second"
    assert runs.suggest_name("classrun", tmp_path) == "classrun-3"
    assert runs.suggest_name("classrun-2", tmp_path) == "classrun-3"
    assert runs.suggest_name("fresh", tmp_path) == "fresh"
    assert runs.suggest_name("x" * 64, tmp_path) == "x" * 64
    runs.save_run("x" * 64, writer(""), {}, kind="lora", runs_dir=tmp_path)
    assert runs.suggest_name("x" * 64, tmp_path) == "x" * 62 + "-2"


def test_a_reservation_holds_the_name_while_the_run_trains(tmp_path):
    held = runs.reserve("classrun", tmp_path)
    with pytest.raises(RunNameTaken, match="still training") as e:
        runs.reserve("classrun", tmp_path)
    assert e.value.suggestion == "classrun-2"
    with pytest.raises(RunNameTaken):
        runs.save_run("classrun", writer("intruder"), {}, kind="lora", runs_dir=tmp_path)
    saved = runs.save_run(
        "classrun", writer("mine"), {}, kind="lora", runs_dir=tmp_path, reservation=held
    )
    assert (
        saved.name == "classrun" and (tmp_path / "classrun" / "weights.txt").read_text() == "mine"
    )
    with pytest.raises(RunNameTaken):  # now taken on disk
        runs.reserve("classrun", tmp_path)
    cancelled = runs.reserve("other", tmp_path)
    cancelled.release()
    cancelled.release()  # idempotent
    runs.reserve("other", tmp_path).release()


def test_concurrent_saves_of_one_name_never_overwrite(tmp_path):
    barrier, d = threading.Barrier(6), tmp_path
    outcomes: list[str] = []

    def save(i: int) -> None:
        barrier.wait()
        try:
            saved = runs.save_run("classrun", writer(f"w{i}"), {"i": i}, kind="lora", runs_dir=d)
            outcomes.append(str(saved.meta["i"]))
        except RunNameTaken:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "refused"]
    assert len(winners) == 1 and outcomes.count("refused") == 5
    assert (tmp_path / "classrun" / "weights.txt").read_text() == f"w{winners[0]}"
    assert [p.name for p in tmp_path.iterdir()] == ["classrun"]  # no temporary folder left


def test_owners_see_their_own_runs_first(tmp_path):
    for name, owner in [("a1", "alice"), ("b1", "bob"), ("a2", "alice"), ("anon", "")]:
        runs.save_run(name, writer(name), {}, kind="lora", owner=owner, runs_dir=tmp_path)
        time.sleep(0.01)
    assert [r.name for r in runs.list_runs(tmp_path)] == ["anon", "a2", "b1", "a1"]
    listed = runs.list_runs(tmp_path, owner="alice")
    assert [r.name for r in listed] == ["a2", "a1", "anon", "b1"]
    assert [r.mine("alice") for r in listed] == [True, True, False, False]
    assert [r.name for r in runs.list_runs(tmp_path, owner="bob")] == ["b1", "anon", "a2", "a1"]
    assert not any(r.mine("") for r in listed)


def test_a_failed_write_leaves_nothing(tmp_path):
    def half_then_fail(folder: Path) -> None:
        (folder / "adapter.bin").write_bytes(b"\0" * 1000)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        runs.save_run("broken", half_then_fail, {}, kind="lora", runs_dir=tmp_path)
    assert runs.list_runs(tmp_path) == [] and list(tmp_path.iterdir()) == []
    runs.save_run("broken", writer("ok"), {}, kind="lora", runs_dir=tmp_path)  # name still free


KILLED_SAVE = """
import sys, time
from pathlib import Path
from core.training import runs

def write(folder: Path) -> None:
    (folder / "adapter_model.safetensors").write_bytes(b"\\0" * 100_000)
    Path(sys.argv[2]).write_text("writing")
    time.sleep(60)  # killed here, mid-save

runs.save_run("classrun", write, {"x": 1}, kind="lora", owner="s1", runs_dir=sys.argv[1])
"""


def test_a_kill_mid_save_leaves_no_partial_run(tmp_path):
    base, marker = tmp_path / "runs", tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, str(base), str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the saving process died on its own"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    leftovers = [p.name for p in base.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(runs.PARTIAL)  # the kill's debris
    assert runs.list_runs(base) == []
    with pytest.raises(ValueError, match="no saved run"):
        runs.get_run("classrun", base)
    assert runs.sweep_partial(base) == 0  # too recent to be sure the save is dead
    assert runs.sweep_partial(base, older_than_s=0) == 1 and list(base.iterdir()) == []
    runs.save_run("classrun", writer("again"), {}, kind="lora", runs_dir=base)


@pytest.mark.parametrize(
    "name", ["", " ", "..", "../evil", "a/b", "a\\b", "a b", ".hidden", "a..b", "x" * 65, "é"]
)
def test_names_with_path_tricks_are_rejected(name, tmp_path):
    with pytest.raises(ValueError, match="not a valid run name"):
        runs.run_path(name, tmp_path)
    with pytest.raises(ValueError, match="not a valid run name"):
        runs.reserve(name, tmp_path)


def test_odd_folders_are_skipped_and_legacy_runs_are_read(tmp_path):
    (tmp_path / "no-meta").mkdir()
    (tmp_path / "bad-json").mkdir()
    (tmp_path / "bad-json" / "run.json").write_text("{oops")
    (tmp_path / ".partial-x-1-abc").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "lora_run.json").write_text(json.dumps({"spec": {"r": 8}}))
    listed = runs.list_runs(tmp_path)
    assert [(r.name, r.kind, r.owner_tag, r.meta) for r in listed] == [
        ("old", "lora", "", {"spec": {"r": 8}})
    ]
