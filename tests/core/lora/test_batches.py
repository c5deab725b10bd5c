"""core.lora.batches: what is scored, what is kept when truncating, the step plan."""

from __future__ import annotations

from core.lora.batches import encode, epoch_batches


def test_causal_encoding_scores_only_the_completion_and_keeps_it_when_truncating():
    from core import models

    tok = models.load_tokenizer("tiny-gpt")
    rows = [("capital of France =>", " Paris"), ("word " * 80, " answer")]
    enc = encode(rows, tok, "causal-lm", 16)
    for ids, labels, (_, c) in zip(enc.ids, enc.labels, rows, strict=True):
        assert len(ids) == len(labels) <= 16
        scored = [t for t in labels if t != -100]
        assert scored[-1] == tok.eos_token_id
        assert tok.decode(scored[:-1]) == c
        assert labels[0] == -100


def test_every_epoch_visits_every_row_once_in_a_seeded_order():
    plan = epoch_batches(10, 4, 2, seed=1)
    assert [len(idx) for _, idx in plan] == [4, 4, 2, 4, 4, 2]
    for epoch in (1, 2):
        assert sorted(i for e, idx in plan if e == epoch for i in idx) == list(range(10))
    assert plan == epoch_batches(10, 4, 2, seed=1) != epoch_batches(10, 4, 2, seed=2)
