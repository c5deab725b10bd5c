"""Candidates and references in: typed lines, a CSV upload, and warnings where scores mislead.

>>> p = parse_pairs("a cat\\na dog", "the cat ||| a cat\\nthe dog")
>>> p.predictions, p.references
(('a cat', 'a dog'), (('the cat', 'a cat'), ('the dog',)))
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

REF_SEPARATOR = "|||"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PAIRS = 5000
MAX_TEXT_CHARS = 4_000  # per candidate/reference: ROUGE-L is quadratic in length
CANDIDATE_COLUMNS = ("candidate", "prediction", "hypothesis")
REFERENCE_PREFIXES = ("reference", "ref")


@dataclass(frozen=True)
class Pairs:
    """Candidates and, per candidate, one or more references."""

    predictions: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]

    @property
    def max_refs(self) -> int:
        return max((len(r) for r in self.references), default=0)


def cut_pairs(pairs: Pairs, max_chars: int = MAX_TEXT_CHARS) -> tuple[Pairs, int]:
    """Each text cut to ``max_chars`` characters, and how many texts were longer.

    >>> cut_pairs(Pairs(("abcdef",), (("abc", "abcd"),)), 3)
    (Pairs(predictions=('abc',), references=(('abc', 'abc'),)), 2)
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive.")
    long = sum(len(t) > max_chars for t in pairs.predictions) + sum(
        len(r) > max_chars for g in pairs.references for r in g
    )
    if not long:
        return pairs, 0
    cut = Pairs(
        tuple(t[:max_chars] for t in pairs.predictions),
        tuple(tuple(r[:max_chars] for r in g) for g in pairs.references),
    )
    return cut, long


def split_references(text: str) -> tuple[str, ...]:
    """The alternative references in ``text``, ``|||`` apart, stripped, empty ones dropped.

    >>> split_references(" the cat ||| a cat |||  ")
    ('the cat', 'a cat')
    """
    return tuple(x.strip() for x in text.split(REF_SEPARATOR) if x.strip())


def make_pairs(predictions: Sequence[str], references: Sequence[tuple[str, ...]]) -> Pairs:
    """:class:`Pairs` after checking them: as many candidates as reference groups, no empty
    candidate or group, at most :data:`MAX_PAIRS`. Raises ValueError with a plain message."""
    predictions, references = list(predictions), list(references)
    if not predictions:
        raise ValueError("No candidate: type at least one candidate sentence.")
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} candidate line(s) but {len(references)} reference line(s): "
            "each candidate needs its reference on the same line number."
        )
    if len(predictions) > MAX_PAIRS:
        raise ValueError(f"{len(predictions):,} pairs is more than the {MAX_PAIRS:,} scored here.")
    for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
        if not p.strip():
            raise ValueError(f"Candidate #{i + 1} is empty: every candidate needs some text.")
        if not r:
            raise ValueError(f"Reference #{i + 1} is empty: every candidate needs a reference.")
    return Pairs(tuple(predictions), tuple(references))


def parse_pairs(candidates: str, references: str) -> Pairs:
    """One candidate per line; on the same line of ``references`` its reference(s), ``|||`` apart.

    Blank lines at the ends are ignored; a blank line in the middle is an error (it would shift
    every following pair).

    Args:
        candidates: text with one candidate per line.
        references: text with one line per candidate.

    Returns:
        :class:`Pairs`. Raises ValueError with a plain message on empty or mismatched input.
    """
    cands = (candidates or "").strip("\n").splitlines()
    lines = (references or "").strip("\n").splitlines()
    if not any(c.strip() for c in cands):
        raise ValueError("The candidate box is empty: type the text to score.")
    if not any(r.strip() for r in lines):
        raise ValueError("The reference box is empty: type the text the candidate should match.")
    return make_pairs([c.strip() for c in cands], [split_references(ln) for ln in lines])


def read_csv(data: bytes) -> Pairs:
    """Pairs from a CSV with a ``candidate`` column and ``reference`` (+ ``reference_2``...).

    Args:
        data: the uploaded file's bytes (UTF-8, a BOM allowed).

    Returns:
        :class:`Pairs`. Raises ValueError naming what is wrong (empty, binary, not UTF-8,
        wrong columns, empty cells, too big).
    """
    if not data or not data.strip():
        raise ValueError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB."
        )
    if b"\x00" in data[:8192]:
        raise ValueError("This looks like a binary file, not a CSV text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"The file is not UTF-8 text (bad byte at position {e.start}).") from e
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise ValueError(f"The CSV could not be parsed: {e}.") from e
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValueError("The file has no rows.")
    header = [h.strip().lower() for h in rows[0]]
    cand_col = next((header.index(c) for c in CANDIDATE_COLUMNS if c in header), None)
    ref_cols = [i for i, h in enumerate(header) if h.startswith(REFERENCE_PREFIXES)]
    if cand_col is None or not ref_cols:
        raise ValueError(
            f"Wrong columns {rows[0][:6]}: the first row must name a 'candidate' column and a "
            "'reference' column (more references as 'reference_2', 'reference_3', ...)."
        )
    if len(rows) < 2:
        raise ValueError("The CSV has a header but no data rows.")
    preds, refs = [], []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) <= max([cand_col, *ref_cols[:1]]):
            raise ValueError(f"Row {n} has {len(row)} cell(s); it is missing a column.")
        preds.append(row[cand_col].strip())
        group = tuple(row[i].strip() for i in ref_cols if i < len(row) and row[i].strip())
        if not preds[-1]:
            raise ValueError(f"Row {n}: the candidate cell is empty.")
        if not group:
            raise ValueError(f"Row {n}: no reference text.")
        refs.append(group)
    return make_pairs(preds, refs)


@dataclass(frozen=True)
class Example:
    """A shipped example set (assets/metrics/examples.json)."""

    name: str
    about: str
    pairs: Pairs


def load_examples(path: str | None = None) -> dict[str, Example]:
    """The example sets shipped with the page, by name.

    Args:
        path: a JSON file; default ``<assets>/metrics/examples.json``.

    Returns:
        ``{name: Example}`` in file order.
    """
    import json
    from pathlib import Path

    if path is None:
        from core.settings import get_settings

        path = str(Path(get_settings().assets_dir) / "metrics" / "examples.json")
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        name: Example(
            name, e["about"], make_pairs(e["candidates"], [tuple(r) for r in e["references"]])
        )
        for name, e in raw.items()
    }


# ---------------------------------------------------------------- diagnostics


@dataclass(frozen=True)
class Diagnostic:
    """A warning for the page: ``kind`` in short | script | single_reference | rouge_drops."""

    kind: str
    message: str
    pairs: tuple[int, ...] = ()


def scripts(text: str) -> dict[str, int]:
    """Letters of ``text`` by Unicode script (the first word of their name: LATIN, CJK, ...)."""
    out: dict[str, int] = {}
    for c in text:
        if c.isalpha():
            name = unicodedata.name(c, "UNKNOWN").split(" ")[0]
            out[name] = out.get(name, 0) + 1
    return out


def suggest_bleu_tokenizer(script: str) -> str:
    """sacrebleu's tokenizer for a script, using only what works offline."""
    from core.metrics.scores import bleu_tokenizer_status

    if script in ("CJK",):
        return "zh"
    if script in ("HIRAGANA", "KATAKANA"):
        return "ja-mecab" if bleu_tokenizer_status("ja-mecab") is None else "char"
    if script in ("THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"):
        return "char"
    if script == "HANGUL":
        return "ko-mecab" if bleu_tokenizer_status("ko-mecab") is None else "intl"
    return "intl"


SCRIPT_NAMES = {
    "CJK": "Chinese (CJK)",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "HANGUL": "Korean",
}
_ROUGE_KEEP = re.compile(r"[a-z0-9]")


def diagnose(
    pairs: Pairs, *, bleu_lengths: Sequence[int] = (), max_ngram_order: int = 4
) -> list[Diagnostic]:
    """The situations where ROUGE/BLEU numbers mislead, in plain words.

    Args:
        pairs: the input.
        bleu_lengths: candidate lengths in BLEU tokens (``BleuResult.stats[i][0]``), to flag
            candidates too short to have a single ``max_ngram_order``-gram.
        max_ngram_order: BLEU's highest n-gram order.

    Returns:
        A list of :class:`Diagnostic`, empty when nothing looks off.
    """
    out: list[Diagnostic] = []
    short = tuple(i for i, n in enumerate(bleu_lengths) if n < max_ngram_order)
    if short:
        out.append(
            Diagnostic(
                "short",
                f"{len(short)} candidate(s) have fewer than {max_ngram_order} tokens: there is no "
                f"{max_ngram_order}-gram at all, so BLEU scored on each alone the corpus way "
                "(BLEU().corpus_score, no effective order) is 0 whatever the words. Read chrF, or "
                "sentence BLEU with effective order or smoothing, for these (see the table).",
                short,
            )
        )
    text = " ".join(pairs.predictions) + " " + " ".join(r for g in pairs.references for r in g)
    by_script = scripts(text)
    letters = sum(by_script.values())
    other = {s: n for s, n in by_script.items() if s != "LATIN"}
    if letters and sum(other.values()) / letters > 0.2:
        main = max(other, key=lambda s: other[s])
        tok = suggest_bleu_tokenizer(main)
        out.append(
            Diagnostic(
                "script",
                f"Most letters are {SCRIPT_NAMES.get(main, main.title())} script. "
                f"BLEU's default tokenizer '13a' splits on "
                f"spaces and punctuation; for this script use tokenize='{tok}'. ROUGE's default "
                "tokenizer keeps only a-z and 0-9: it drops these letters entirely (see the tokens "
                "below), so pick the 'unicode' or 'char' ROUGE tokenizer.",
            )
        )
    lowered = text.lower()
    kept = len(_ROUGE_KEEP.findall(lowered))
    alnum = sum(1 for c in lowered if c.isalnum())
    if alnum and (alnum - kept) / alnum > 0.05 and not any(d.kind == "script" for d in out):
        out.append(
            Diagnostic(
                "rouge_drops",
                f"rouge_score's default tokenizer drops {alnum - kept:,} of {alnum:,} letters and "
                "digits here (accented and non-Latin letters are not in a-z): those words cannot "
                "match at all under the default ROUGE tokenizer.",
            )
        )
    if pairs.max_refs <= 1:
        out.append(
            Diagnostic(
                "single_reference",
                "One reference per candidate: a correct paraphrase that uses other words "
                "scores low. "
                f"Add alternatives on the same line separated by {REF_SEPARATOR} (or CSV columns "
                "reference_2, reference_3...).",
            )
        )
    return out
