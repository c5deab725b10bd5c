"""core.lora.spec: the run's settings, run names and the memory estimate."""

from __future__ import annotations

import pytest

from core import lora
from core.lora import LoraConfigSpec


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("r", 0, "rank r"),
        ("r", 300, "rank r"),
        ("alpha", 0, "alpha"),
        ("dropout", 1.0, "dropout"),
        ("dropout", -0.1, "dropout"),
        ("target_modules", (), "target module"),
        ("lr", 0.0, "learning rate"),
        ("lr", float("nan"), "learning rate"),
        ("lr", -1e-3, "learning rate"),
        ("epochs", 0, "epochs"),
        ("batch_size", 0, "batch size"),
        ("max_length", 4, "max length"),
        ("val_fraction", 0.9, "validation share"),
        ("seed", -1, "seed"),
        ("task", "translation", "task"),
        ("model", " ", "base model"),
    ],
)
def test_spec_rejects_bad_values_with_a_plain_message(field, value, message):
    with pytest.raises(ValueError, match=message):
        LoraConfigSpec(**{field: value})


def test_spec_defaults_are_the_documented_data_point():
    spec = LoraConfigSpec()
    shape = (spec.r, spec.target_modules, spec.batch_size, spec.max_length, spec.epochs)
    assert shape == (8, ("query", "value"), 16, 64, 5)
    assert spec.scaling == 2.0


@pytest.mark.parametrize("name", ["run1", "sentiment-r8", "A_b-9", "x" * 64])
def test_valid_run_names(name, tmp_path):
    assert lora.validate_run_name(name) == name
    assert lora.run_dir(name, tmp_path).parent == tmp_path.resolve()


@pytest.mark.parametrize(
    "name", ["", " ", "..", "../evil", "a/b", "a\\b", "a b", ".hidden", "a..b", "x" * 65, "é"]
)
def test_run_names_with_path_tricks_are_rejected(name, tmp_path):
    with pytest.raises(ValueError, match="not a valid run name"):
        lora.run_dir(name, tmp_path)


def test_memory_estimate_counts_adam_twice_and_lora_saves():
    m = lora.memory_estimate(1_000_000, 10_000)
    assert m.full_optimizer == 2 * m.full_grads == 8_000_000
    assert m.lora_grads == 40_000 and m.lora_weights == m.full_weights
    assert m.full_total == 16_000_000 and m.saving > 3.5
    with pytest.raises(ValueError):
        lora.memory_estimate(10, 11)
