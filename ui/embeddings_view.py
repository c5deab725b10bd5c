"""Drawing for the Embeddings page: cached core calls, one panel per tab, plotly figures.

Every number comes from :mod:`core.embeddings` and :mod:`core.forward`; this module picks the
widgets, caches the calls (``st.cache_resource``: results are shared read-only by every session)
and draws them.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import forward as fw
from core import generation as gen
from core import models
from core.embeddings import positions, sentences, space
from core.knobs import spec
from core.settings import get_settings
from core.text import clean_text
from ui import knobs
from ui.loaders import get_model
from ui.render import input_notes, md_code
from ui.urlstate import left_out_caption, stable_selectbox

VIEWS = ["Token map", "Neighbours & analogies", "Sentences", "Positions", "Forward pass"]
DEFAULT_SENTENCES = "\n".join(
    [
        "The cat sat on the mat.",
        "A kitten slept on the rug.",
        "The dog chased the ball in the park.",
        "Paris is the capital of France.",
        "Rome is the capital of Italy.",
        "Quantization stores weights with fewer bits.",
    ]
)
DEFAULT_WALK = "Once upon a time, there was a little cat named"
ANALOGIES = space.analogy_examples()
PALETTE = (
    "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #393b79"
).split()


def defaults() -> dict:
    """{widget key: default or knob} for ``url_state``: the engine's knobs bound the link."""
    a, b, c, expected = ANALOGIES["capitals"]
    return {
        "embeddings_view": VIEWS[0],
        "embeddings_model": "tiny-gpt",
        "embeddings_dims": spec(space.WordMapConfig, "dims"),
        "embeddings_method": spec(space.WordMapConfig, "method"),
        "embeddings_search": "",
        "embeddings_word": "cat",
        "embeddings_k": spec(space.NeighbourConfig, "k"),
        "embeddings_a": a,
        "embeddings_b": b,
        "embeddings_c": c,
        "embeddings_expected": expected,
        "embeddings_sentences": DEFAULT_SENTENCES,
        "embeddings_positions": spec(positions.PositionConfig, "n_positions"),
        "embeddings_d_model": spec(positions.PositionConfig, "d_model"),
        "embeddings_pos_word": "cat",
        "embeddings_text": DEFAULT_WALK,
        "embeddings_top_k": spec(fw.WalkConfig, "top_k"),
        "embeddings_step": 0,
    }


def model_options() -> list[str]:
    """Models with a token table: the catalog's causal LMs and encoders, embedded first."""
    return [s.name for s in models.list_models() if s.kind in ("causal-lm", "encoder")]


def model_label(name: str) -> str:
    spec_ = models.MODELS.get(name)
    if spec_ is None:
        return name
    role = "decoder" if spec_.kind == "causal-lm" else "encoder"
    return f"{spec_.label}, {role}"


def _kind(name: str) -> models.Kind:
    return models.resolve(name).kind


def model_ready(name: str) -> bool:
    """Load the model (a hub model is downloaded first, with a progress bar, when online); when
    it cannot load, say why in place and return False: the page's other tabs stay."""
    kind = _kind(name)
    try:
        if not models.resolve(name, kind).embedded and models.is_online():
            get_model(name, kind)
        models.load_model(name)
    except models.ModelUnavailableError as e:
        st.error(str(e), icon=":material/cloud_off:")
        return False
    return True


def _clean(key: str) -> str:
    """The widget's text, cleaned (lone surrogates, control characters, huge text), notes shown."""
    c = clean_text(
        st.session_state.get(key), max_chars=get_settings().max_chars, strip_controls=True
    )
    input_notes(c)
    return c.text


# --- cached core calls ---------------------------------------------------------------------------
@st.cache_resource(max_entries=6, show_spinner="Reading the model's vocabulary...")
def cached_space(name: str) -> space.EmbeddingSpace:
    lm = models.load_model(name)
    return space.embedding_space(name, lm.model, lm.tokenizer)


@st.cache_resource(max_entries=24, show_spinner="Projecting the words...")
def cached_map(name: str, config: space.WordMapConfig) -> space.WordMapResult:
    return space.word_map(cached_space(name), config)


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_neighbours(name: str, word: str, config: space.NeighbourConfig) -> space.NeighbourResult:
    return space.neighbours(cached_space(name), word, config)


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_analogy(
    name: str, words: tuple[str, str, str], expected: str, config: space.NeighbourConfig
) -> space.AnalogyResult:
    return space.analogy(cached_space(name), *words, expected=expected or None, config=config)


@st.cache_resource(max_entries=16, show_spinner="Embedding the sentences with MiniLM...")
def cached_sentences(text: str) -> sentences.SentenceResult:
    return sentences.sentence_map(models.load_embedder("minilm"), text)


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_positions(config: positions.PositionConfig, word: str) -> positions.PositionResult:
    return positions.positions(
        cached_space("tiny-gpt"), models.load_causal_lm("tiny-gpt").model, config, word=word
    )


@st.cache_resource(max_entries=16, show_spinner="Running tiny-gpt with hooks...")
def cached_walk(ids: tuple[int, ...], note: str, config: fw.WalkConfig) -> fw.WalkResult:
    lm = models.load_causal_lm("tiny-gpt")
    return fw.walk(lm.model, lm.tokenizer, ids, config, note=note)


# --- figures -------------------------------------------------------------------------------------
def _fig(data: list[dict], layout: dict) -> go.Figure:
    base = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}}
    return go.Figure({"data": data, "layout": {**base, **layout}}, _validate=False)


def _draw(fig: go.Figure, name: str) -> None:
    config = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name}}
    st.plotly_chart(fig, config=config, width="stretch")


def map_figure(r: space.WordMapResult, found: int | None) -> go.Figure:
    """The words as points, one colour (and legend entry) per category; ``found`` ringed."""
    xyz = np.asarray(r.projected.coords)
    three = xyz.shape[1] == 3
    cats = list(space.CATEGORIES)
    data = []
    for ci, cat in enumerate(cats):
        idx = [i for i, c in enumerate(r.categories) if c == cat]
        if not idx:
            continue
        trace = {
            "type": "scatter3d" if three else "scatter",
            "mode": "markers+text",
            "name": cat,
            "x": xyz[idx, 0],
            "y": xyz[idx, 1],
            "text": [r.words[i] for i in idx],
            "textposition": "top center",
            "textfont": {"size": 10, "color": PALETTE[ci % len(PALETTE)]},
            "marker": {"size": 5 if three else 8, "color": PALETTE[ci % len(PALETTE)]},
            "hovertemplate": f"<b>%{{text}}</b> ({cat})<extra></extra>",
        }
        if three:
            trace["z"] = xyz[idx, 2]
        data.append(trace)
    if found is not None:
        ring = {
            "type": "scatter3d" if three else "scatter",
            "mode": "markers",
            "name": f"“{r.words[found]}”",
            "x": xyz[[found], 0],
            "y": xyz[[found], 1],
            "marker": {
                "size": 14 if three else 26,
                "color": "rgba(0,0,0,0)",
                "line": {"color": "#d62728", "width": 3},
            },
            "hoverinfo": "skip",
        }
        if three:
            ring["z"] = xyz[[found], 2]
        data.append(ring)
    p = r.projected
    axes = [
        f"{p.method} {i + 1}" + ("" if p.explained is None else f" ({p.explained[i]:.0%})")
        for i in range(xyz.shape[1])
    ]
    layout: dict = {"height": 640, "legend": {"title": {"text": "category"}}}
    if three:
        layout["scene"] = {
            f"{a}axis": {"title": {"text": t}} for a, t in zip("xyz", axes, strict=True)
        }
    else:
        layout["xaxis"] = {"title": {"text": axes[0]}, "zeroline": False}
        layout["yaxis"] = {"title": {"text": axes[1]}, "zeroline": False}
    return _fig(data, layout)


def heatmap(
    z,
    *,
    x=None,
    y=None,
    title: str,
    zmid=None,
    height: int = 420,
    hover: str = "",
    axes: tuple[str, str] = ("", ""),
):
    """Values (``zmid=0``: diverging around 0) or similarities (sequential, auto range)."""
    trace = {
        "type": "heatmap",
        "z": np.ascontiguousarray(z, dtype=np.float32),
        "colorscale": "RdBu" if zmid is not None else "Viridis",
        "hovertemplate": hover or "x %{x}, y %{y}: %{z:.3f}<extra></extra>",
        "colorbar": {"thickness": 12},
    }
    if zmid is not None:
        trace.update(zmid=zmid, reversescale=True)
    if x is not None:
        trace["x"] = x
    if y is not None:
        trace["y"] = y
    layout = {
        "height": height,
        "title": {"text": title},
        "xaxis": {"title": {"text": axes[0]}},
        "yaxis": {"autorange": "reversed", "title": {"text": axes[1]}},
    }
    return _fig([trace], layout)


def lines(series: dict[str, np.ndarray], *, title: str, x_title: str, y_title: str, x0: int = 0):
    data = [
        {"type": "scatter", "mode": "lines", "name": n, "x": np.arange(x0, x0 + len(v)), "y": v}
        for n, v in series.items()
    ]
    layout = {
        "height": 320,
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}},
    }
    return _fig(data, layout)


# --- panels --------------------------------------------------------------------------------------
def map_panel(name: str) -> None:
    """The corpus world's words in the model's token space, coloured by category, searchable."""
    c_dims, c_method, c_search = st.columns([1, 1, 2])
    k = spec(space.WordMapConfig, "dims")
    c_dims.radio(
        "Dimensions",
        list(range(int(k.lo or 2), int(k.hi or 3) + 1)),
        key="embeddings_dims",
        horizontal=True,
        format_func=lambda d: f"{d}-D",
        help=k.help,
    )
    methods = ("PCA", "UMAP" if space.umap_available() else "UMAP (not installed: PCA)")
    knobs.select(
        space.WordMapConfig,
        "method",
        key="embeddings_method",
        label="Projection",
        where=c_method,
        format_func=lambda m: dict(zip(space.METHODS, methods, strict=True))[m],
    )
    c_search.text_input("Find a word on the map", key="embeddings_search", placeholder="e.g. Oslo")
    cfg = space.WordMapConfig(
        dims=int(st.session_state["embeddings_dims"]), method=st.session_state["embeddings_method"]
    )
    r = cached_map(name, cfg)
    if r.projected.note:
        st.info(r.projected.note, icon=":material/info:")
    found = None
    query = _clean("embeddings_search").strip()
    if query:
        found = r.find(query)
        if found is None:
            why = "it is not one of the corpus world's words"
            try:
                t = space.word_tokens(cached_space(name).tokenizer, query)
                if not t.whole:
                    why = f"{name} cuts it into {len(t.ids)} tokens ({' '.join(t.pieces)})"
            except ValueError as e:
                why = str(e)
            st.warning(
                f"{md_code(query)} is not on the map: {why}. The *Neighbours* tab finds any word.",
                icon=":material/search_off:",
            )
        else:
            st.success(f"**{r.words[found]}** ({r.categories[found]}) is ringed in red.")
    _draw(map_figure(r, found), f"embeddings_{name}_map")
    explained = (
        ""
        if r.projected.explained is None
        else (
            f" The axes hold {r.projected.explained_total:.0%} of the variance of these "
            f"{len(r.words)} vectors of {cached_space(name).dim} numbers: the map is their "
            "shadow."
        )
    )
    st.caption(
        f"{len(r.words)} words of the corpus world that {name}'s vocabulary holds as one token, "
        f"projected by **{r.projected.method}**.{explained}"
    )
    if r.split:
        st.caption(
            "Left out (several tokens each): "
            + ", ".join(f"{t.word} ({' '.join(t.pieces)})" for t in r.split)
        )


def _top_table(top, *, highlight: str | None = None) -> None:
    import pandas as pd

    df = pd.DataFrame(
        {
            "rank": range(1, len(top) + 1),
            "word": [w for w, _ in top],
            "cosine": [c for _, c in top],
        }
    )
    styled = df.style.apply(
        lambda row: (
            [
                "background-color: #fde2e1"
                if highlight and row["word"].casefold() == highlight.casefold()
                else ""
            ]
            * len(row)
        ),
        axis=1,
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={
            "cosine": st.column_config.ProgressColumn(format="%.3f", min_value=-1, max_value=1)
        },
    )


def neighbours_panel(name: str) -> None:
    """Nearest words of any word, and a - b + c with the expected word's honest rank."""
    knobs.slider(space.NeighbourConfig, "k", key="embeddings_k", label="Words listed")
    cfg = space.NeighbourConfig(k=int(st.session_state["embeddings_k"]))
    left, right = st.columns(2)
    with left:
        st.markdown("**Nearest neighbours** (cosine of token vectors)")
        st.text_input("Word", key="embeddings_word")
        word = _clean("embeddings_word")
        try:
            n = cached_neighbours(name, word, cfg)
        except ValueError as e:
            st.info(f"{e}.", icon=":material/edit:")
        else:
            if n.note:
                st.warning(n.note, icon=":material/call_split:")
            _top_table(n.top)
    with right:
        st.markdown("**Analogy**: a − b + c ≈ ?")
        st.selectbox(
            "Example",
            list(ANALOGIES),
            index=None,
            key="embeddings_example",
            placeholder="Load an example...",
            on_change=_use_analogy,
        )
        cols = st.columns(4)
        for col, (key, label) in zip(
            cols,
            [("a", "a"), ("b", "− b"), ("c", "+ c"), ("expected", "expected")],
            strict=True,
        ):
            col.text_input(
                label,
                key=f"embeddings_{key}",
                help="Optional: the answer you expect; the page says where it really ranks."
                if key == "expected"
                else None,
            )
        words = tuple(_clean(f"embeddings_{k}") for k in "abc")
        expected = _clean("embeddings_expected").strip()
        try:
            r = cached_analogy(name, words, expected, cfg)  # type: ignore[arg-type]
        except ValueError as e:
            st.info(f"{e}.", icon=":material/edit:")
            return
        for note in r.notes:
            st.warning(note, icon=":material/call_split:")
        if r.expected is not None:
            c1, c2, c3 = st.columns(3)
            c1.metric(f"rank of “{r.expected}”", f"{r.rank:,}", help="1 = the top answer.")
            c2.metric("its cosine", f"{r.cosine:.3f}")
            c3.metric(
                "rank from c alone",
                f"{r.rank_of_c:,}",
                help="Where the expected word ranks next to c alone, without the arithmetic.",
            )
            verdict = (
                "found: it is the top answer"
                if r.found
                else f"not found: {r.top[0][0]} comes first"
                if r.top
                else "no answer"
            )
            helped = "helps" if r.arithmetic_helps else "does not help"
            st.caption(
                f"{r.a} − {r.b} + {r.c} on {name}: {verdict}; the arithmetic {helped} "
                f"(rank {r.rank:,} against {r.rank_of_c:,} from {r.c} alone). "
                "a, b and c themselves are left out of the answers."
            )
        _top_table(r.top, highlight=r.expected)


def _use_analogy() -> None:
    picked = st.session_state.get("embeddings_example")
    if picked:
        for key, value in zip(("a", "b", "c", "expected"), ANALOGIES[picked], strict=True):
            st.session_state[f"embeddings_{key}"] = value
        st.session_state["embeddings_example"] = None


def sentences_panel() -> None:
    """MiniLM sentence embeddings: the cosine matrix and a 2-D map."""
    st.text_area("Sentences, one per line", key="embeddings_sentences", height=170)
    left_out_caption("embeddings_sentences", "list of sentences")
    text = _clean("embeddings_sentences")
    try:
        r = cached_sentences(text)
    except ValueError as e:
        st.info(f"{str(e).capitalize()}.", icon=":material/edit:")
        return
    for note in r.notes:
        st.warning(note, icon=":material/content_cut:")
    i, j, c = r.closest_pair()
    st.caption(
        f"MiniLM turns each sentence into one unit vector of {r.vectors.shape[1]} numbers "
        f"(mean of its token vectors). Most alike: “{r.sentences[i]}” and “{r.sentences[j]}” "
        f"(cosine {c:.3f})."
    )
    short = [s if len(s) <= 24 else s[:23] + "…" for s in r.sentences]
    numbers = [str(k + 1) for k in range(len(short))]
    labels = [f"{k}. {s}" for k, s in zip(numbers, short, strict=True)]
    left, right = st.columns(2)
    with left:
        fig = heatmap(
            r.cosine,
            x=numbers,
            y=labels,
            title="cosine similarity (1 = same direction)",
            height=460,
            hover="%{y} and sentence %{x}: cosine %{z:.3f}<extra></extra>",
            axes=("sentence", ""),
        )
        cells = [[f"{v:.2f}" for v in row] for row in np.asarray(r.cosine, dtype=float)]
        fig.update_traces(text=cells, texttemplate="%{text}" if len(cells) <= 12 else "")
        _draw(fig, "embeddings_sentence_cosine")
    with right:
        xy = np.asarray(r.projected.coords)
        trace = {
            "type": "scatter",
            "mode": "markers+text",
            "x": xy[:, 0],
            "y": xy[:, 1] if xy.shape[1] > 1 else np.zeros(len(xy)),
            "text": [str(k + 1) for k in range(len(xy))],
            "hovertext": list(r.sentences),
            "hovertemplate": "%{hovertext}<extra></extra>",
            "textposition": "top center",
            "marker": {"size": 11},
        }
        layout = {"height": 460, "title": {"text": "2-D map (PCA): numbers are the sentences"}}
        _draw(_fig([trace], layout), "embeddings_map")
    st.page_link(
        "pages/rag.py",
        label="This is what the RAG chat's vector search uses: MiniLM vectors compared by cosine.",
        icon=":material/library_books:",
    )


PE_LATEX = (
    r"PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d_{model}}}\right) \qquad "
    r"PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d_{model}}}\right)"
)


def positions_panel() -> None:
    """The paper's sinusoidal table beside tiny-gpt's learned one, and a token at each position."""
    c1, c2, c3 = st.columns(3)
    knobs.slider(
        positions.PositionConfig,
        "n_positions",
        key="embeddings_positions",
        where=c1,
        label="Positions",
        max_value=256,
    )
    knobs.slider(
        positions.PositionConfig,
        "d_model",
        key="embeddings_d_model",
        where=c2,
        label="d_model (sinusoidal)",
        max_value=512,
    )
    c3.text_input("Token placed at every position", key="embeddings_pos_word")
    cfg = positions.PositionConfig(
        n_positions=int(st.session_state["embeddings_positions"]),
        d_model=int(st.session_state["embeddings_d_model"]),
    )
    word = _clean("embeddings_pos_word").strip()
    try:
        r = cached_positions(cfg, word)
    except ValueError as e:
        st.info(f"{e}.", icon=":material/edit:")
        return
    for note in r.notes:
        st.warning(note, icon=":material/info:")
    st.latex(PE_LATEX)
    left, right = st.columns(2)
    with left:
        _draw(
            heatmap(
                r.sinusoidal.table,
                title="sinusoidal (fixed): position × dimension",
                zmid=0,
                hover="position %{y}, dim %{x}: %{z:.3f}<extra></extra>",
                axes=("dimension", "position"),
            ),
            "embeddings_sinusoidal",
        )
    if r.learned is None:
        return
    with right:
        _draw(
            heatmap(
                r.learned.table,
                title="tiny-gpt's learned wpe: position × dimension",
                zmid=0,
                hover="position %{y}, dim %{x}: %{z:.3f}<extra></extra>",
                axes=("dimension", "position"),
            ),
            "embeddings_learned",
        )
    left, right = st.columns(2)
    with left:
        _draw(
            heatmap(
                r.learned.cosine,
                title="learned: cosine of positions i and j",
                hover="positions %{y} and %{x}: %{z:.3f}<extra></extra>",
                axes=("position j", "position i"),
            ),
            "embeddings_learned_cosine",
        )
    with right:
        fig = lines(
            {"learned (tiny-gpt)": r.learned.by_distance, "sinusoidal": r.sinusoidal.by_distance},
            title="mean cosine by distance |i − j|",
            x_title="distance",
            y_title="mean cosine",
            x0=1,
        )
        _draw(fig, "embeddings_by_distance")
    st.caption(
        f"Measured: neighbouring positions have a mean cosine of {r.learned.near:.2f} in "
        f"tiny-gpt's table (sinusoidal: {r.sinusoidal.near:.2f}); positions at least "
        f"{len(r.learned.by_distance) // 2 + 1} apart, {r.learned.far:.2f} "
        f"(sinusoidal: {r.sinusoidal.far:.2f}). Nobody told tiny-gpt to make nearby positions "
        "alike: training did."
    )
    st.markdown(f"**Adding position to a token**: “{r.word}” + position p")
    left, right = st.columns(2)
    with left:
        fig = lines(
            {"cos(token, token + position)": r.token_cos},
            title=f"how much of “{r.word}” survives at each position",
            x_title="position",
            y_title="cosine",
        )
        _draw(fig, "embeddings_token_pos")
    with right:
        _draw(
            heatmap(
                r.token_pos,
                title=f"“{r.word}” at position i vs at j: cosine",
                hover="positions %{y} and %{x}: %{z:.3f}<extra></extra>",
                axes=("position j", "position i"),
            ),
            "embeddings_token_pos_cos",
        )
    st.caption(
        f"The token vector is {r.token_norm:.2f} long, a position vector {r.position_norm:.2f} "
        "on average: the sum is the same word, nudged differently at each position, which is "
        "all that tells attention where a token stands."
    )


def walk_panel() -> None:
    """One forward pass of tiny-gpt on the learner's text, every step read with hooks."""
    st.text_area("Text for tiny-gpt", key="embeddings_text", height=80)
    left_out_caption("embeddings_text")
    lm = get_model("tiny-gpt")
    text = _clean("embeddings_text")
    try:
        prompt = gen.encode_prompt(lm.tokenizer, text, max_tokens=models.context_size(lm.model))
    except ValueError as e:
        st.info(f"{e} For example: “{DEFAULT_WALK}”.", icon=":material/edit:")
        return
    if prompt.note:
        st.warning(prompt.note, icon=":material/content_cut:")
    knobs.slider(fw.WalkConfig, "top_k", key="embeddings_top_k", label="Next tokens listed")
    r = cached_walk(
        prompt.ids, prompt.note, fw.WalkConfig(top_k=int(st.session_state.embeddings_top_k))
    )
    import pandas as pd

    st.caption(
        f"{len(r.ids)} tokens → {r.n_layers} blocks of width {r.d_model} → {r.vocab_size:,} "
        "logits per token. Each row is a tensor tiny-gpt computed just now (a forward hook "
        "read it); the small chart is the length of each token's vector, token by token."
    )
    df = pd.DataFrame(
        {
            "step": [s.title for s in r.steps],
            "shape": [" × ".join(map(str, s.shape)) for s in r.steps],
            "computed as": [s.formula for s in r.steps],
            "read from": [s.module for s in r.steps],
            "mean length": [s.mean_norm for s in r.steps],
            "vector length per token": [s.norms.round(3).tolist() for s in r.steps],
        }
    )
    st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        height=35 * (len(df) + 1) + 3,
        column_config={
            "mean length": st.column_config.NumberColumn(format="%.2f"),
            "vector length per token": st.column_config.LineChartColumn(width="medium"),
        },
    )
    i = stable_selectbox(
        "Step to look at",
        list(range(len(r.steps))),
        key="embeddings_step",
        format_func=lambda k: (
            f"{k + 1}. {r.steps[k].title} ({' × '.join(map(str, r.steps[k].shape))})"
        ),
    )
    s = r.steps[i]
    ylab = [f"{k}: {t}" for k, t in enumerate(r.tokens)]
    fig = heatmap(
        s.values,
        y=ylab,
        title=f"{s.title}: {s.formula}",
        zmid=0,
        height=max(300, min(900, 22 * len(ylab) + 120)),
        hover="token %{y}<br>dimension %{x}: %{z:.3f}<extra></extra>",
    )
    fig.update_xaxes(title_text="dimension" if s.name != fw.LOGITS else "token id")
    _draw(fig, f"embeddings_walk_{i}")
    st.markdown(
        f"**Softmax of the last token's logits**: what tiny-gpt predicts after “{r.tokens[-1]}”"
    )
    bars = {
        "type": "bar",
        "x": [p for _, _, p in r.top][::-1],
        "y": [repr(t) for _, t, _ in r.top][::-1],
        "orientation": "h",
        "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
    }
    _draw(
        _fig([bars], {"height": 60 + 24 * len(r.top), "xaxis": {"title": {"text": "probability"}}}),
        "embeddings_softmax",
    )
