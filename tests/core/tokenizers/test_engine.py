"""core.tokenizers.engine: ids equal the libraries', spans, special tokens, odd Unicode."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import models
from core.tokenizers import (
    compare,
    decode,
    examples,
    fix_surrogates,
    join_surrogate_pairs,
    list_tokenizers,
    special_tokens,
    split_available,
    tokenize,
)
from core.tokenizers.engine import byte_decoder

EMBEDDED = ["cl100k_base", "minilm", "tiny-gpt"]


BYTE_EXACT = ["cl100k_base", "tiny-gpt"]  # every byte of the text is inside some token


CASES = [
    "",
    "Hello world",
    "   leading and trailing   ",
    "tabs\tand\nnewlines\r\n\n",
    "def f(x):\n    return x ** 2  # comment",
    "3.14159 1,000,000 $12.50 2024-11-22",
    "日本語のテキスト、中文文本。",
    "مرحبا بالعالم",
    "emoji 👋🏽 👩‍💻 🇫🇷 ❤️",
    "e\u0301 combining, ﬁ ligature, ß ẞ",
    "control\x00\x07\x1bchars\x7f",
    "zero\u200bwidth\u200djoiner\ufeff bom \u202eRTL",
    "<|endoftext|>special<|endoftext|>",
    "[CLS] bert markers [SEP] [MASK] [PAD]",
    "unbelievable antidisestablishmentarianism",
    "ÀÉÎÕÜ àéîõü Ωμέγα Привет",
    " ",
    "\n",
    "a" * 300,
]


def reference_ids(text: str, name: str, *, special: bool = False) -> list[int]:
    """The library's own ids: typed special tokens are ordinary text unless ``special``."""
    lib = models.load_tokenizer(name)
    if name == "cl100k_base":
        return lib.encode(text, allowed_special="all" if special else set(), disallowed_special=())
    fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # as tiktoken
    return lib(fixed, split_special_tokens=not special)["input_ids"]


def test_list_tokenizers_puts_the_offline_ones_first():
    names = [t.name for t in list_tokenizers()]
    assert names[:3] == EMBEDDED
    assert "gpt2" in names and "flan-t5-small" in names
    assert all(t.embedded for t in list_tokenizers(embedded_only=True))


@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("name", EMBEDDED)
@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_ids_equal_the_library_and_spans_are_sane(text, name, special):
    r = tokenize(text, name, parse_special=special)
    assert list(r.ids) == reference_ids(text, name, special=special)
    assert len(r.starts) == len(r.ends) == len(r.pieces) == len(r.kinds) == r.n_tokens
    prev = 0
    for t in r.tokens:
        assert 0 <= t.start <= t.end <= len(text)
        assert t.start >= prev - 1  # tokens may share one split character, never more
        prev = max(prev, t.end)


@pytest.mark.parametrize("name", BYTE_EXACT)
@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_byte_level_spans_rejoin_to_the_text(text, name):
    r = tokenize(text, name)
    real = [t for t in r.tokens if t.start < t.end or t.bytes]
    assert b"".join(t.bytes for t in real) == text.encode("utf-8")
    covered = ""
    for t in real:
        span = text[t.start : t.end]
        assert t.bytes in span.encode("utf-8"), (t, span)
        if not t.partial:
            assert span.encode("utf-8") == t.bytes
        covered = covered[: t.start] + span  # a shared split character is counted once
    assert covered == text


@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_wordpiece_spans_point_at_the_word_pieces(text):
    r = tokenize(text, "minilm")
    assert r.tokens[0].piece == "[CLS]" and r.tokens[-1].piece == "[SEP]"
    for t in r.tokens:
        if t.kind != "normal":
            continue
        span = unicodedata.normalize("NFD", text[t.start : t.end].lower())
        span = "".join(c for c in span if unicodedata.category(c) != "Mn")
        assert span == t.text, (t, text[t.start : t.end])
        assert t.piece.startswith("##") == (t.piece != t.text)


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("日本", "cl100k_base", [(0, 1), (1, 2)]),
        ("👋", "cl100k_base", [(0, 1), (0, 1), (0, 1)]),  # three tokens share one emoji
        ("a👋🏽", "cl100k_base", [(0, 1), (1, 2), (1, 2), (1, 2), (2, 3), (2, 3), (2, 3)]),
        ("Héllo", "minilm", [(0, 0), (0, 5), (5, 5)]),
    ],
)
def test_spans_of_multibyte_characters(text, name, expected):
    assert [(t.start, t.end) for t in tokenize(text, name).tokens] == expected


def test_a_token_that_splits_a_character_shows_its_bytes():
    t = tokenize("👋", "cl100k_base").tokens
    assert [x.partial for x in t] == [True, True, True]
    assert t[0].text == "\\xf0\\x9f" and b"".join(x.bytes for x in t) == "👋".encode()


@pytest.mark.parametrize(
    ("text", "name", "kinds"),
    [
        ("a<|endoftext|>b", "cl100k_base", ["normal", "special", "normal"]),
        ("x [SEP] 👋", "minilm", ["special", "normal", "special", "unknown", "special"]),
        ("a<|endoftext|>", "tiny-gpt", ["normal", "special"]),
    ],
)
def test_special_and_unknown_tokens_are_marked(text, name, kinds):
    assert list(tokenize(text, name, parse_special=True).kinds) == kinds


@pytest.mark.parametrize(
    ("text", "name", "typed"),
    [
        ("a<|endoftext|>b", "cl100k_base", "<|endoftext|>"),
        ("a<|endoftext|>b", "tiny-gpt", "<|endoftext|>"),
        ("x [SEP] y", "minilm", "[SEP]"),
    ],
)
def test_typed_special_tokens_are_ordinary_text_by_default(text, name, typed):
    """tiktoken refuses special tokens in user text by default; we encode them as text."""
    r = tokenize(text, name, add_special_tokens=False)
    assert "special" not in r.kinds and r.n_tokens >= 3
    assert typed.lower() in "".join(t.text for t in r.tokens).replace(" ", "")
    on = tokenize(text, name, add_special_tokens=False, parse_special=True)
    assert [t.text for t in on.tokens if t.kind == "special"] == [typed]
    with pytest.raises(ValueError, match="disallowed special token"):
        models.load_tokenizer("cl100k_base").encode("a<|endoftext|>b")  # tiktoken's own default


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\ud83d\udc4d", [9468, 239, 235]),  # a valid pair is the emoji 👍, not two U+FFFD
        ("👍", [9468, 239, 235]),
        ("a\ud800b", [64, 5809, 65]),  # a lone surrogate is U+FFFD
        ("\udc4d\ud83d", [10178]),  # low then high: no pair, two U+FFFD, one token
    ],
)
def test_surrogates_give_tiktokens_ids(text, expected):
    lib = models.load_tokenizer("cl100k_base")
    assert list(tokenize(text).ids) == expected == lib.encode(text)


def test_counts():
    r = tokenize("one two  three", "cl100k_base")
    assert (r.n_chars, r.n_words, r.n_tokens) == (14, 3, len(r.ids))
    assert r.chars_per_token == pytest.approx(14 / r.n_tokens)
    e = tokenize("", "minilm")
    assert (e.n_tokens, e.n_words, e.tokens_per_word, e.chars_per_token) == (2, 0, 0.0, 0.0)


def test_lone_surrogates_are_replaced_not_raised():
    r = tokenize("a\ud800b", "cl100k_base")
    assert r.text == "a\ufffdb" and decode(r.ids) == "a\ufffdb"


def test_unknown_hub_tokenizer_offline_is_a_clear_error():
    with pytest.raises(models.ModelUnavailableError, match="no network"):
        tokenize("hi", "someone/no-such-tokenizer")
    with pytest.raises(models.ModelUnavailableError, match="not a model name"):
        tokenize("hi", "../etc/passwd")


def test_special_tokens_lists_the_typed_strings():
    assert "<|endoftext|>" in special_tokens("cl100k_base")
    assert special_tokens("tiny-gpt") == {"<|endoftext|>"}
    assert {"[CLS]", "[SEP]"} <= special_tokens("minilm")


def test_byte_decoder_is_the_gpt2_alphabet():
    table = byte_decoder()
    assert len(table) == 256 and sorted(table.values()) == list(range(256))
    assert table["Ġ"] == 32 and table["A"] == 65


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


# anything a str can hold: surrogates (paired or not) and special-token strings mixed in
_any_text = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(["\ud83d", "\udc4d", "\ud83d\udc4d", "<|endoftext|>", "[SEP]", "\n"]),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_any_text, special=st.booleans())
def test_ids_equal_tiktoken_for_any_string(text, special):
    lib = models.load_tokenizer("cl100k_base")
    want = lib.encode(text, allowed_special="all") if special else lib.encode_ordinary(text)
    assert list(tokenize(text, parse_special=special).ids) == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_any_text, special=st.booleans())
def test_ids_equal_transformers_for_any_string(text, special):
    for name in ("minilm", "tiny-gpt"):
        assert list(tokenize(text, name, parse_special=special).ids) == reference_ids(
            text, name, special=special
        )


@settings(max_examples=80, deadline=None)
@given(text=_any_text)
def test_join_surrogate_pairs_keeps_lone_ones_for_clean_text(text):
    joined = join_surrogate_pairs(text)
    assert fix_surrogates(joined) == fix_surrogates(text)
    assert joined.encode("utf-16", "surrogatepass") == text.encode("utf-16", "surrogatepass")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_text)
def test_round_trip_tiktoken(text):
    r = tokenize(text, "cl100k_base")
    assert decode(r.ids, "cl100k_base") == text
    assert b"".join(t.bytes for t in r.tokens) == text.encode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_text)
def test_round_trip_tiny_gpt_byte_level(text):
    r = tokenize(text, "tiny-gpt")
    assert decode(r.ids, "tiny-gpt") == text
    assert r.lossless


def test_wordpiece_is_lossy_and_says_so():
    r = tokenize("Héllo World", "minilm", add_special_tokens=False)
    assert not r.lossless and decode(r.ids, "minilm") == "hello world"


def test_compare_counts_each_text_and_reports_unavailable_tokenizers():
    texts = {"English": "The cat sat.", "Chinese": "猫坐着。"}
    res = compare(texts, ["cl100k_base", "minilm", "nobody/nothing"])
    assert {(r.label, r.tokenizer) for r in res.rows} == {
        (lang, name) for lang in texts for name in ("cl100k_base", "minilm")
    }
    row = next(r for r in res.rows if r.tokenizer == "minilm" and r.label == "English")
    assert row.n_tokens == len(tokenize("The cat sat.", "minilm", add_special_tokens=False).ids)
    assert list(res.errors) == ["nobody/nothing"]


def test_examples_have_every_script_the_issue_asks_for():
    ex = examples()
    line = ex["examples"]["Multilingual line"]
    assert any("\u4e00" <= c <= "\u9fff" for c in line)  # CJK
    assert any("\u0600" <= c <= "\u06ff" for c in line)  # Arabic
    assert any(ord(c) >= 0x1F300 for c in line)  # emoji
    assert {"English", "Arabic", "Chinese (Han)", "Emoji"} <= set(ex["parallel"]["languages"])


# --- summaries the page reads: unknown and typed special tokens, loadable tokenizers, cost ---
def test_n_unknown_counts_the_unk_tokens():
    assert tokenize("x [SEP] 👋", "minilm").n_unknown == 1
    assert tokenize("x [SEP] 👋", "cl100k_base").n_unknown == 0


@pytest.mark.parametrize(
    ("text", "name", "typed"),
    [
        ("a [SEP] b [CLS]", "minilm", ("[CLS]", "[SEP]")),
        ("a <|endoftext|> b", "cl100k_base", ("<|endoftext|>",)),
        ("a [SEP] b", "cl100k_base", ()),
        ("plain", "minilm", ()),
    ],
)
def test_typed_specials_are_the_special_strings_in_the_text(text, name, typed):
    assert tokenize(text, name).typed_specials == typed


def test_split_available_keeps_order_and_gives_the_reasons():
    ok, missing = split_available(["tiny-gpt", "someone/no-such-tokenizer", "minilm", "../x"])
    assert ok == ["tiny-gpt", "minilm"]
    assert list(missing) == ["someone/no-such-tokenizer", "../x"]
    assert "no network" in missing["someone/no-such-tokenizer"]
    assert "not a model name" in missing["../x"]


def test_most_expensive_pairs_the_worst_row_with_its_tokenizers_baseline():
    texts = {"English": "the cat sat", "Thai": "แมวนั่งอยู่บนเสื่อ", "Greek": "η γάτα κάθισε"}
    c = compare(texts, ["minilm", "cl100k_base"])
    worst, base = c.most_expensive()
    assert worst.n_tokens == max(r.n_tokens for r in c.rows)
    assert (base.label, base.tokenizer) == ("English", worst.tokenizer)
    greek, _ = c.most_expensive("Greek")  # another baseline: the same worst row
    assert greek == worst
    _, g = c.most_expensive("Greek")
    assert (g.label, g.tokenizer) == ("Greek", worst.tokenizer)
