"""core.lora.data: uploads validated with plain messages, the shipped recipes, the split."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import lora
from core.lora import DatasetError, parse_dataset, split_dataset

GOOD_CSV = "text,label\n" + "".join(f"review {i},{'pos' if i % 2 else 'neg'}\n" for i in range(10))
BOM_CSV = "\ufeff" + GOOD_CSV.replace("text,label", "Text , LABEL")
INT_LABELS_JSON = json.dumps([{"text": f"t{i}", "label": i % 2} for i in range(8)])
GOOD_JSONL = "".join(
    json.dumps({"prompt": f"p{i}", "completion": f" c{i}"}) + "\n" for i in range(9)
)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.csv", "empty"),
        (b"  \n\n ", "x.csv", "empty"),
        (b"\x00\x01\x02PK", "x.csv", "binary"),
        ("text,label\nbon,é\n".encode("latin-1") * 5, "x.csv", "not UTF-8"),
        (b"x" * 2_000_001, "x.csv", "too big"),
        (b"text,label\n", "x.csv", "no rows"),
        (b"name,score\nA,1\nB,2\n", "x.csv", "needs the columns"),
        (b"text,label\n" + b"same text,pos\n" * 20, "x.csv", "at least two different labels"),
        (b"text,label\na,pos\nb,neg\n", "x.csv", "at least 8"),
        (b"text,label\n" + b"a,b,c\n" * 10, "x.csv", "more cells than the header"),
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": oops}\n', "x.jsonl", "Line 2"),
        (b'{"prompt": "a", "completion": "b"}\n[1, 2]\n', "x.jsonl", "JSON object"),
        (b"[1, 2, 3]", "x.json", "objects"),
        (b'[{"text": 1', "x.json", "malformed"),
        ("text,label\n" + "".join(f"t{i},L{i}\n" for i in range(30)), "x.csv", "different labels"),
        ("text,label\n" + "t,a\n" * 5001, "x.csv", "more than 5000 rows"),
        ("text,label\n" + ",pos\n,neg\n" * 10 + "a,pos\n", "x.csv", "usable row"),
    ],
)
def test_bad_uploads_say_what_is_wrong(data, filename, message):
    with pytest.raises(DatasetError, match=message):
        parse_dataset(data, filename)


@pytest.mark.parametrize(
    ("data", "filename", "task", "n", "labels"),
    [
        (GOOD_CSV, "r.csv", "classification", 10, ("neg", "pos")),
        (BOM_CSV, "r.csv", "classification", 10, ("neg", "pos")),
        (GOOD_JSONL, "f.jsonl", "causal-lm", 9, ()),
        (INT_LABELS_JSON, "l.json", "classification", 8, ("0", "1")),
        (GOOD_CSV + ",pos\n\n", "r.csv", "classification", 10, ("neg", "pos")),
    ],
)
def test_good_uploads_parse(data, filename, task, n, labels):
    ds = parse_dataset(data.encode() if isinstance(data, str) else data, filename)
    assert (ds.task, len(ds), ds.labels, ds.name) == (task, n, labels, filename)


def test_skipped_rows_and_odd_unicode_are_noted_not_fatal():
    data = GOOD_CSV + ",pos\n" + "lone \ud800 surrogate ok,neg\n"
    ds = parse_dataset(
        data.encode("utf-8", "surrogatepass").replace(b"\xed\xa0\x80", b"?"), "u.csv"
    )
    assert any("skipped" in n for n in ds.notes)
    assert len(ds) == 11


def test_shipped_recipe_datasets_are_valid():
    sent, fmt = lora.load_recipe_dataset("sentiment"), lora.load_recipe_dataset("format")
    assert (sent.task, len(sent), sent.labels) == ("classification", 300, ("negative", "positive"))
    assert fmt.task == "causal-lm" and len(fmt) >= 100
    assert all(p.endswith(" =>") and c.startswith(" ") for p, c in fmt.rows)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(8, 200), frac=st.floats(0.05, 0.5), seed=st.integers(0, 10_000))
def test_split_is_a_stratified_partition(n, frac, seed):
    rows = "".join(f"row {i},{'pos' if i % 3 else 'neg'}\n" for i in range(n))
    ds = parse_dataset("text,label\n" + rows)
    train, val = split_dataset(ds, frac, seed)
    assert sorted(train.rows + val.rows) == sorted(ds.rows)
    assert {y for _, y in train.rows} == {y for _, y in val.rows} == {"pos", "neg"}
    assert split_dataset(ds, frac, seed) == (train, val)


@pytest.mark.parametrize("key", sorted(lora.RECIPES))
def test_recipe_spec_carries_the_recipes_settings_and_overrides(key: str) -> None:
    r = lora.RECIPES[key]
    spec = r.spec()
    assert (spec.model, spec.task, spec.r, spec.alpha, spec.target_modules) == (
        r.model,
        r.task,
        r.r,
        r.alpha,
        r.targets,
    )
    assert (spec.lr, spec.epochs, spec.batch_size, spec.max_length) == (
        r.lr,
        r.epochs,
        r.batch_size,
        r.max_length,
    )
    other = r.spec(epochs=r.epochs + 1, seed=3)
    assert (other.epochs, other.seed, other.lr) == (r.epochs + 1, 3, r.lr)
    with pytest.raises(ValueError, match="epochs"):
        r.spec(epochs=0)
