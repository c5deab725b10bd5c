"""Sentence embeddings: the one mean-pool + L2-normalise, and the embedder the registry holds.

all-MiniLM-L6-v2 is, in sentence-transformers' terms (its ``modules.json``), Transformer ->
mean pooling -> L2 normalisation. :func:`mean_pool` is that pooling and :func:`embed` runs any
encoder through it (the registry's MiniLM, a quantized copy, the encoder under a LoRA adapter).
:class:`Embedder` is what :func:`core.models.load_embedder` builds once per name: the registry's
own encoder object (the attention page's, RAG's and quantization's MiniLM are one object in
memory) with the sentence length its ``sentence_bert_config.json`` sets.

The embedding space itself: :func:`token_table` and :func:`position_table` read the tables inside a
model, :func:`sinusoidal_positions` is the paper's fixed encoding, and :func:`pca`,
:func:`cosine_matrix` and :func:`nearest` are how the pages look at vectors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import corpus
from core.knobs import check, knob

DEFAULT_MAX_SEQ_LENGTH = 256  # sentence-transformers' MiniLM setting, when no config says


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean of the unmasked token vectors, scaled to unit length: (B, T, H), (B, T) -> (B, H).

    Computed in float32 whatever the encoder's dtype (a bf16 copy pools like the fp32 one).

    >>> import torch
    >>> h = torch.tensor([[[3.0, 0.0], [0.0, 4.0], [9.0, 9.0]]])  # (1, 3, 2)
    >>> [round(v, 6) for v in mean_pool(h, torch.tensor([[1, 1, 0]]))[0].tolist()]
    [0.6, 0.8]
    """
    import torch

    h = hidden.float()  # (B, T, H)
    m = mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
    pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)  # (B, H)
    return torch.nn.functional.normalize(pooled, p=2, dim=-1)


def embed(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int,
    batch_size: int | None = 32,
    sort_by_length: bool = False,
) -> Any:
    """Unit-length sentence embeddings of ``texts`` (N, H), float32, in the order given.

    Args:
        model: an encoder whose output has ``last_hidden_state`` (or it first).
        tokenizer: its tokenizer; texts are truncated to ``max_length`` tokens.
        max_length: longest input in tokens.
        batch_size: texts per forward pass; None: all in one.
        sort_by_length: batch texts of similar length together (less padding), then restore
            the order.

    >>> embed(None, None, [], max_length=8).shape
    torch.Size([0, 0])
    """
    import torch

    if not texts:
        return torch.zeros((0, 0))
    n = len(texts)
    step = batch_size or n
    order = sorted(range(n), key=lambda i: -len(texts[i])) if sort_by_length else list(range(n))
    outs = []
    with torch.no_grad():
        for i in range(0, n, step):
            enc = tokenizer(
                [texts[j] for j in order[i : i + step]],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            out = model(**enc)
            hidden = getattr(out, "last_hidden_state", None)
            outs.append(mean_pool(out[0] if hidden is None else hidden, enc["attention_mask"]))
    vecs = torch.cat(outs)  # (N, H) in batching order
    if not sort_by_length:
        return vecs
    result = torch.empty_like(vecs)
    result[torch.tensor(order)] = vecs
    return result


def sentence_max_length(folder: str | Path) -> int:
    """Longest input in tokens, from a sentence-transformers ``sentence_bert_config.json``.

    >>> sentence_max_length("/nonexistent")
    256
    """
    cfg = Path(folder) / "sentence_bert_config.json"
    if cfg.exists():
        data = json.loads(cfg.read_text("utf-8"))
        return int(data.get("max_seq_length", DEFAULT_MAX_SEQ_LENGTH))
    return DEFAULT_MAX_SEQ_LENGTH


@dataclass(frozen=True)
class Embedder:
    """A registry encoder used as a sentence embedder (build it with ``models.load_embedder``).

    Args:
        loaded: the registry's :class:`core.models.LoadedModel` (the very object
            ``models.load_encoder`` returns, never a copy).
        max_seq_length: longest input in tokens.
    """

    loaded: Any
    max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH

    def __post_init__(self) -> None:
        if self.max_seq_length < 1:
            raise ValueError(f"max_seq_length must be positive, got {self.max_seq_length}")

    @property
    def name(self) -> str:
        return str(self.loaded.name)

    @property
    def model(self) -> Any:
        return self.loaded.model

    @property
    def tokenizer(self) -> Any:
        return self.loaded.tokenizer

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Any:
        """Unit-length embeddings (N, H), float32; texts batched by length.

        Raises:
            ValueError: a non-positive batch size.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        return embed(
            self.model,
            self.tokenizer,
            texts,
            max_length=self.max_seq_length,
            batch_size=batch_size,
            sort_by_length=True,
        )


# --- embedding space: the tables inside a model, and how to look at them -------------------------
@dataclass(frozen=True)
class Projection:
    """Points projected onto their first principal axes (PCA by a centred SVD).

    Args:
        coords: the points on the axes, (N, k).
        components: the axes, unit rows in the original space, (k, d).
        explained: the share of the total variance each axis holds, (k,).
        mean: the centre subtracted before projecting, (d,).
    """

    coords: Any
    components: Any
    explained: Any
    mean: Any

    @property
    def method(self) -> str:
        return "PCA"


def pca(points: Any, n_components: int = 2) -> Projection:
    """Project ``points`` (N, d) onto their ``n_components`` first principal axes.

    Signs follow scikit-learn's ``PCA`` (the largest coordinate of each axis is positive), so
    the picture is the same from one run to the next.

    Raises:
        ValueError: not a 2-D table of at least two finite points, or too many components.

    >>> p = pca([[0.0, 0.0], [2.0, 0.5], [4.0, 0.0]], 1)
    >>> round(float(p.explained[0]), 3), p.coords.shape, p.components.round(3).tolist()
    (0.98, (3, 1), [[1.0, 0.0]])
    """
    import numpy as np

    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"PCA needs a table of at least two points, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the points contain NaN or infinite values")
    if not 1 <= n_components <= min(x.shape):
        raise ValueError(f"n_components must be between 1 and {min(x.shape)}, got {n_components}")
    mean = x.mean(axis=0)  # (d,)
    centred = x - mean  # (N, d)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)  # s: (r,), vt: (r, d)
    signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])  # (r,)
    vt = vt * signs[:, None]
    total = float((s**2).sum())
    explained = (s**2 / total if total > 0 else np.zeros_like(s))[:n_components]
    axes = vt[:n_components]  # (k, d)
    return Projection(centred @ axes.T, axes, explained, mean)


def unit_rows(table: Any) -> Any:
    """Each row scaled to length 1 (a zero row stays zero): (N, d) -> (N, d), float32."""
    import numpy as np

    x = np.asarray(table, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)  # (N, 1)
    return x / np.where(norms > 0, norms, 1.0)


def cosine_matrix(table: Any) -> Any:
    """Cosine similarity of every pair of rows: (N, d) -> (N, N), 1 on the diagonal.

    >>> cosine_matrix([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]).astype(float).round(3).tolist()
    [[1.0, 0.0, 0.707], [0.0, 1.0, 0.707], [0.707, 0.707, 1.0]]
    """
    u = unit_rows(table)
    return u @ u.T


def nearest(
    table: Any, query: Any, *, k: int = 10, exclude: Sequence[int] = ()
) -> tuple[tuple[int, float], ...]:
    """The ``k`` rows of ``table`` (N, d) closest to ``query`` (d,) by cosine, best first, as
    ``(row, cosine)``; rows in ``exclude`` (the query's own words) are left out.

    >>> nearest([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]], [1.0, 0.0], k=2, exclude=[0])
    ((2, 0.9939), (1, 0.0))
    """
    import numpy as np

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    sims = unit_rows(table) @ unit_rows(np.asarray(query, dtype=np.float32)[None])[0]  # (N,)
    sims = sims.astype(np.float64)
    sims[list(exclude)] = -np.inf
    order = np.argsort(-sims, kind="stable")[: min(k, len(sims) - len(set(exclude)))]
    return tuple((int(i), round(float(sims[i]), 4)) for i in order)


def token_table(model: Any) -> Any:
    """The model's input embedding matrix, one row per token id: (V, d), float32, a copy."""
    return model.get_input_embeddings().weight.detach().float().cpu().numpy().copy()


def position_table(model: Any) -> Any | None:
    """The model's learned position embeddings, one row per position: (P, d), float32, a copy;
    None for a model without a table (rotary or relative positions)."""
    import torch

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Embedding) and (
            name.endswith("wpe") or name.endswith("position_embeddings")
        ):
            return module.weight.detach().float().cpu().numpy().copy()
    return None


def sinusoidal_positions(n_positions: int, d_model: int, *, base: float = 10000.0) -> Any:
    """The fixed position encoding of "Attention Is All You Need": (n_positions, d_model) with
    ``PE[pos, 2i] = sin(pos / base^(2i/d))`` and ``PE[pos, 2i+1] = cos(pos / base^(2i/d))``.

    >>> sinusoidal_positions(2, 4).astype(float).round(4).tolist()
    [[0.0, 1.0, 0.0, 1.0], [0.8415, 0.5403, 0.01, 0.9999]]
    """
    import numpy as np

    if n_positions < 1 or d_model < 1:
        raise ValueError(
            f"need at least one position and one dimension, got {n_positions}, {d_model}"
        )
    pos = np.arange(n_positions, dtype=np.float64)[:, None]  # (P, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)[None, :]  # (1, ceil(d/2))
    angle = pos / base ** (two_i / d_model)  # (P, ceil(d/2))
    pe = np.zeros((n_positions, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return pe.astype(np.float32)


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


def _several(t: WordTokens) -> str:
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
    return NeighbourResult(t.word, t, tuple((space.words[j], c) for j, c in hits), _several(t))


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
    notes = tuple(n for n in (_several(t) for t in (ta, tb, tc)) if n)
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
        notes += (_several(te),) if len(te.ids) > 1 else ()
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


# --- positions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PositionConfig:
    """Which positions to compare.

    Args:
        n_positions: how many positions (from 0) to draw; a learned table may hold fewer.
        d_model: the width of the sinusoidal table.
    """

    n_positions: int = knob(
        64, lo=2, hi=1024, step=1, label="positions", help="Positions 0 to n-1 are drawn."
    )
    d_model: int = knob(
        128,
        lo=2,
        hi=1024,
        step=2,
        label="d_model",
        help="The sinusoidal table's width (its dimensions come in sine/cosine pairs).",
    )

    def __post_init__(self) -> None:
        check(self)


def by_distance(sims: Any) -> Any:
    """Mean of a (P, P) similarity matrix along each distance |i - j| = 1 .. P-1: (P-1,).

    >>> by_distance([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]).tolist()
    [0.5, 0.0]
    """
    import numpy as np

    s = np.asarray(sims, dtype=np.float64)
    return np.array([np.diagonal(s, k).mean() for k in range(1, s.shape[0])])


@dataclass(frozen=True)
class PositionTable:
    """One position table and how alike its positions are.

    Attributes:
        table: (P, d).
        cosine: cosine of every pair of positions, (P, P).
        by_distance: mean cosine at each distance 1 .. P-1.
        near: mean cosine of neighbouring positions (distance 1).
        far: mean cosine of positions at least P/2 apart.
    """

    table: Any
    cosine: Any
    by_distance: Any

    @property
    def near(self) -> float:
        return float(self.by_distance[0])

    @property
    def far(self) -> float:
        half = len(self.by_distance) // 2
        return float(self.by_distance[half:].mean())


def _table(table: Any) -> PositionTable:
    sims = cosine_matrix(table)
    return PositionTable(table, sims, by_distance(sims))


@dataclass(frozen=True)
class PositionResult:
    """The paper's fixed encoding beside a model's learned one, and a token at every position.

    Attributes:
        sinusoidal: the "Attention Is All You Need" table.
        learned: the model's learned table (its first positions), or None (no table).
        word / tokens: the token placed at every position.
        token_cos: cosine of the token's vector with token + position at each position, (P,).
        token_pos: cosine of token + position between every pair of positions, (P, P).
        token_norm / position_norm: the token vector's length and the mean length of a position
            vector: which one dominates the sum.
        notes: what was cut (more positions asked than the model has).
    """

    config: PositionConfig
    sinusoidal: PositionTable
    learned: PositionTable | None
    word: str
    tokens: WordTokens | None
    token_cos: Any
    token_pos: Any
    token_norm: float
    position_norm: float
    notes: tuple[str, ...]


def positions(
    space: EmbeddingSpace,
    model: Any,
    config: PositionConfig | None = None,
    *,
    word: str = "cat",
) -> PositionResult:
    """Compare the sinusoidal table with ``model``'s learned positions, and add each position to
    the vector of ``word``.

    Raises:
        ValueError: a word the vocabulary cannot spell.
    """
    import numpy as np

    config = config or PositionConfig()
    notes: list[str] = []
    sin = _table(sinusoidal_positions(config.n_positions, config.d_model))
    learned = position_table(model)
    if learned is None:
        notes.append(f"{space.model} has no learned position table.")
        return PositionResult(config, sin, None, word, None, None, None, 0.0, 0.0, tuple(notes))
    if learned.shape[0] < config.n_positions:
        notes.append(f"{space.model} has {learned.shape[0]} positions: its table stops there.")
    learned = learned[: config.n_positions]  # (P, d)
    vec, t = space.vector(word)
    summed = vec[None] + learned  # (P, d): the same token at every position
    token_cos = unit_rows(summed) @ unit_rows(vec[None])[0]  # (P,)
    norm = float(np.linalg.norm(vec))
    pos_norm = float(np.linalg.norm(learned, axis=1).mean())
    if len(t.ids) > 1:
        notes.append(_several(t))
    return PositionResult(
        config,
        sin,
        _table(learned),
        t.word,
        t,
        token_cos,
        cosine_matrix(summed),
        norm,
        pos_norm,
        tuple(notes),
    )


# --- sentences -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SentenceConfig:
    """How many sentences to embed at most.

    Args:
        max_sentences: lines beyond this many are left out (and the result says so).
    """

    max_sentences: int = knob(
        20, lo=2, hi=100, step=1, label="sentences", help="At most this many lines are embedded."
    )

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class SentenceResult:
    """Sentence embeddings, their cosine matrix and a 2-D map.

    Attributes:
        sentences: the sentences embedded, one per non-empty line.
        vectors: unit-length embeddings, (N, H).
        cosine: (N, N).
        projected: the 2-D map (PCA).
        notes: lines left out.
    """

    sentences: tuple[str, ...]
    vectors: Any
    cosine: Any
    projected: Projected
    notes: tuple[str, ...]

    def closest_pair(self) -> tuple[int, int, float]:
        """The two different sentences most alike: (i, j, cosine)."""
        import numpy as np

        s = np.array(self.cosine, dtype=np.float64)
        np.fill_diagonal(s, -np.inf)
        i, j = np.unravel_index(int(np.argmax(s)), s.shape)
        return int(min(i, j)), int(max(i, j)), round(float(s[i, j]), 4)


def sentence_lines(text: str) -> tuple[str, ...]:
    """The non-empty lines of ``text``, stripped: one sentence each.

    >>> sentence_lines(" a cat \\n\\n a dog ")
    ('a cat', 'a dog')
    """
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def sentence_map(
    embedder: Embedder, text: str, config: SentenceConfig | None = None
) -> SentenceResult:
    """Embed each line of ``text`` (what RAG's vector search does), compare and map them.

    Raises:
        ValueError: fewer than two sentences.
    """
    config = config or SentenceConfig()
    lines = sentence_lines(text)
    notes: tuple[str, ...] = ()
    if len(lines) > config.max_sentences:
        notes = (f"{len(lines)} lines: only the first {config.max_sentences} are embedded.",)
        lines = lines[: config.max_sentences]
    if len(lines) < 2:
        raise ValueError(
            f"type at least two sentences, one per line, to compare them (got {len(lines)})"
        )
    vecs = embedder.encode(list(lines)).numpy()  # (N, H)
    return SentenceResult(lines, vecs, cosine_matrix(vecs), project(vecs, dims=2), notes)
