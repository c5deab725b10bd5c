"""core.metrics.inputs: pasted and uploaded pairs, their checks and diagnostics."""

from __future__ import annotations

import pytest

from core import metrics as M


def test_parse_pairs_and_messages():
    p = M.parse_pairs("a cat\nb dog\n", "the cat ||| a cat\nthe dog")
    assert p.predictions == ("a cat", "b dog") and p.references[0] == ("the cat", "a cat")
    for cands, refs, msg in [
        ("", "x", "candidate box is empty"),
        ("x", "  ", "reference box is empty"),
        ("a\nb", "a", "2 candidate line"),
        ("a\n\nb", "a\nx\nb", "Candidate #2 is empty"),
    ]:
        with pytest.raises(ValueError, match=msg):
            M.parse_pairs(cands, refs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"\xff\xfe\xfa bad", "not UTF-8"),
        (b"text,label\nhello,positive\n", "Wrong columns"),
        (b"candidate,reference\n", "no data rows"),
        (b"candidate,reference\nhello,\n", "Row 2: no reference"),
        (b"candidate,reference\n,hello\n", "Row 2: the candidate cell is empty"),
        (b"x" * (M.inputs.MAX_UPLOAD_BYTES + 1), "limit"),
    ],
    ids=["empty", "binary", "latin1", "columns", "header-only", "no-ref", "no-cand", "too-big"],
)
def test_read_csv_rejects_clearly(data, message):
    with pytest.raises(ValueError, match=message):
        M.read_csv(data)


def test_read_csv_multiple_references_and_bom():
    data = '\ufeffCandidate,Reference,reference_2\nthe cat,a cat,the cat\n"x, y",x y,\n'
    p = M.read_csv(data.encode())
    assert p.predictions == ("the cat", "x, y")
    assert p.references == (("a cat", "the cat"), ("x y",))


def test_diagnose_flags_short_script_and_single_reference():
    p = M.parse_pairs("今天天气很好\nok", "今天天气不错\nok")
    b = M.bleu(list(p.predictions), [list(g) for g in p.references])
    kinds = [d.kind for d in M.diagnose(p, bleu_lengths=[s[0] for s in b.stats])]
    assert kinds == ["short", "script", "single_reference"]
    accents = M.parse_pairs("le café était très été", "le café ||| été")
    assert [d.kind for d in M.diagnose(accents)] == ["rouge_drops"]


def test_examples_load():
    ex = M.load_examples()
    assert len(ex) >= 4
    for e in ex.values():
        assert len(e.pairs.predictions) == len(e.pairs.references) > 0


@pytest.mark.parametrize(
    ("pred", "refs", "limit", "cut"),
    [("abc", ("abc",), 3, 0), ("abcd", ("abc",), 3, 1), ("abcd", ("abcd", "ab", "xyzw"), 3, 3)],
)
def test_cut_pairs_cuts_and_counts(pred, refs, limit, cut):
    pairs, n = M.cut_pairs(M.Pairs((pred,), (refs,)), limit)
    assert n == cut
    assert all(len(t) <= limit for t in (*pairs.predictions, *pairs.references[0]))
    assert pairs.references[0] == tuple(r[:limit] for r in refs)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("a cat", ("a cat",)),
        (" a ||| b |||", ("a", "b")),
        ("|||", ()),
        ("x\ny ||| z", ("x\ny", "z")),
    ],
)
def test_split_references(text, want):
    assert M.split_references(text) == want


def test_make_pairs_checks_like_the_typed_input():
    assert M.make_pairs(["a"], [("b",)]) == M.Pairs(("a",), (("b",),))
    with pytest.raises(ValueError, match="Reference #1 is empty"):
        M.make_pairs(["a"], [M.split_references("|||")])
    with pytest.raises(ValueError, match="Candidate #1 is empty"):
        M.make_pairs([" "], [("b",)])
