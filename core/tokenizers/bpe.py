"""How byte-level BPE builds its vocabulary: train one on a short text, then replay its merges.

The merges come from the ``tokenizers`` library's ``BpeTrainer``; the replay re-applies them in
order to the pre-tokenized text, counting each pair when it is merged, so a page can show the
merge table and how any word's segmentation changes after each merge. After the last merge the
replay's segmentation equals what the trained tokenizer itself produces (tested).

>>> r = train_bpe(BpeConfig("low lower lowest low lower lowest", num_merges=5))
>>> r.merges[0].new, r.segment("lowest", len(r.merges))
('lo', ['low', 'e', 'st'])
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from core.knobs import check, knob
from core.tokenizers.engine import byte_decoder

MAX_TRAIN_CHARS = 20_000  # the replay runs in Python: keep the lesson text short


@dataclass(frozen=True)
class BpeConfig:
    """What to train.

    Args:
        text: the training text (a few sentences are enough to see merges happen).
        num_merges: how many merges to learn at most (vocabulary = 256 bytes + merges).
        min_frequency: a pair must occur this often to be merged.
    """

    text: str
    num_merges: int = knob(60, lo=1, hi=2000)  # enough to build whole short words from a paragraph
    min_frequency: int = knob(2, lo=1, hi=1000)  # a pair seen once teaches nothing

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("Give BPE some text to learn from (it is empty).")
        if len(self.text) > MAX_TRAIN_CHARS:
            raise ValueError(
                f"The training text has {len(self.text):,} characters; keep it under "
                f"{MAX_TRAIN_CHARS:,} so every merge can be replayed live."
            )
        check(self)


@dataclass(frozen=True)
class Merge:
    """One learned merge.

    Args:
        rank: 1 for the first merge learned.
        left, right: the two symbols joined (byte-level alphabet, ``Ġ`` = space).
        new: the new symbol.
        count: how often the pair occurred in the text just before this merge.
        tokens_after: how many tokens the whole training text takes after this merge.
    """

    rank: int
    left: str
    right: str
    new: str
    count: int
    tokens_after: int


@dataclass(frozen=True)
class BpeResult:
    """A trained byte-level BPE and its replayed merges.

    Args:
        config: what was trained.
        merges: the merges in the order learned.
        words: pre-tokenized words of the text (byte-level alphabet) with their counts.
        tokens_before: tokens of the text before any merge (= its UTF-8 bytes).
        final_ids: ids the trained ``tokenizers.Tokenizer`` gives the whole text.
        vocab_size: 256 bytes + merges.
    """

    config: BpeConfig
    merges: tuple[Merge, ...]
    words: tuple[tuple[str, int], ...]
    tokens_before: int
    final_ids: tuple[int, ...]
    vocab_size: int
    _tokenizer_json: str = field(repr=False, compare=False, default="")

    def segment(self, word: str, step: int) -> list[str]:
        """How ``word`` (plain text, e.g. ``" lowest"``) is split after the first ``step`` merges.

        Returns:
            The symbols, each shown as text (partial UTF-8 as ``\\xNN``).
        """
        step = max(0, min(step, len(self.merges)))
        return [show(s) for s in _apply(to_symbols(word), self.merges[:step])]

    def history(self, word: str) -> list[tuple[int, list[str]]]:
        """``(step, segmentation)`` at step 0 and after every merge that changed ``word``."""
        syms = to_symbols(word)
        out = [(0, [show(s) for s in syms])]
        for m in self.merges:
            new = _apply(syms, (m,))
            if new != syms:
                syms = new
                out.append((m.rank, [show(s) for s in syms]))
        return out

    def encode(self, text: str) -> list[str]:
        """The trained tokenizer's own tokens for ``text`` (shown as text)."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_str(self._tokenizer_json)
        return [show(t) for t in tok.encode(text).tokens]


def to_symbols(word: str) -> list[str]:
    """A word as byte-level symbols (one printable character per UTF-8 byte)."""
    table = {b: c for c, b in byte_decoder().items()}
    return [table[b] for b in word.encode("utf-8")]


def show(symbol: str) -> str:
    """A byte-level symbol as text: ``Ġlow`` -> ``' low'``, partial UTF-8 as ``\\xNN``."""
    dec = byte_decoder()
    return bytes(dec[c] for c in symbol).decode("utf-8", "backslashreplace")


def _apply(symbols: list[str], merges) -> list[str]:
    """Apply merges in order, each left to right over the word (BPE's rank order)."""
    for m in merges:
        if len(symbols) < 2:
            break
        out: list[str] = []
        i = 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == m.left and symbols[i + 1] == m.right:
                out.append(m.new)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols


def train_bpe(config: BpeConfig) -> BpeResult:
    """Train a byte-level BPE with ``tokenizers`` and replay its merges on the text.

    Args:
        config: the text and sizes.

    Returns:
        A :class:`BpeResult` (the merge table with counts, and the words to follow).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=256 + config.num_merges,
        min_frequency=config.min_frequency,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    lines = config.text.splitlines() or [config.text]
    tok.train_from_iterator(lines, trainer=trainer)
    raw = json.loads(tok.to_str())["model"]["merges"]
    pairs = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in raw]

    pre = pre_tokenizers.ByteLevel(add_prefix_space=False)
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(w for w, _ in pre.pre_tokenize_str(line))
    words = {w: list(w) for w in counts}
    total = sum(len(s) * counts[w] for w, s in words.items())
    tokens_before = total
    merges: list[Merge] = []
    for rank, (left, right) in enumerate(pairs, start=1):
        m = Merge(rank, left, right, left + right, 0, 0)
        seen = 0
        for w, syms in words.items():
            n = sum(1 for a, b in zip(syms, syms[1:], strict=False) if a == left and b == right)
            if n:
                seen += n * counts[w]
                new = _apply(syms, (m,))
                total -= (len(syms) - len(new)) * counts[w]
                words[w] = new
        merges.append(Merge(rank, left, right, left + right, seen, total))
    final = tok.encode_batch(lines)
    return BpeResult(
        config,
        tuple(merges),
        tuple(counts.most_common()),
        tokens_before,
        tuple(i for e in final for i in e.ids),
        tok.get_vocab_size(),
        tok.to_str(),
    )
