"""Predictions and references shared by the core.metrics tests."""

from __future__ import annotations

from core import metrics as M

PREDS = [
    "The cat is sleeping on the sofa.",
    "I would like a cup of coffee, please.",
    "We go to the beach tomorrow morning.\nIt will be sunny.",
    "Paris",
    "running dogs were barking loudly",
]


REFS = [
    ["The cat is asleep on the couch.", "A cat sleeps on the sofa."],
    ["I would like a cup of coffee, please."],
    ["Tomorrow morning we are going to the beach.\nThe sun will shine."],
    ["Paris", "It is Paris."],
    ["the dog runs and barks loudly"],
]


def reference_streams(refs):
    width = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


# --- score_pairs: the page's whole report from one config ---------------------------------------
PAIRS = M.Pairs(tuple(PREDS), tuple(tuple(g) for g in REFS))


PAIRED = list(zip(PREDS, REFS, strict=True))
