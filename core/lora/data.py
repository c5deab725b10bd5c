"""Datasets for a LoRA run: the shipped recipes and uploads, validated with plain messages.

Two shapes: ``text,label`` rows (classification) and ``prompt,completion`` rows (causal LM),
from CSV or JSONL. :func:`parse_dataset` turns a file's bytes into a :class:`LoraDataset` or
raises :class:`DatasetError` saying what is wrong and how to fix it.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.lora.spec import LoraConfigSpec, Task
from core.settings import get_settings
from core.text import clean_text

MAX_BYTES = 2_000_000  # a "small" upload: a LoRA demo on CPU trains on hundreds of rows
MAX_ROWS = 5_000
MIN_ROWS = 8
MAX_CLASSES = 20
MAX_FIELD_CHARS = 2_000
COLUMNS: dict[Task, tuple[str, str]] = {
    "classification": ("text", "label"),
    "causal-lm": ("prompt", "completion"),
}


class DatasetError(ValueError):
    """An upload that cannot be trained on; the message says why and what to do."""


@dataclass(frozen=True)
class LoraDataset:
    """Validated rows: ``(text, label)`` for classification, ``(prompt, completion)`` otherwise.

    Args:
        name: where the rows came from (a recipe or the uploaded file's name).
        task: the shape of the rows.
        rows: the examples, in file order.
        labels: the sorted distinct labels (classification only, else empty).
        notes: what validation changed (skipped blank rows, truncated fields...).
    """

    name: str
    task: Task
    rows: tuple[tuple[str, str], ...]
    labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, n: int) -> LoraDataset:
        """The first ``n`` rows (tests and benchmarks), labels kept."""
        return replace(self, rows=self.rows[:n])


@dataclass(frozen=True)
class Recipe:
    """A ready-made run: a shipped dataset and settings that show something at once."""

    key: str
    title: str
    task: Task
    model: str
    dataset_file: str
    blurb: str
    targets: tuple[str, ...]
    lr: float
    epochs: int
    batch_size: int
    max_length: int
    r: int = 8
    alpha: int = 16

    def spec(self, **overrides: Any) -> LoraConfigSpec:
        """The run this recipe sets up, with ``overrides`` for the other fields of the spec.

        >>> RECIPES["sentiment"].spec(epochs=1).epochs, RECIPES["sentiment"].spec().model
        (1, 'minilm')
        """
        return LoraConfigSpec(
            **{
                "model": self.model,
                "task": self.task,
                "r": self.r,
                "alpha": self.alpha,
                "target_modules": self.targets,
                "lr": self.lr,
                "epochs": self.epochs,
                "batch_size": self.batch_size,
                "max_length": self.max_length,
                **overrides,
            }
        )


RECIPES: dict[str, Recipe] = {
    r.key: r
    for r in (
        Recipe(
            key="sentiment",
            title="Sentiment on MiniLM (classification)",
            task="classification",
            model="minilm",
            dataset_file="reviews.csv",
            blurb=(
                "300 short reviews labelled positive/negative. MiniLM has never been trained to "
                "classify, so its new classification head starts at chance; LoRA on query/value "
                "plus the head learns the task."
            ),
            targets=("query", "value"),
            lr=1e-3,
            epochs=5,
            batch_size=16,
            max_length=64,
        ),
        Recipe(
            key="format",
            title="New answer format on tiny-gpt (instruction tuning)",
            task="causal-lm",
            model="tiny-gpt",
            dataset_file="lora_fact_arrows.jsonl",
            blurb=(
                "tiny-gpt knows facts (capitals, animal sounds, colours, opposites, translations) "
                "as sentences and Q:/A: pairs, and '=>' only for word translation. This set asks "
                "them in a format it never saw: 'capital of France =>' answered ' Paris'. The "
                "adapter learns the format; the facts were already inside the model, so held-out "
                "ones come out too."
            ),
            targets=("c_attn", "c_proj"),
            lr=3e-3,
            epochs=5,
            batch_size=16,
            max_length=32,
        ),
    )
}


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise DatasetError(
            f"The file is too big: {len(data) / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB). "
            "A LoRA demo on CPU needs a few hundred rows at most."
        )
    if not data.strip():
        raise DatasetError("The file is empty: upload a CSV or JSONL file with a header row.")
    if b"\x00" in data[:4096]:
        raise DatasetError("This looks like a binary file, not CSV or JSONL text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(
            f"The file is not UTF-8 text (byte {e.start}): save it as UTF-8 CSV or JSONL."
        ) from None


def _records(text: str, filename: str) -> tuple[list[dict], str]:
    """Raw records and the format name, from JSONL (or a JSON list) or CSV."""
    lower = filename.lower()
    first = text.lstrip()[:1]
    if lower.endswith((".jsonl", ".json", ".ndjson")) or first in "{[":
        if first == "[":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise DatasetError(f"The JSON is malformed: {e.msg} (line {e.lineno}).") from None
            if not all(isinstance(x, dict) for x in data):
                raise DatasetError('The JSON list must hold objects like {"text": ..., ...}.')
            return data, "JSON"
        out = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DatasetError(f"Line {i} is not valid JSON: {e.msg}.") from None
            if not isinstance(obj, dict):
                raise DatasetError(f"Line {i} must be a JSON object, got {type(obj).__name__}.")
            out.append(obj)
            if len(out) > MAX_ROWS:
                break
        return out, "JSONL"
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = []
        for row in reader:
            if None in row:  # more cells than header names
                raise DatasetError(
                    f"CSV row {reader.line_num} has more cells than the header: "
                    "quote fields that contain commas."
                )
            rows.append(row)
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as e:
        raise DatasetError(f"The CSV is malformed: {e}.") from None
    return rows, "CSV"


def _field(value: object, notes: set[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    clean = clean_text(value, max_chars=MAX_FIELD_CHARS)
    if clean.truncated:
        notes.add(f"fields longer than {MAX_FIELD_CHARS} characters were cut")
    return clean.text


def parse_dataset(data: bytes | str, filename: str = "upload.csv") -> LoraDataset:
    """Validate an upload: CSV or JSONL with ``text,label`` or ``prompt,completion`` columns.

    Args:
        data: the file's bytes (or text).
        filename: used for the format (``.jsonl``/``.json`` vs ``.csv``) and as the dataset name.

    Returns:
        A :class:`LoraDataset`; its ``task`` follows the columns found.

    Raises:
        DatasetError: empty, binary, not UTF-8, malformed, too big, missing columns, too few
            rows, a single class, or too many classes.

    >>> parse_dataset("text,label\\n" + "good,pos\\nbad,neg\\n" * 4).labels
    ('neg', 'pos')
    """
    text = _decode(data.encode("utf-8", "replace") if isinstance(data, str) else data)
    records, fmt = _records(text, filename)
    if not records:
        raise DatasetError(f"The {fmt} has a header but no rows.")
    if len(records) > MAX_ROWS:
        raise DatasetError(f"The file has more than {MAX_ROWS} rows: keep a smaller sample.")
    keys = {str(k).strip().lower(): k for k in records[0] if k is not None}
    task = next((t for t, cols in COLUMNS.items() if all(c in keys for c in cols)), None)
    if task is None:
        found = ", ".join(sorted(keys)) or "none"
        raise DatasetError(
            "The file needs the columns text,label (classification) or prompt,completion "
            f"(new format for a causal LM); found: {found}."
        )
    a, b = (keys[c] for c in COLUMNS[task])
    notes: set[str] = set()
    rows, skipped = [], 0
    for rec in records:
        x, y = _field(rec.get(a), notes), _field(rec.get(b), notes)
        if task == "classification":
            y = y.strip()
        if not x.strip() or not y.strip():
            skipped += 1
            continue
        rows.append((x, y))
    if skipped:
        notes.add(f"{skipped} row(s) with an empty field were skipped")
    if len(rows) < MIN_ROWS:
        raise DatasetError(
            f"Only {len(rows)} usable row(s): a run needs at least {MIN_ROWS} "
            "(some for training, some held out)."
        )
    labels: tuple[str, ...] = ()
    if task == "classification":
        labels = tuple(sorted({y for _, y in rows}))
        if len(labels) < 2:
            raise DatasetError(
                f"Every row has the label {labels[0]!r}: a classifier needs at least two "
                "different labels."
            )
        if len(labels) > MAX_CLASSES:
            raise DatasetError(
                f"{len(labels)} different labels (limit {MAX_CLASSES}): is the label column "
                "really a category?"
            )
    name = Path(filename).name or "upload"
    return LoraDataset(name, task, tuple(rows), labels, tuple(sorted(notes)))


def datasets_dir() -> Path:
    return get_settings().assets_dir / "datasets"


def load_recipe_dataset(key: str) -> LoraDataset:
    """The shipped dataset of a recipe (``sentiment`` or ``format``)."""
    if key not in RECIPES:
        raise ValueError(f"unknown recipe {key!r}; expected one of {list(RECIPES)}")
    path = datasets_dir() / RECIPES[key].dataset_file
    return parse_dataset(path.read_bytes(), path.name)


def split_dataset(
    dataset: LoraDataset, val_fraction: float, seed: int
) -> tuple[LoraDataset, LoraDataset]:
    """Shuffle with ``seed`` and hold out ``val_fraction`` of the rows (at least 2 each side).

    Classification splits are stratified, so every label shows up on both sides.
    """
    r = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i, (_, y) in enumerate(dataset.rows):
        groups.setdefault(y if dataset.task == "classification" else "", []).append(i)
    train_idx, val_idx = [], []
    for key in sorted(groups):
        idx = groups[key]
        r.shuffle(idx)
        n_val = round(len(idx) * val_fraction)
        if len(idx) >= 2:
            n_val = min(max(1, n_val), len(idx) - 1)
        val_idx += idx[:n_val]
        train_idx += idx[n_val:]
    r.shuffle(train_idx)
    r.shuffle(val_idx)
    if len(train_idx) < 2 or len(val_idx) < 2:
        raise DatasetError(
            f"{len(dataset)} rows split {1 - val_fraction:.0%}/{val_fraction:.0%} leave too few "
            "for training or validation: upload more rows or change the split."
        )
    pick = lambda ids: tuple(dataset.rows[i] for i in ids)
    return replace(dataset, rows=pick(train_idx)), replace(dataset, rows=pick(val_idx))
