"""core.embeddings.space: the corpus world's words in tiny-gpt's and MiniLM's token tables."""

from __future__ import annotations

import numpy as np
import pytest

from core import models
from core.embeddings import pca
from core.embeddings import space as wordspace


def _space(name: str) -> wordspace.EmbeddingSpace:
    lm = models.load_model(name)
    return wordspace.embedding_space(name, lm.model, lm.tokenizer)


@pytest.fixture(scope="module", params=["tiny-gpt", "minilm"])
def space(request) -> wordspace.EmbeddingSpace:
    return _space(request.param)


def test_categories_are_the_corpus_tables():
    from core import corpus

    assert (
        wordspace.CATEGORIES["animals"] is corpus.ANIMALS
        and wordspace.CATEGORIES["cities"] is corpus.CITIES
    )
    assert set(wordspace.CATEGORIES["countries"]) == set(corpus.CAPITALS)
    words = dict(wordspace.corpus_words())
    assert len(words) == len(wordspace.corpus_words())  # one category per word
    assert words["fish"] == "foods" and "fish" in corpus.ACTIVITIES  # the first table wins
    assert {w for ws in wordspace.CATEGORIES.values() for w in ws} == set(words)


@pytest.mark.parametrize(
    ("name", "word", "pieces"),
    [
        ("tiny-gpt", "cat", ("Ġcat",)),
        ("tiny-gpt", "Oslo", ("ĠOslo",)),
        ("tiny-gpt", "seven", ("Ġs", "e", "v", "en")),
        ("minilm", "Tom", ("tom",)),
        ("minilm", "carrots", ("carrot", "##s")),
    ],
)
def test_word_tokens_are_the_word_inside_a_sentence(name, word, pieces):
    tok = models.load_model(name).tokenizer
    t = wordspace.word_tokens(tok, word)
    assert t.pieces == pieces and t.whole == (len(pieces) == 1)
    inside = tok("the " + word, add_special_tokens=False)["input_ids"]
    assert list(t.ids) == inside[-len(t.ids) :]  # as it is spelled in running text


@pytest.mark.parametrize("bad", ["", "   ", "two words", "x" * (wordspace.MAX_WORD_CHARS + 1)])
def test_a_word_must_be_one_word(bad):
    with pytest.raises(ValueError, match="word"):
        wordspace.word_tokens(models.load_model("tiny-gpt").tokenizer, bad)


def test_the_space_holds_whole_word_tokens_and_the_models_rows(space):
    lm = models.load_model(space.model)
    weight = lm.model.get_input_embeddings().weight.detach().numpy()
    assert np.array_equal(space.table, weight)
    assert len(space.words) == len(space.word_ids) > 500
    for j in range(0, len(space.words), max(1, len(space.words) // 50)):
        assert wordspace.word_tokens(space.tokenizer, space.words[j]).ids == (space.word_ids[j],)
    assert np.allclose(np.linalg.norm(space.unit, axis=1), 1.0, atol=1e-5)
    vec, t = space.vector("cat")
    assert t.whole and np.array_equal(vec, weight[t.ids[0]])


def test_a_word_of_several_tokens_is_the_mean_of_their_rows():
    sp = _space("minilm")
    vec, t = sp.vector("carrots")
    assert len(t.ids) == 2 and np.allclose(vec, sp.table[list(t.ids)].mean(0))
    r = wordspace.neighbours(sp, "carrots")
    assert "2 tokens (carrot ##s)" in r.note and "mean" in r.note
    assert "carrot" not in [w for w, _ in r.top]  # its own tokens are no answer


def test_an_unknown_word_is_refused_clearly():
    sp = _space("minilm")
    with pytest.raises(ValueError, match="not in minilm's vocabulary"):
        sp.vector("🦜")


def test_the_word_map_projects_the_whole_word_tokens(space):
    r = wordspace.word_map(space, wordspace.WordMapConfig(dims=3))
    assert r.projected.coords.shape == (len(r.words), 3) and r.projected.method == "PCA"
    assert r.projected.explained_total == pytest.approx(float(r.projected.explained.sum()))
    assert len(r.words) > 100 and set(r.categories) == set(wordspace.CATEGORIES)
    p = pca(space.table[list(r.ids)], 3)
    assert np.allclose(r.projected.coords, p.coords)
    assert r.find("oslo") == r.words.index("Oslo")
    assert all(not t.whole for t in r.split)
    assert len(r.words) + len(r.split) <= len(wordspace.corpus_words())


def test_umap_is_used_only_when_installed():
    x = np.random.default_rng(0).normal(size=(30, 6))
    p = wordspace.project(x, dims=2, method="umap")
    if wordspace.umap_available():
        assert p.method == "UMAP" and p.explained is None
    else:
        assert p.method == "PCA" and "umap-learn is not installed" in p.note
    with pytest.raises(ValueError, match="method"):
        wordspace.project(x, method="tsne")
    with pytest.raises(ValueError, match="dims|dimensions"):
        wordspace.WordMapConfig(dims=4)


def test_neighbours_are_the_best_cosines_of_the_vocabulary(space):
    r = wordspace.neighbours(space, "cat", wordspace.NeighbourConfig(k=5))
    vec, t = space.vector("cat")
    sims = space.unit @ (vec / np.linalg.norm(vec))
    sims[space.word_ids == t.ids[0]] = -np.inf
    want = [space.words[j] for j in np.argsort(-sims, kind="stable")[:5]]
    assert [w for w, _ in r.top] == want and r.note == ""
    assert [c for _, c in r.top] == sorted((c for _, c in r.top), reverse=True)


# (model, a, b, c, expected, rank, rank of c alone): what these small models do, measured
ANALOGIES = [
    ("tiny-gpt", "meow", "cat", "dog", "woof", 1, 75),
    ("tiny-gpt", "cold", "hot", "big", "small", 2, 5),
    ("tiny-gpt", "Paris", "France", "Italy", "Rome", 1, 36),
    ("minilm", "Paris", "France", "Italy", "Rome", 3, 5),
    ("minilm", "cold", "hot", "big", "small", 4, 6),
]


@pytest.mark.parametrize(("name", "a", "b", "c", "expected", "rank", "rank_c"), ANALOGIES)
def test_analogies_report_the_honest_rank(name, a, b, c, expected, rank, rank_c):
    sp = _space(name)
    r = wordspace.analogy(sp, a, b, c, expected=expected, config=wordspace.NeighbourConfig(k=20))
    assert (r.rank, r.rank_of_c) == (rank, rank_c)
    assert r.arithmetic_helps == (rank < rank_c)
    assert r.found == (rank == 1)
    words = [w for w, _ in r.top]
    assert not {a, b, c} & set(words)  # the inputs are no answer
    if rank <= 20:
        assert words[rank - 1].casefold() == expected.casefold()
        assert r.cosine == pytest.approx(r.top[rank - 1][1], abs=1e-4)
    # recomputed independently: cosine of every candidate with a - b + c
    q = sum(s * sp.vector(w)[0] for s, w in ((1, a), (-1, b), (1, c)))
    e = sp.vector(expected)[0]
    assert r.cosine == pytest.approx(float(q @ e / np.linalg.norm(q) / np.linalg.norm(e)), abs=1e-4)


def test_analogy_without_an_expected_word_lists_the_top_only():
    sp = _space("tiny-gpt")
    r = wordspace.analogy(sp, "Paris", "France", "Italy", config=wordspace.NeighbourConfig(k=3))
    assert len(r.top) == 3 and r.rank is None and r.cosine is None and r.rank_of_c is None
    assert r.arithmetic_helps is None
    ex = wordspace.analogy_examples()
    assert ex["capitals"] == ("Paris", "France", "Italy", "Rome")
