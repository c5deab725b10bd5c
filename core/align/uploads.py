"""A learner's own pairs from a file: CSV or JSONL with ``prompt``, ``chosen``, ``rejected``.

Bad rows are skipped and counted (an empty field, chosen == rejected), never fatal; a file with
no usable row, or more rows than a class server should train on, is refused with a plain
message.

>>> up = parse_pairs(b"prompt,chosen,rejected\\nQ:, yes, no\\nQ:, same, same\\n", "mine.csv")
>>> len(up.pairs), up.skipped
(1, 1)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from core.align.pairs import Pair, PairError

MAX_PAIRS = 5000  # a few minutes of DPO on tiny-gpt at most
MAX_BYTES = 20 * 2**20
COLUMNS = ("prompt", "chosen", "rejected")


@dataclass(frozen=True)
class UploadedPairs:
    pairs: tuple[Pair, ...]
    skipped: int
    reasons: tuple[str, ...]  # the first few reasons, for the page


def _rows(data: bytes, name: str) -> list[dict]:
    text = data.decode("utf-8-sig", errors="replace")
    if name.lower().endswith((".jsonl", ".json")):
        rows = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise PairError(f"line {i} is not JSON: one object per line is expected") from None
            if not isinstance(row, dict):
                raise PairError(f"line {i} is not an object with prompt, chosen, rejected")
            rows.append(row)
        return rows
    return list(csv.DictReader(io.StringIO(text)))


def parse_pairs(data: bytes, name: str) -> UploadedPairs:
    """The usable pairs of an uploaded file.

    Raises:
        PairError: too big, unreadable, missing columns, or no usable pair.
    """
    if len(data) > MAX_BYTES:
        raise PairError(
            f"the file is over {MAX_BYTES // 2**20} MB: upload at most {MAX_PAIRS:,} pairs"
        )
    rows = _rows(data, name)
    if not rows:
        raise PairError("the file has no rows: it needs columns prompt, chosen, rejected")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise PairError(f"the file lacks the column(s) {', '.join(missing)}")
    if len(rows) > MAX_PAIRS:
        raise PairError(
            f"the file has {len(rows):,} pairs; a run here takes at most {MAX_PAIRS:,} "
            "(keep a sample of them)"
        )
    pairs, reasons = [], []
    for i, row in enumerate(rows, 1):
        try:
            prompt, chosen, rejected = (str(row.get(c) or "") for c in COLUMNS)
            pairs.append(Pair(prompt, chosen, rejected))
        except PairError as e:
            reasons.append(f"row {i}: {e}")
    if not pairs:
        raise PairError(f"no usable pair in the file ({reasons[0] if reasons else 'empty'})")
    return UploadedPairs(tuple(pairs), len(reasons), tuple(reasons[:5]))
