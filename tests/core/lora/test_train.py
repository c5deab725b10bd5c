"""core.lora.train: the loop on real models, its stop, its divergence rule, peft's counts."""

from __future__ import annotations

import pytest

from core import lora
from core.lora import LoraConfigSpec
from core.lora.batches import encode, mean_loss
from core.lora.train import diverged_loss
from tests.core.lora.conftest import SENT

DIVERGENCE = [
    (float("nan"), 0.7, True),
    (float("inf"), 0.7, True),
    (770.0, 0.7, True),
    (5.0, 0.7, False),
    (0.1, 0.7, False),
    (30.0, 4.0, False),
    (60.0, 4.0, True),
]


@pytest.mark.parametrize(("loss", "reference", "expected"), DIVERGENCE)
def test_divergence_rule(loss, reference, expected):
    assert diverged_loss(loss, reference) is expected


@pytest.mark.slow
def test_sentiment_lora_lowers_the_loss(sentiment_run):
    res = sentiment_run
    assert not res.diverged and res.steps_done == res.total_steps == 6
    assert res.val_losses[-1][1] < res.val_losses[0][1] and not res.val_rose
    assert res.comparison.adapter_loss < res.comparison.base_loss
    assert min(res.train_losses[-2:]) < res.train_losses[0]
    assert res.max_length == 32 and len(res.val_rows) == res.n_val == 8


@pytest.mark.slow
def test_trainable_count_equals_peft_and_the_grad_flags(sentiment_run):
    res = sentiment_run
    trainable, total = res.model.get_nb_trainable_parameters()
    grads = sum(p.numel() for p in res.model.parameters() if p.requires_grad)
    assert res.params == lora.ParamCount(trainable, total)
    assert res.n_trainable == grads
    assert lora.count_trainable(res.spec, res.labels) == res.params  # meta-device count agrees
    assert 0.2 < res.params.percent < 0.5  # the documented 0.33% for r=8 on query/value


def test_target_modules_come_from_the_real_model():
    minilm = lora.target_module_choices("minilm", "classification")
    assert minilm == ["query", "key", "value", "dense"]
    assert lora.target_module_choices("tiny-gpt", "causal-lm") == ["c_attn", "c_proj", "c_fc"]
    with pytest.raises(ValueError, match="target modules"):
        lora.count_trainable(LoraConfigSpec(**{**SENT, "target_modules": ("nope",)}))


@pytest.mark.slow
def test_a_huge_learning_rate_is_stopped_and_said(tmp_path):
    data = lora.load_recipe_dataset("sentiment").subset(24)
    spec = LoraConfigSpec(**SENT, lr=100.0, epochs=2, batch_size=8, max_length=16)
    res = lora.train_lora(spec, data, out_dir=str(tmp_path / "never"))
    assert res.diverged and res.steps_done < res.total_steps
    assert "diverged" in res.message and "too high" in res.message
    assert res.comparison is None and res.adapter_path is None and not (tmp_path / "never").exists()
    assert lora.list_runs(tmp_path) == [] and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_format_run_is_deterministic_and_learns(format_runs):
    _, a, b, _, steps = format_runs
    assert a.train_losses == b.train_losses and a.val_losses == b.val_losses
    assert [s.step for s in steps] == list(range(1, a.total_steps + 1))
    assert a.val_losses[-1][1] < a.val_losses[0][1] - 0.5
    assert a.comparison.adapter_loss < a.comparison.base_loss
    assert len(a.comparison.base_outputs) == a.n_val
    assert b.comparison is None


@pytest.mark.slow
def test_stop_keeps_what_was_learned(format_runs):
    _, a, _, c, _ = format_runs
    assert c.stopped and c.steps_done == 2 < c.total_steps and "Stopped" in c.message
    assert c.train_losses == a.train_losses[:2]
    rows = list(zip(a.comparison.inputs, a.comparison.targets, strict=True))
    enc = encode(rows, c.tokenizer, "causal-lm", 32)
    pad = c.tokenizer.pad_token_id
    with c.model.disable_adapter():
        base = mean_loss(c.model, enc, pad, "causal-lm")
    assert mean_loss(c.model, enc, pad, "causal-lm") < base  # the two steps were kept


@pytest.mark.slow
def test_dataset_and_task_must_match():
    with pytest.raises(ValueError, match="causal-lm rows"):
        lora.train_lora(LoraConfigSpec(**SENT), lora.load_recipe_dataset("format"))
    with pytest.raises(ValueError, match="causal-lm rows"):
        lora.lora_job(LoraConfigSpec(**SENT), lora.load_recipe_dataset("format"))


def test_the_loop_module_imports_nothing_that_comes_after_it():
    """train.py is the loop: no saving, no job, no page; evaluate.py never imports train.py."""
    from tests.conftest import ROOT

    def imports(path: str) -> str:
        lines = (ROOT / path).read_text().splitlines()
        return "\n".join(x for x in lines if x.strip().startswith(("import ", "from ")))

    train, evaluate = imports("core/lora/train.py"), imports("core/lora/evaluate.py")
    assert "core.lora.job" not in train and "core.lora.runs" not in train
    assert "core.training" not in train
    assert "core.lora.train" not in evaluate and "core.lora.job" not in evaluate
