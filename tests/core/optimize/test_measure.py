"""The shared measurement: a model against itself, peak memory, and zeros on disk."""

from __future__ import annotations

import pytest
import torch

from core.evaluation import token_windows
from core.optimize import measure_causal, peak_activation_bytes, zeros_on_disk
from tests.core.prune.models import tiny_gpt2


def test_views_and_inputs_cost_no_bytes_but_new_tensors_do():
    w = torch.ones(64, 64)
    assert peak_activation_bytes(lambda: w.t()) == 0  # a view of an existing tensor
    assert peak_activation_bytes(lambda: w.add_(0)) == 0  # in place
    one = peak_activation_bytes(lambda: w @ w)
    assert one >= 64 * 64 * 4
    # two products alive at once need twice the bytes of one
    assert peak_activation_bytes(lambda: (w @ w, w @ w)) >= 2 * one


def test_the_peak_grows_with_the_input():
    model = tiny_gpt2()
    short = peak_activation_bytes(lambda: model(input_ids=torch.zeros(1, 4, dtype=torch.long)))
    long = peak_activation_bytes(lambda: model(input_ids=torch.zeros(1, 30, dtype=torch.long)))
    assert 0 < short < long


@pytest.fixture(scope="module")
def tiny():
    from core import models

    return models.load_causal_lm("tiny-gpt")


def test_the_original_against_itself(tiny):
    windows = token_windows(tiny.tokenizer, ["The cat says meow. " * 8] * 2, 16)
    m, logits = measure_causal(
        tiny.model,
        windows,
        None,
        tokenizer=tiny.tokenizer,
        cases=[],
        max_tokens=128,
        latency_runs=2,
    )
    assert m.kl == pytest.approx(0.0, abs=1e-6) and m.top1 == 1.0
    assert m.task_accuracy is None
    assert m.n_params == sum(p.numel() for p in tiny.model.parameters())
    assert m.peak_bytes > m.memory_bytes >= 4 * m.n_params  # fp32 weights, then activations
    assert m.disk_bytes >= m.memory_bytes  # safetensors: the tensors and a header
    assert len(m.latency_runs_ms) == 2 and m.n_tokens_timed == 16
    assert m.ms_per_token == pytest.approx(m.latency_ms / 16)
    assert tuple(logits.shape) == (len(windows), 16, tiny.model.config.vocab_size)


def test_dense_zeros_do_not_shrink_the_file():
    before, after, share = zeros_on_disk(tiny_gpt2(), 0.5)
    assert share == pytest.approx(0.5, abs=1e-3)
    assert after == before  # the same tensors, the same shapes: only the values changed
