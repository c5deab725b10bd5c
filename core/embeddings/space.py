"""The corpus world's words in a model's token table: a map, nearest neighbours, analogies.

:class:`EmbeddingSpace` is a model's input embedding matrix with the whole-word tokens of its
vocabulary (the answers offered); :func:`word_map` projects the corpus world's words
(:data:`CATEGORIES`, read from :mod:`core.corpus`) by PCA, or UMAP when ``umap-learn`` is
installed (:func:`project` says which was used); :func:`neighbours` and :func:`analogy` rank the
vocabulary by cosine and say honestly where an expected word lands.

>>> dict(corpus_words())["Tom"]
'names'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import corpus
from core.embeddings import nearest, pca, token_table, unit_rows
from core.knobs import check, knob

# --- the corpus world's words, as a model's vocabulary holds them --------------------------------
CATEGORIES: dict[str, tuple[str, ...]] = {
    "names": corpus.NAMES,
    "animals": corpus.ANIMALS,
    "colours": corpus.COLORS,
    "cities": corpus.CITIES,
    "countries": tuple(corpus.CAPITALS),
    "foods": corpus.FOODS,
    "objects": corpus.OBJECTS,
    "places": corpus.PLACES,
    "activities": corpus.ACTIVITIES,
    "feelings": corpus.FEELINGS,
    "sizes": corpus.SIZES,
}


def corpus_words() -> tuple[tuple[str, str], ...]:
    """Every word of the corpus world with its category, in :data:`CATEGORIES` order; a word
    in two tables ("fish": a food and an activity) keeps its first category.

    >>> dict(corpus_words())["fish"], dict(corpus_words())["Oslo"]
    ('foods', 'cities')
    """
    seen: dict[str, str] = {}
    for category, words in CATEGORIES.items():
        for w in words:
            seen.setdefault(w, category)
    return tuple(seen.items())


MAX_WORD_CHARS = 100  # longer "words" are pasted text: refused before the tokenizer runs


@dataclass(frozen=True)
class WordTokens:
    """How a tokenizer splits one word written inside a sentence (after a space).

    Attributes:
        word: the word as given.
        ids: its token ids (one for a word the vocabulary holds whole).
        pieces: the tokens as the tokenizer names them (``Ġcat``, ``##s``).
        unknown: the tokenizer has no token for (part of) it (WordPiece's ``[UNK]``).
    """

    word: str
    ids: tuple[int, ...]
    pieces: tuple[str, ...]
    unknown: bool = False

    @property
    def whole(self) -> bool:
        return len(self.ids) == 1 and not self.unknown


def word_tokens(tokenizer: Any, word: str) -> WordTokens:
    """The tokens of ``word`` as it appears in running text (after a space: GPT-2's ``Ġcat``,
    WordPiece's ``cat``), without special tokens.

    Raises:
        ValueError: an empty word, or more than one word.
    """
    w = (word or "").strip()
    if not w:
        raise ValueError("type a word")
    if len(w.split()) > 1:
        raise ValueError(f"“{w[:40]}” is several words: type one word")
    if len(w) > MAX_WORD_CHARS:
        raise ValueError(
            f"a word of {len(w):,} characters is more than one word: type at most "
            f"{MAX_WORD_CHARS} characters"
        )
    ids = tuple(int(i) for i in tokenizer(" " + w, add_special_tokens=False)["input_ids"])
    if not ids:
        raise ValueError(f"the tokenizer makes no token of “{w}”")
    unk = getattr(tokenizer, "unk_token_id", None)
    pieces = tuple(tokenizer.convert_ids_to_tokens(list(ids)))
    return WordTokens(w, ids, pieces, unk is not None and unk in ids)


@dataclass(frozen=True)
class EmbeddingSpace:
    """A model's token table and the whole-word tokens of its vocabulary (the answers offered
    for neighbours and analogies).

    Attributes:
        model: the model's name.
        table: the input embedding matrix, (V, d), float32.
        tokenizer: its tokenizer.
        word_ids: ids of the tokens that are a whole word (letters only, and the word written
            after a space tokenizes to exactly that token), (M,).
        words: those words, (M,).
        unit: their rows of ``table`` scaled to length 1, (M, d).
    """

    model: str
    table: Any
    tokenizer: Any
    word_ids: Any
    words: tuple[str, ...]
    unit: Any

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def vector(self, word: str) -> tuple[Any, WordTokens]:
        """The vector of ``word`` (d,): its token's row, or the mean of its tokens' rows.

        Raises:
            ValueError: empty, several words, or a word the vocabulary cannot spell.
        """
        t = word_tokens(self.tokenizer, word)
        if t.unknown:
            raise ValueError(
                f"“{t.word}” is not in {self.model}'s vocabulary (it becomes "
                f"{' '.join(t.pieces)}): try another word"
            )
        return self.table[list(t.ids)].mean(axis=0), t


def embedding_space(name: str, model: Any, tokenizer: Any) -> EmbeddingSpace:
    """The :class:`EmbeddingSpace` of a loaded model (build once per model: it reads the whole
    vocabulary)."""
    import numpy as np

    table = token_table(model)
    n = min(len(tokenizer), table.shape[0])
    texts = tokenizer.batch_decode([[i] for i in range(n)])
    cands = [(i, t.strip()) for i, t in enumerate(texts) if t.strip().isalpha()]
    enc = tokenizer([" " + w for _, w in cands], add_special_tokens=False)["input_ids"]
    kept = [(i, w) for (i, w), got in zip(cands, enc, strict=True) if list(got) == [i]]
    ids = np.array([i for i, _ in kept], dtype=np.int64)
    return EmbeddingSpace(
        name, table, tokenizer, ids, tuple(w for _, w in kept), unit_rows(table[ids])
    )


# --- projecting: PCA always, UMAP when umap-learn is installed ----------------------------------
METHODS = ("pca", "umap")


def umap_available() -> bool:
    """Whether ``umap-learn`` is installed (it is optional; PCA is used without it)."""
    import importlib.util

    return importlib.util.find_spec("umap") is not None


@dataclass(frozen=True)
class Projected:
    """Points drawn in 2-D or 3-D, and how.

    Attributes:
        coords: (N, dims).
        method: ``"PCA"`` or ``"UMAP"``: the one actually used.
        explained: the share of the variance each PCA axis holds, (dims,); None for UMAP.
        note: why another method than the one asked for was used, or "".
    """

    coords: Any
    method: str
    explained: Any = None
    note: str = ""

    @property
    def explained_total(self) -> float | None:
        """The share of the variance the drawn PCA axes hold together; None for UMAP."""
        return None if self.explained is None else float(sum(self.explained))


def project(points: Any, *, dims: int = 2, method: str = "pca", seed: int = 0) -> Projected:
    """Project ``points`` (N, d) to ``dims`` axes by PCA, or UMAP when asked and installed.

    Raises:
        ValueError: an unknown method, or points PCA cannot project (see :func:`pca`).

    >>> project([[0.0, 0.0], [2.0, 0.5], [4.0, 0.0]], dims=1).method
    'PCA'
    """
    import numpy as np

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x = np.asarray(points, dtype=np.float64)
    note = ""
    if method == "umap":
        if not umap_available():
            note = "umap-learn is not installed here, so the map uses PCA."
        elif x.shape[0] <= dims + 2:
            note = f"UMAP needs more than {dims + 2} points; the map uses PCA."
        else:
            import umap

            n = min(15, x.shape[0] - 1)
            reducer = umap.UMAP(n_components=dims, n_neighbors=n, random_state=seed)
            return Projected(reducer.fit_transform(x), "UMAP")
    p = pca(x, min(dims, *x.shape))
    return Projected(p.coords, "PCA", p.explained, note)


# --- the pages' questions, config in, result out -------------------------------------------------
@dataclass(frozen=True)
class WordMapConfig:
    """How to draw the corpus world's words in a model's token space.

    Args:
        dims: 2-D or 3-D.
        method: PCA (linear, its axes mean something) or UMAP (keeps neighbourhoods).
        seed: UMAP's random state (PCA has none).
    """

    dims: int = knob(2, lo=2, hi=3, step=1, label="dimensions", help="A 2-D or a 3-D map.")
    method: str = knob(
        "pca",
        choices=METHODS,
        label="projection",
        help="PCA keeps the directions of most variance; UMAP (if installed) keeps neighbours.",
    )
    seed: int = knob(0, lo=0, hi=2**31 - 1, step=1, help="UMAP's random state.")

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class WordMapResult:
    """The corpus words a model holds as one token, projected.

    Attributes:
        model: the model's name.
        words / categories / ids: one per point.
        projected: the points and the method used.
        split: the words left out because the tokenizer cuts them, with their pieces.
    """

    model: str
    words: tuple[str, ...]
    categories: tuple[str, ...]
    ids: tuple[int, ...]
    projected: Projected
    split: tuple[WordTokens, ...]

    def find(self, word: str) -> int | None:
        """The point of ``word`` (any case), or None when it is not on the map.

        >>> r = WordMapResult("m", ("Tom",), ("names",), (1,), Projected(None, "PCA"), ())
        >>> r.find(" tom "), r.find("cat")
        (0, None)
        """
        w = (word or "").strip().casefold()
        return next((i for i, x in enumerate(self.words) if x.casefold() == w), None)


def word_map(space: EmbeddingSpace, config: WordMapConfig | None = None) -> WordMapResult:
    """The corpus world's whole-word tokens in ``space``, projected to 2-D or 3-D."""
    config = config or WordMapConfig()
    words, cats, ids, split = [], [], [], []
    for w, cat in corpus_words():
        t = word_tokens(space.tokenizer, w)
        if t.whole and t.ids[0] not in ids:  # MiniLM lowercases: one point per token
            words.append(w)
            cats.append(cat)
            ids.append(t.ids[0])
        elif not t.whole:
            split.append(t)
    p = project(space.table[ids], dims=config.dims, method=config.method, seed=config.seed)
    return WordMapResult(space.model, tuple(words), tuple(cats), tuple(ids), p, tuple(split))


@dataclass(frozen=True)
class NeighbourConfig:
    """How many nearest words to list.

    Args:
        k: the number of neighbours (or analogy answers).
    """

    k: int = knob(10, lo=1, hi=50, step=1, label="neighbours", help="How many words to list.")

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class NeighbourResult:
    """The words of the vocabulary closest to one word by cosine.

    Attributes:
        word: the query, as the tokenizer sees it (``tokens``).
        top: ``(word, cosine)``, best first; the word's own tokens left out.
        note: how a word of several tokens was handled, or "".
    """

    word: str
    tokens: WordTokens
    top: tuple[tuple[str, float], ...]
    note: str = ""


def several_tokens(t: WordTokens) -> str:
    """How a word of several tokens is handled, in one sentence ("" for one token)."""
    if len(t.ids) == 1:
        return ""
    return (
        f"“{t.word}” is {len(t.ids)} tokens ({' '.join(t.pieces)}), not one: "
        "its vector is the mean of theirs."
    )


def neighbours(
    space: EmbeddingSpace, word: str, config: NeighbourConfig | None = None
) -> NeighbourResult:
    """The ``k`` whole-word tokens nearest to ``word`` by cosine (see :func:`nearest`).

    Raises:
        ValueError: see :meth:`EmbeddingSpace.vector`.
    """
    config = config or NeighbourConfig()
    vec, t = space.vector(word)
    own = [j for j, i in enumerate(space.word_ids) if i in t.ids]
    hits = nearest(space.unit, vec, k=config.k, exclude=own)
    return NeighbourResult(
        t.word, t, tuple((space.words[j], c) for j, c in hits), several_tokens(t)
    )


@dataclass(frozen=True)
class AnalogyResult:
    """``a - b + c`` in a token space, honestly scored.

    Attributes:
        a / b / c: the words (``tokens``: how each was split).
        top: the ``k`` nearest whole-word tokens to ``a - b + c`` as ``(word, cosine)``; a, b
            and c themselves are left out (as word2vec's analogy test does).
        expected: the answer the learner expects, or None.
        rank: the expected word's rank among the candidates (1 = the top answer), or None.
        cosine: the expected word's cosine with ``a - b + c``, or None.
        rank_of_c: its rank when querying with c alone: the arithmetic only helps if it beats it.
        notes: words of several tokens, averaged.
    """

    a: str
    b: str
    c: str
    tokens: tuple[WordTokens, ...]
    top: tuple[tuple[str, float], ...]
    expected: str | None
    rank: int | None
    cosine: float | None
    rank_of_c: int | None
    notes: tuple[str, ...]

    @property
    def found(self) -> bool:
        return self.rank == 1

    @property
    def arithmetic_helps(self) -> bool | None:
        """Whether a - b + c ranks the expected word higher than c alone (None: none expected)."""
        if self.rank is None or self.rank_of_c is None:
            return None
        return self.rank < self.rank_of_c


def analogy(
    space: EmbeddingSpace,
    a: str,
    b: str,
    c: str,
    *,
    expected: str | None = None,
    config: NeighbourConfig | None = None,
) -> AnalogyResult:
    """``a - b + c`` (Paris - France + Italy: Rome?) and where the expected word ranks.

    Raises:
        ValueError: a word the vocabulary cannot spell (see :meth:`EmbeddingSpace.vector`).
    """
    import numpy as np

    config = config or NeighbourConfig()
    (va, ta), (vb, tb), (vc, tc) = (space.vector(w) for w in (a, b, c))
    query = va - vb + vc  # (d,)
    own = {i for t in (ta, tb, tc) for i in t.ids}
    drop = [j for j, i in enumerate(space.word_ids) if i in own]
    hits = nearest(space.unit, query, k=config.k, exclude=drop)
    notes = tuple(n for n in (several_tokens(t) for t in (ta, tb, tc)) if n)
    rank = cos = rank_c = None
    if expected is not None and expected.strip():
        ve, te = space.vector(expected)
        keep = np.ones(len(space.words), dtype=bool)
        keep[drop] = False
        keep[[j for j, i in enumerate(space.word_ids) if i in te.ids]] = False  # itself
        cands = space.unit[keep]  # (M', d)
        e = unit_rows(ve[None])[0]

        def rank_for(q: Any) -> tuple[int, float]:
            q = unit_rows(np.asarray(q)[None])[0]
            score = float(e @ q)
            return 1 + int((cands @ q > score).sum()), round(score, 4)

        rank, cos = rank_for(query)
        rank_c = rank_for(vc)[0]
        notes += (several_tokens(te),) if len(te.ids) > 1 else ()
        expected = te.word
    return AnalogyResult(
        ta.word,
        tb.word,
        tc.word,
        (ta, tb, tc),
        tuple((space.words[j], s) for j, s in hits),
        expected,
        rank,
        cos,
        rank_c,
        notes,
    )


def analogy_examples() -> dict[str, tuple[str, str, str, str]]:
    """Analogies the corpus world knows the answer to: {label: (a, b, c, expected)}.

    >>> analogy_examples()["capitals"]
    ('Paris', 'France', 'Italy', 'Rome')
    """
    (c1, k1), (c2, k2) = list(corpus.CAPITALS.items())[:2]
    (w1, o1), (w2, o2) = list(corpus.OPPOSITES.items())[:2]
    (a1, s1), (a2, s2) = list(corpus.ANIMAL_SOUNDS.items())[:2]
    return {
        "capitals": (k1, c1, c2, k2),
        "opposites": (o1, w1, w2, o2),
        "animal sounds": (s1, a1, a2, s2),
    }
