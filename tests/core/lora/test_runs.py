"""core.lora.runs: saved adapters reload bit for bit, names are never overwritten, owners kept."""

from __future__ import annotations

import pytest

from core import lora
from core.training import RunNameTaken, owner_tag


@pytest.mark.slow
def test_saved_adapter_reloads_with_identical_outputs(sentiment_run):
    import torch

    res = sentiment_run
    runs_dir = res.adapter_path.rsplit("/", 1)[0]
    runs = lora.list_runs(runs_dir)
    assert [r.name for r in runs] == ["sent-test"] and lora.spec_of(runs[0]) == res.spec
    assert runs[0].kind == "lora" and runs[0].owner_tag == owner_tag("tester")
    run, model, tok = lora.load_run("sent-test", runs_dir)
    enc = tok(list(res.comparison.inputs), padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(model(**enc).logits, res.model(**enc).logits)
        with model.disable_adapter(), res.model.disable_adapter():
            assert torch.equal(model(**enc).logits, res.model(**enc).logits)
    assert run.meta["adapter_accuracy"] == res.comparison.adapter_accuracy
    assert run.meta["steps_done"] == res.steps_done and run.meta["labels"] == list(res.labels)
    with pytest.raises(ValueError, match="no saved LoRA run"):
        lora.load_run("missing", runs_dir)
    with pytest.raises(ValueError, match="not a valid run name"):
        lora.load_run("../x", runs_dir)


@pytest.mark.slow
def test_a_taken_name_fails_before_training_and_keeps_the_first_run(sentiment_run):
    res = sentiment_run
    runs_dir = res.adapter_path.rsplit("/", 1)[0]
    before = (lora.run_dir("sent-test", runs_dir) / "adapter_model.safetensors").read_bytes()
    data = lora.load_recipe_dataset("sentiment").subset(24)
    with pytest.raises(RunNameTaken, match="sent-test-2") as e:
        lora.train_lora(res.spec, data, out_dir=f"{runs_dir}/sent-test")
    assert e.value.suggestion == "sent-test-2"
    after = (lora.run_dir("sent-test", runs_dir) / "adapter_model.safetensors").read_bytes()
    assert before == after
    with pytest.raises(RunNameTaken):
        lora.save_run(res, "sent-test", runs_dir=runs_dir)
    copy = lora.save_run(res, "sent-test", runs_dir=runs_dir, owner="other", unique=True)
    try:
        assert copy.name == "sent-test-2"
        listed = lora.list_runs(runs_dir, owner="tester")
        assert [r.name for r in listed] == ["sent-test", "sent-test-2"]
        assert [r.mine("tester") for r in listed] == [True, False]
    finally:
        import shutil

        shutil.rmtree(copy.path)


def test_a_run_with_a_broken_spec_is_not_listed(tmp_path):
    from core.training import runs

    runs.save_run("bad", lambda p: None, {"spec": {"r": 0}}, kind="lora", runs_dir=tmp_path)
    runs.save_run("other-kind", lambda p: None, {}, kind="rag", runs_dir=tmp_path)
    assert lora.list_runs(tmp_path) == []
    with pytest.raises(ValueError, match="no valid settings|rank r"):
        lora.load_run("bad", tmp_path)
