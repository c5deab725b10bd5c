"""Fixtures of the pruning tests: a tiny random GPT-2 and a batch of token ids."""

from __future__ import annotations

import pytest

from tests.core.prune.models import tiny_gpt2


@pytest.fixture
def model():
    return tiny_gpt2()


@pytest.fixture
def ids():
    import torch

    return torch.randint(0, 50, (2, 12), generator=torch.Generator().manual_seed(1))
