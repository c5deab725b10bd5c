"""Per-item scores kept across calls, so a changed control rescores only the prompts it changed.

A score depends on nothing but the model, the exact prompt token ids (instruction, shots and
question together) and the answer choices' token ids, so that triple is the key. Keys are
hashed (a prompt can be a thousand tokens; the digest is 16 bytes), the store is a bounded LRU,
and one lock guards it, so every session of a server can share one cache.

>>> c = ScoreCache(max_items=2)
>>> key = c.key("tiny-gpt", [1, 2, 3], [[4], [5, 6]])
>>> c.get(key) is None
True
>>> c.put(key, (-1.5, -2.0))
>>> c.get(key)
(-1.5, -2.0)
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from typing import Any

from core.cache import LRU


class ScoreCache(LRU[Any]):
    """A thread-safe LRU of per-item results (choice log-probabilities, greedy generations).

    Args:
        max_items: most entries kept; the least recently used goes first.
    """

    def __init__(self, max_items: int = 200_000):
        super().__init__(max_items)

    @staticmethod
    def key(
        model: str, prompt: Sequence[int], choices: Sequence[Sequence[int]], kind: str = "scores"
    ) -> tuple[str, str, bytes]:
        """The key of one item: the model, the exact prompt ids and the choices' ids.

        ``kind`` tells apart what is stored for the same prompt (``scores``, ``gen:6``...).
        """
        h = hashlib.blake2b(digest_size=16)
        h.update(array("q", prompt).tobytes())
        for c in choices:
            h.update(b"|")
            h.update(array("q", c).tobytes())
        return (model, kind, h.digest())
