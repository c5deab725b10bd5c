"""A tiny random GPT-2 built in the tests: pruning's invariants need no trained model."""

from __future__ import annotations


def tiny_gpt2(n_layer: int = 2, n_head: int = 4, n_embd: int = 16, seed: int = 0):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    cfg = GPT2Config(
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        vocab_size=50,
        n_positions=32,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(cfg).eval()
