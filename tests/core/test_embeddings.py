"""core.embeddings: one mean-pool + L2-normalise, equal to sentence-transformers for MiniLM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import embeddings as E
from core import models
from core.embeddings import (
    Embedder,
    cosine_matrix,
    embed,
    mean_pool,
    nearest,
    pca,
    position_table,
    sentence_max_length,
    sinusoidal_positions,
    token_table,
)

TEXTS = ["What is attention?", "Quantization stores weights with fewer bits.", "é 東京", "a"]


@pytest.fixture(scope="module")
def mini() -> Embedder:
    return models.load_embedder("minilm")


def test_mean_pool_averages_only_the_unmasked_tokens():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(2, 5, 3, generator=g)  # (B, T, H)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out = mean_pool(h, mask)  # (2, 3)
    expected = torch.stack([h[0, :3].mean(0), h[1].mean(0)])
    assert torch.allclose(out, torch.nn.functional.normalize(expected, dim=-1), atol=1e-6)
    h2 = h.clone()
    h2[0, 3:] = 1e6  # what padding holds does not matter
    assert torch.equal(mean_pool(h2, mask), out)
    assert torch.allclose(out.norm(dim=-1), torch.ones(2), atol=1e-6)


def test_mean_pool_works_in_float32_for_half_encoders():
    h = torch.randn(1, 4, 8).to(torch.bfloat16)
    out = mean_pool(h, torch.ones(1, 4, dtype=torch.long))
    assert out.dtype == torch.float32


def test_minilm_embeddings_equal_sentence_transformers(mini):
    from sentence_transformers import SentenceTransformer

    ref = SentenceTransformer(models.model_path("minilm"), device="cpu")
    ours = mini.encode(TEXTS).numpy()
    assert ours.shape == (len(TEXTS), 384) and mini.dimension == 384
    np.testing.assert_allclose(ours, ref.encode(TEXTS, normalize_embeddings=True), atol=1e-5)
    assert mini.max_seq_length == ref.max_seq_length == 256


@pytest.mark.parametrize(("batch_size", "sort"), [(1, False), (2, True), (None, False), (32, True)])
def test_batching_and_length_sorting_keep_the_order(mini, batch_size, sort):
    one_by_one = torch.cat(
        [embed(mini.model, mini.tokenizer, [t], max_length=64) for t in TEXTS]
    )  # (N, H)
    out = embed(
        mini.model, mini.tokenizer, TEXTS, max_length=64, batch_size=batch_size, sort_by_length=sort
    )
    assert torch.allclose(out, one_by_one, atol=1e-5)


def test_max_length_truncates(mini):
    long = "word " * 400
    a = embed(mini.model, mini.tokenizer, [long], max_length=8)
    b = embed(mini.model, mini.tokenizer, ["word " * 6], max_length=8)  # CLS + 6 + SEP
    assert torch.allclose(a, b, atol=1e-6)


def test_bad_settings_are_value_errors(mini):
    with pytest.raises(ValueError, match="batch_size"):
        mini.encode(["x"], batch_size=0)
    with pytest.raises(ValueError, match="max_seq_length"):
        Embedder(mini.loaded, 0)


def test_the_max_length_is_read_from_the_sentence_config(tmp_path):
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    assert sentence_max_length(tmp_path) == 128
    assert sentence_max_length(tmp_path / "missing") == 256


# --- embedding space -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tiny-gpt", "minilm"])
def test_token_table_rows_are_the_models_own_embeddings(name):
    lm = models.load_model(name)
    table = token_table(lm.model)
    ids = lm.tokenizer("the cat", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        rows = lm.model.get_input_embeddings()(torch.tensor(ids)).numpy()  # (T, d)
    assert table.shape == (lm.model.get_input_embeddings().num_embeddings, rows.shape[1])
    assert np.array_equal(table[ids], rows)
    table[0] += 1.0  # a copy: the cached model is never mutated
    assert not np.array_equal(token_table(lm.model)[0], table[0])


@pytest.mark.parametrize(("name", "positions"), [("tiny-gpt", 256), ("minilm", 512)])
def test_position_table_is_the_learned_position_embedding(name, positions):
    model = models.load_model(name).model
    table = position_table(model)
    assert table is not None and table.shape[0] == positions == models.context_size(model)
    assert table.shape[1] == token_table(model).shape[1]


@pytest.mark.parametrize(("n", "d"), [(1, 1), (3, 4), (50, 16), (7, 5)])
def test_sinusoidal_table_is_the_papers_formula(n, d):
    pe = sinusoidal_positions(n, d)
    assert pe.shape == (n, d)
    for pos in range(n):
        for i in range(d):
            angle = pos / 10000 ** ((i - i % 2) / d)
            want = np.sin(angle) if i % 2 == 0 else np.cos(angle)
            assert pe[pos, i] == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize(("n", "d", "k"), [(20, 5, 2), (40, 8, 3), (6, 3, 3)])
def test_pca_equals_scikit_learns(n, d, k):
    from sklearn.decomposition import PCA

    x = np.random.default_rng(n).normal(size=(n, d)) * np.arange(1, d + 1)  # (N, d)
    ours, ref = pca(x, k), PCA(n_components=k, svd_solver="full").fit(x)
    signs = np.sign((ours.components * ref.components_).sum(axis=1))  # sign conventions aside
    assert np.allclose(ours.components * signs[:, None], ref.components_, atol=1e-8)
    assert np.allclose(ours.coords * signs, ref.transform(x), atol=1e-8)
    assert np.allclose(ours.explained, ref.explained_variance_ratio_, atol=1e-10)


@pytest.mark.parametrize(
    ("points", "k", "message"),
    [
        ([[1.0, 2.0]], 1, "at least two"),
        ([[1.0], [np.nan]], 1, "NaN"),
        ([[1, 2], [3, 4]], 3, "n_c"),
    ],
)
def test_pca_refuses_what_it_cannot_project(points, k, message):
    with pytest.raises(ValueError, match=message):
        pca(points, k)


def test_cosine_matrix_and_nearest_agree(mini):
    v = mini.encode(["a cat", "a kitten", "the stock market", "a dog"])  # (4, H)
    sims = cosine_matrix(v)
    assert np.allclose(np.diag(sims), 1.0, atol=1e-5) and np.allclose(sims, sims.T, atol=1e-6)
    best = nearest(v, v[0], k=3, exclude=[0])
    assert [i for i, _ in best] == sorted(range(1, 4), key=lambda j: -sims[0, j])
    assert all(c == pytest.approx(float(sims[0, i]), abs=1e-4) for i, c in best)
    assert nearest(v, v[0], k=1)[0][0] == 0  # without exclusion a point is its own nearest


# --- the corpus world in a model's space ---------------------------------------------------------
@pytest.fixture(scope="module", params=["tiny-gpt", "minilm"])
def space(request) -> E.EmbeddingSpace:
    lm = models.load_model(request.param)
    return E.embedding_space(request.param, lm.model, lm.tokenizer)


def test_categories_are_the_corpus_tables():
    from core import corpus

    assert E.CATEGORIES["animals"] is corpus.ANIMALS and E.CATEGORIES["cities"] is corpus.CITIES
    assert set(E.CATEGORIES["countries"]) == set(corpus.CAPITALS)
    words = dict(E.corpus_words())
    assert len(words) == len(E.corpus_words())  # one category per word
    assert words["fish"] == "foods" and "fish" in corpus.ACTIVITIES  # the first table wins
    assert {w for ws in E.CATEGORIES.values() for w in ws} == set(words)


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
    t = E.word_tokens(tok, word)
    assert t.pieces == pieces and t.whole == (len(pieces) == 1)
    inside = tok("the " + word, add_special_tokens=False)["input_ids"]
    assert list(t.ids) == inside[-len(t.ids) :]  # as it is spelled in running text


@pytest.mark.parametrize("bad", ["", "   ", "two words", "x" * (E.MAX_WORD_CHARS + 1)])
def test_a_word_must_be_one_word(bad):
    with pytest.raises(ValueError, match="word"):
        E.word_tokens(models.load_model("tiny-gpt").tokenizer, bad)


def test_the_space_holds_whole_word_tokens_and_the_models_rows(space):
    lm = models.load_model(space.model)
    weight = lm.model.get_input_embeddings().weight.detach().numpy()
    assert np.array_equal(space.table, weight)
    assert len(space.words) == len(space.word_ids) > 500
    for j in range(0, len(space.words), max(1, len(space.words) // 50)):
        assert E.word_tokens(space.tokenizer, space.words[j]).ids == (space.word_ids[j],)
    assert np.allclose(np.linalg.norm(space.unit, axis=1), 1.0, atol=1e-5)
    vec, t = space.vector("cat")
    assert t.whole and np.array_equal(vec, weight[t.ids[0]])


def test_a_word_of_several_tokens_is_the_mean_of_their_rows():
    lm = models.load_model("minilm")
    sp = E.embedding_space("minilm", lm.model, lm.tokenizer)
    vec, t = sp.vector("carrots")
    assert len(t.ids) == 2 and np.allclose(vec, sp.table[list(t.ids)].mean(0))
    r = E.neighbours(sp, "carrots")
    assert "2 tokens (carrot ##s)" in r.note and "mean" in r.note
    assert "carrot" not in [w for w, _ in r.top]  # its own tokens are no answer


def test_an_unknown_word_is_refused_clearly():
    lm = models.load_model("minilm")
    sp = E.embedding_space("minilm", lm.model, lm.tokenizer)
    with pytest.raises(ValueError, match="not in minilm's vocabulary"):
        sp.vector("🦜")


def test_the_word_map_projects_the_whole_word_tokens(space):
    r = E.word_map(space, E.WordMapConfig(dims=3))
    assert r.projected.coords.shape == (len(r.words), 3) and r.projected.method == "PCA"
    assert len(r.words) > 100 and set(r.categories) == set(E.CATEGORIES)
    p = pca(space.table[list(r.ids)], 3)
    assert np.allclose(r.projected.coords, p.coords)
    assert r.find("oslo") == r.words.index("Oslo")
    assert all(not t.whole for t in r.split)
    assert len(r.words) + len(r.split) <= len(E.corpus_words())


def test_umap_is_used_only_when_installed():
    x = np.random.default_rng(0).normal(size=(30, 6))
    p = E.project(x, dims=2, method="umap")
    if E.umap_available():
        assert p.method == "UMAP" and p.explained is None
    else:
        assert p.method == "PCA" and "umap-learn is not installed" in p.note
    with pytest.raises(ValueError, match="method"):
        E.project(x, method="tsne")
    with pytest.raises(ValueError, match="dims|dimensions"):
        E.WordMapConfig(dims=4)


def test_neighbours_are_the_best_cosines_of_the_vocabulary(space):
    r = E.neighbours(space, "cat", E.NeighbourConfig(k=5))
    vec, t = space.vector("cat")
    sims = space.unit @ (vec / np.linalg.norm(vec))
    sims[space.word_ids == t.ids[0]] = -np.inf
    want = [space.words[j] for j in np.argsort(-sims, kind="stable")[:5]]
    assert [w for w, _ in r.top] == want and r.note == ""
    assert [c for _, c in r.top] == sorted((c for _, c in r.top), reverse=True)


# (model, a, b, c, expected, rank, rank of c alone): what these small models do, measured
ANALOGIES = [
    ("tiny-gpt", "meow", "cat", "dog", "woof", 1, 94),
    ("tiny-gpt", "cold", "hot", "big", "small", 2, 5),
    ("tiny-gpt", "Paris", "France", "Italy", "Rome", 11, 468),
    ("minilm", "Paris", "France", "Italy", "Rome", 3, 5),
    ("minilm", "cold", "hot", "big", "small", 4, 6),
]


@pytest.mark.parametrize(("name", "a", "b", "c", "expected", "rank", "rank_c"), ANALOGIES)
def test_analogies_report_the_honest_rank(name, a, b, c, expected, rank, rank_c):
    lm = models.load_model(name)
    sp = E.embedding_space(name, lm.model, lm.tokenizer)
    r = E.analogy(sp, a, b, c, expected=expected, config=E.NeighbourConfig(k=20))
    assert (r.rank, r.rank_of_c) == (rank, rank_c)
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
    lm = models.load_model("tiny-gpt")
    sp = E.embedding_space("tiny-gpt", lm.model, lm.tokenizer)
    r = E.analogy(sp, "Paris", "France", "Italy", config=E.NeighbourConfig(k=3))
    assert len(r.top) == 3 and r.rank is None and r.cosine is None and r.rank_of_c is None
    ex = E.analogy_examples()
    assert ex["capitals"] == ("Paris", "France", "Italy", "Rome")


# --- positions -----------------------------------------------------------------------------------
def test_learned_positions_nearby_look_alike_and_adding_position_moves_a_token():
    lm = models.load_model("tiny-gpt")
    sp = E.embedding_space("tiny-gpt", lm.model, lm.tokenizer)
    r = E.positions(sp, lm.model, E.PositionConfig(n_positions=300, d_model=64), word="cat")
    assert r.learned is not None and r.learned.table.shape == (256, 192)  # cut at its 256
    assert any("256 positions" in n for n in r.notes)
    assert r.sinusoidal.table.shape == (300, 64)
    assert r.learned.near > r.learned.far + 0.1  # measured: neighbours alike, far ones less
    assert r.sinusoidal.near > r.sinusoidal.far
    wpe = lm.model.transformer.wpe.weight.detach().numpy()
    assert np.allclose(r.learned.table, wpe)
    assert np.allclose(r.learned.cosine, cosine_matrix(wpe), atol=1e-6)
    vec = sp.vector("cat")[0]
    summed = vec + wpe  # (P, d)
    want = summed @ vec / np.linalg.norm(summed, axis=1) / np.linalg.norm(vec)
    assert np.allclose(r.token_cos, want, atol=1e-5) and (r.token_cos < 0.999).all()
    assert r.token_pos.shape == (256, 256)
    d = E.by_distance(r.learned.cosine)
    assert d[0] == pytest.approx(np.diagonal(r.learned.cosine, 1).mean())


def test_positions_of_a_model_without_a_table():
    lm = models.load_model("tiny-gpt")
    sp = E.embedding_space("tiny-gpt", lm.model, lm.tokenizer)

    class NoTable(torch.nn.Module):
        pass

    r = E.positions(sp, NoTable())
    assert r.learned is None and "no learned position table" in r.notes[0]


@pytest.mark.parametrize(("n", "d"), [(64, 128), (9, 6)])
def test_sinusoidal_positions_equal_a_loop_over_the_paper(n, d):
    import math

    pe = sinusoidal_positions(n, d)
    for pos in range(n):
        for i in range(d // 2):
            w = 1 / 10000 ** (2 * i / d)
            assert pe[pos, 2 * i] == pytest.approx(math.sin(pos * w), abs=1e-6)
            assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(pos * w), abs=1e-6)


# --- sentences -----------------------------------------------------------------------------------
def test_sentence_map_is_the_rag_embedder(mini):
    text = "A cat sat on the mat.\n\n  A kitten slept on the rug.\nStocks fell sharply today.\n"
    r = E.sentence_map(mini, text)
    assert r.sentences == (
        "A cat sat on the mat.",
        "A kitten slept on the rug.",
        "Stocks fell sharply today.",
    )
    assert np.allclose(r.vectors, mini.encode(list(r.sentences)).numpy(), atol=1e-6)
    assert r.cosine.shape == (3, 3) and r.projected.coords.shape == (3, 2)
    assert r.closest_pair()[:2] == (0, 1)


@pytest.mark.parametrize("text", ["", "only one line", "\n  \n"])
def test_fewer_than_two_sentences_are_refused(mini, text):
    with pytest.raises(ValueError, match="at least two sentences"):
        E.sentence_map(mini, text)


def test_too_many_sentences_are_cut_with_a_note(mini):
    r = E.sentence_map(mini, "\n".join(f"line {i}" for i in range(5)), E.SentenceConfig(3))
    assert len(r.sentences) == 3 and "only the first 3" in r.notes[0]
