"""core.quantization.memory: the memory calculator matches accelerate and peft."""

from __future__ import annotations

import pytest

from core import models
from core import quantization as q


# --- memory calculator --------------------------------------------------------------------------
def test_memory_estimate_matches_accelerate_and_peft(tiny):
    from accelerate.utils import calculate_maximum_sizes
    from peft import LoraConfig, get_peft_model

    est = q.estimate_memory("tiny-gpt", lora_rank=4)
    assert est.n_params == tiny.n_params
    assert est.total_bytes == calculate_maximum_sizes(tiny.model)[0]
    assert est.adam_total == 4 * est.total_bytes  # weights + grads + 2 Adam moments, fp32
    assert est.weights["int4"] == est.total_bytes / 8
    fresh = models.load_causal_lm("tiny-gpt", fresh=True).model
    peft_model = get_peft_model(fresh, LoraConfig(r=4, target_modules="all-linear"))
    assert est.lora_params == peft_model.get_nb_trainable_parameters()[0]
    assert est.lora_total("int4") < est.adam_total
    assert est.lora_share == pytest.approx(est.lora_params / tiny.n_params)
    assert 0 < est.lora_share < q.estimate_memory("tiny-gpt", lora_rank=16).lora_share < 1


def test_memory_estimate_for_a_hub_id_offline_is_a_clear_error():
    with pytest.raises(models.ModelUnavailableError, match="no network"):
        q.estimate_memory("Qwen/Qwen2.5-7B")


@pytest.mark.parametrize("rank", [0, 1000])
def test_memory_estimate_rejects_bad_ranks(rank):
    with pytest.raises(ValueError, match="rank"):
        q.estimate_memory("tiny-gpt", lora_rank=rank)
