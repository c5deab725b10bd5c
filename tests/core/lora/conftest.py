"""Real LoRA runs shared by the tests of core.lora: each trains once per test session.

The runs are tiny (a few dozen rows, a few steps, short sequences).
"""

from __future__ import annotations

import pytest

from core import lora
from core.lora import LoraConfigSpec

SENT = dict(model="minilm", task="classification", target_modules=("query", "value"))
GPT = dict(model="tiny-gpt", task="causal-lm", target_modules=("c_attn",))


@pytest.fixture(scope="session")
def sentiment_run(tmp_path_factory):
    """MiniLM, 24 reviews (16 train / 8 held out), 3 epochs of batch 8 at length 32: 6 steps,
    saved as run ``sent-test`` by owner ``tester``."""
    spec = LoraConfigSpec(
        **SENT, lr=1e-2, epochs=3, batch_size=8, max_length=32, seed=3, val_fraction=0.33
    )
    out = tmp_path_factory.mktemp("runs") / "sent-test"
    data = lora.load_recipe_dataset("sentiment").subset(24)
    return lora.train_lora(spec, data, out_dir=str(out), owner="tester")


@pytest.fixture(scope="session")
def format_runs():
    """tiny-gpt on 48 facts in the new format: twice with one seed (determinism), once stopped."""
    spec = LoraConfigSpec(
        **GPT,
        r=8,
        alpha=16,
        lr=3e-3,
        epochs=2,
        batch_size=8,
        max_length=32,
        val_fraction=0.25,
        seed=5,
    )
    data = lora.load_recipe_dataset("format").subset(48)
    steps: list = []
    a = lora.train_lora(spec, data, on_step=steps.append)
    b = lora.train_lora(spec, data, compare=False)
    c_steps: list = []
    c = lora.train_lora(
        spec, data, should_stop=lambda: len(c_steps) >= 2, on_step=c_steps.append, compare=False
    )
    return spec, a, b, c, steps
