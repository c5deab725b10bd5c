"""Tiny models built in the test (peft's ``test_custom_models.py`` way): the evaluation code is
the point, not what a real model has learned."""

from __future__ import annotations

import pytest

VOCAB = 11


@pytest.fixture(scope="session")
def tiny_lm():
    """A random 1-layer GPT-2 over an 11-token vocabulary, eval mode."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=16, n_layer=1, n_head=2)
    return GPT2LMHeadModel(cfg).eval()


@pytest.fixture(scope="session")
def other_lm():
    """A second random model of the same shape (a different seed)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(1)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=16, n_layer=1, n_head=2)
    return GPT2LMHeadModel(cfg).eval()


@pytest.fixture(scope="session")
def windows():
    """Five random windows of 9 tokens (8 predictions each)."""
    import torch

    g = torch.Generator().manual_seed(3)
    return torch.randint(0, VOCAB, (5, 9), generator=g)
