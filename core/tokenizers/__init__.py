"""Tokenizers, token by token: ids, bytes and character spans; comparisons; BPE step by step.

Usable from a notebook::

    from core.tokenizers import list_tokenizers, tokenize
    r = tokenize("Hello 世界 👋🏽", "cl100k_base")
    [(t.id, t.text, t.start, t.end) for t in r.tokens]

The ``tokenizers`` library is imported by absolute name inside functions, so this package never
shadows it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from core.settings import get_settings
from core.text import join_surrogate_pairs
from core.tokenizers.bpe import BpeConfig, BpeResult, Merge, train_bpe
from core.tokenizers.engine import (
    CompareRow,
    ComparisonResult,
    Token,
    TokenizationResult,
    TokenizerInfo,
    compare,
    decode,
    fix_surrogates,
    library,
    list_tokenizers,
    special_tokens,
    split_available,
    tokenize,
)

__all__ = [
    "BpeConfig",
    "BpeResult",
    "CompareRow",
    "ComparisonResult",
    "Merge",
    "Token",
    "TokenizationResult",
    "TokenizerInfo",
    "compare",
    "decode",
    "examples",
    "fix_surrogates",
    "join_surrogate_pairs",
    "library",
    "list_tokenizers",
    "special_tokens",
    "split_available",
    "tokenize",
    "train_bpe",
]


@cache
def examples() -> dict[str, Any]:
    """The shipped example texts (``assets/tokenizer/examples.json``): ``examples`` (label ->
    text), ``parallel`` (one sentence in several languages/scripts) and ``bpe_text``."""
    path = get_settings().assets_dir / "tokenizer" / "examples.json"
    return json.loads(path.read_text(encoding="utf-8"))
