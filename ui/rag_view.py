"""The RAG chat page's UI layer: whose knowledge base, cached retrieval and answers, rendering.

Knowledge bases belong to the browser: the owner id is this session's id
(``get_script_run_ctx().session_id``), kept in a first-party cookie so a reload (a new Streamlit
session) finds the same knowledge base; another browser, or another browser context, has no
cookie and gets its own. Core only ever sees the owner id as a plain string.

Text from documents, questions and models is never rendered as markdown: it goes through
``st.text``, or HTML-escaped into ``st.html`` (which renders no markdown), so a pasted
``![p](http://...)`` stays characters and the browser fetches nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.models import ModelUnavailableError
from core.rag import (
    MAX_UPLOAD_BYTES,
    UPLOAD_TYPES,
    Chunk,
    ChunkConfig,
    Hit,
    KbView,
    KnowledgeBase,
    RagAnswer,
    Retrieval,
    RetrievalConfig,
    RetrievalEval,
    SessionKnowledgeBases,
    UploadError,
    answering,
    labelled_questions,
    starter_documents,
    text_document,
    upload_document,
)
from core.settings import get_settings
from ui import knobs
from ui.render import md_escape

COOKIE = "genai_kb"
CHUNK_SIZES = (32, 250)  # the chunk sizes the page offers (ChunkConfig takes 4-250)
OVERLAPS = (0, 120)  # the overlaps it offers
_TOKEN = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_CITE = re.compile(r"\[(\d{1,2})\]")


def _html_text(text: str) -> str:
    """Text as HTML (escaped, newlines as <br>): characters only, no markup."""
    return html.escape(text).replace("\n", "<br>")


# --- whose knowledge base -------------------------------------------------------------------------
def _where() -> str:
    s = get_settings()
    return f"http://{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.data_dir)


@st.cache_resource(show_spinner="Opening the knowledge bases (chromadb + MiniLM)...")
def _stores(where: str) -> SessionKnowledgeBases:
    return SessionKnowledgeBases()


def stores() -> SessionKnowledgeBases:
    """The process's knowledge bases (the shared starter and every session's own)."""
    try:
        return _stores(_where())
    except Exception as e:  # a Chroma server down, a locked or corrupt folder
        st.error(
            f"Cannot open the knowledge base at {md_escape(_where())} ({type(e).__name__}). "
            "Check GENAI_CHROMA_HOST / GENAI_DATA_DIR.",
            icon=":material/database:",
        )
        st.stop()


def _cookie() -> str:
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else ""  # AppTest's context has no real cookies


def owner_id() -> str:
    """This browser's owner id: its cookie, else this session's id (then set as the cookie)."""
    if "rag_owner" not in st.session_state:
        cookie = _cookie()
        if _TOKEN.match(cookie):
            st.session_state["rag_owner"] = cookie
        else:
            ctx = get_script_run_ctx()
            st.session_state["rag_owner"] = ctx.session_id if ctx else "no-session"
    return str(st.session_state["rag_owner"])


def remember_owner() -> None:
    """Store the owner id in a first-party session cookie, unless the browser sent it already."""
    owner = owner_id()
    if _cookie() != owner and _TOKEN.match(owner):
        st.html(
            f"<script>document.cookie = '{COOKIE}={owner}; path=/; SameSite=Strict';</script>",
            unsafe_allow_javascript=True,
        )


def kb_label(view: KbView) -> str:
    """The active knowledge base in words (plain text, for labels)."""
    return f"{view.label}, {view.kb.count()} chunks"


# --- cached engine calls --------------------------------------------------------------------------
@st.cache_data(show_spinner="Retrieving...", max_entries=256)
def _cached_retrieval(_kb: KnowledgeBase, rev: str, question: str, config: RetrievalConfig):
    return _kb.retrieve(question, config)


def retrieval_for(kb: KnowledgeBase, rev: str, question: str, config: RetrievalConfig) -> Retrieval:
    """The turn's one retrieval, at ``config``'s threshold. It is cached before any threshold
    (see :meth:`~core.rag.Retrieval.at_threshold`): a threshold change re-embeds and re-searches
    nothing."""
    unfiltered = _cached_retrieval(kb, rev, question, replace(config, threshold=None))
    return unfiltered.at_threshold(config.threshold)


@st.cache_data(show_spinner="Answering...", max_entries=256)
def cached_answer(
    _kb: KnowledgeBase,
    rev: str,
    question: str,
    model: str,
    hit_ids: tuple[str, ...],
    _retrieval: Retrieval,
    retrieve: bool,
) -> RagAnswer:
    """An answer from exactly the hits of ``_retrieval`` (``hit_ids`` name them within revision
    ``rev``); ``retrieve=False``: from none of them."""
    return answering.answer_from_hits(
        _retrieval, model=model, embedding=_kb.embedding, retrieve=retrieve
    )


def answers_for(kb: KnowledgeBase, rev: str, retrieval: Retrieval) -> Callable[..., RagAnswer]:
    """Answers of every model from this one retrieval; a blind answer ignores the knowledge
    base."""
    ids = tuple(h.chunk_id for h in retrieval.hits)
    q = retrieval.question
    return lambda m, retrieve=True: (
        cached_answer(kb, rev, q, m, ids, retrieval, True)
        if retrieve
        else cached_answer(kb, "", q, m, (), retrieval, False)
    )


def extractive_text(kb: KnowledgeBase, rev: str, question: str, config: RetrievalConfig) -> str:
    """The extractive answer to an earlier question (its own retrieval, cached)."""
    return answers_for(kb, rev, retrieval_for(kb, rev, question, config))("extractive").text


@st.cache_data(show_spinner=False, max_entries=64)
def cached_chunks(_kb: KnowledgeBase, rev: str, doc_id: str, size: int, overlap: int) -> tuple:
    text = _kb.get_document(doc_id).text
    return text, tuple(_kb.chunk(text, ChunkConfig(size, overlap)))


# --- actions --------------------------------------------------------------------------------------
def later(action: str, *args) -> None:
    """Widget callback: remember an action; :func:`run_pending` performs it in the script run
    (callbacks survive the frame's rerun, clicks read in the script body would not)."""
    st.session_state["rag_pending"] = (action, args)


def _flash(kind: str, msg: str) -> None:
    st.session_state["rag_flash"] = (kind, md_escape(msg))


def add_with_progress(kb: KnowledgeBase, docs: list, label: str) -> None:
    """Index documents with a progress bar and report the result."""
    bar = st.progress(0.0, text=label)
    report = kb.add_documents(
        docs, on_step=lambda i, n: bar.progress(i / max(n, 1), text=f"{label} {i}/{n} chunks")
    )
    bar.empty()
    parts = []
    if report.added:
        parts.append(f"added {', '.join(report.added)}")
    if report.replaced:
        parts.append(f"replaced {', '.join(report.replaced)}")
    msg = (
        f"{'; '.join(parts) or 'nothing added'} ({report.n_chunks} chunks, {report.seconds:.1f} s)"
    )
    _flash("success", msg[:1].upper() + msg[1:] + " in your own knowledge base.")


def _add_files(kb: KnowledgeBase, files: list) -> None:
    docs, errors = [], []
    for f in files:
        try:
            docs.append(upload_document(f.name, f.size, f.getvalue))
        except UploadError as e:
            errors.append(str(e))
    if docs:
        add_with_progress(kb, docs, "Embedding")
    if errors:
        _flash("error", " ".join(errors))
    elif not docs:
        _flash("error", "Choose at least one file first.")


def run_pending(kbs: SessionKnowledgeBases, owner: str) -> None:
    """Perform the action a button asked for, on this browser's own knowledge base."""
    action, args = st.session_state.pop("rag_pending", (None, ()))
    if action is None:
        return
    if action == "reset":
        kbs.reset(owner)
        _flash("success", "Back on the shared starter notes; your own knowledge base is deleted.")
        return
    if action == "paste":
        try:
            doc = text_document(*args)
        except UploadError as e:
            _flash("error", str(e))
            return
        add_with_progress(kbs.writable(owner), [doc], "Embedding")
    elif action == "upload":
        _add_files(kbs.writable(owner), *args)
    elif action == "remove":
        doc_id, source = args
        kbs.writable(owner).remove_document(doc_id)
        _flash("success", f"Removed {source} from your own knowledge base.")
    elif action == "starter":
        mine = kbs.writable(owner)
        have = {(d.doc_id, d.sha) for d in mine.documents()}
        missing = [d for d in starter_documents() if (d.doc_id, d.sha) not in have]
        if missing:
            add_with_progress(mine, missing, "Embedding")
        else:
            _flash("success", "Every starter note is already in your knowledge base.")
    elif action == "reindex":
        bar = st.progress(0.0, text="Re-indexing")
        rep = kbs.writable(owner).reindex(
            args[0], on_step=lambda i, n: bar.progress(i / max(n, 1), f"{i}/{n}")
        )
        bar.empty()
        _flash("success", f"Re-indexed {rep.n_chunks} chunks in {rep.seconds:.1f} s.")


def flash() -> None:
    """Show (once) the message of the last knowledge-base action."""
    kind, msg = st.session_state.pop("rag_flash", (None, None))
    if kind == "success":
        st.success(msg, icon=":material/check_circle:")
    elif kind == "error":
        st.error(msg, icon=":material/error:")


# --- knowledge-base panel -------------------------------------------------------------------------
def add_files_form() -> None:
    """Upload .txt/.md/.pdf files (size and type checked before reading)."""
    with st.form("rag_upload_form", clear_on_submit=True, border=False):
        st.file_uploader(
            f"Add files ({', '.join(UPLOAD_TYPES)}, at most {MAX_UPLOAD_BYTES // 2**20} MB each)",
            accept_multiple_files=True,
            key="rag_files",
        )
        st.form_submit_button(
            "Add files to the knowledge base",
            icon=":material/upload:",
            on_click=lambda: later("upload", list(st.session_state.get("rag_files") or [])),
        )


def paste_form() -> None:
    """Paste a text with a name."""
    with st.form("rag_paste_form", clear_on_submit=True, border=False):
        st.text_input("Name shown in citations", "my notes", key="rag_paste_name")
        st.text_area("Text", key="rag_paste_text", height=140)
        st.form_submit_button(
            "Add text",
            icon=":material/add:",
            on_click=lambda: later(
                "paste",
                st.session_state.get("rag_paste_name") or "pasted text",
                st.session_state.get("rag_paste_text") or "",
            ),
        )


def documents_table(view: KbView, docs: Sequence) -> None:
    """The stored documents, with remove, restore-starter and reset actions."""
    if view.shared:
        st.caption(
            "Everyone starts on these shared notes; they cannot be changed. Adding, removing or "
            "re-chunking makes a knowledge base of your own (only this browser sees it)."
        )
    else:
        st.caption(
            "Only this browser sees this knowledge base. It is deleted after "
            f"{get_settings().kb_idle_minutes:g} minutes without use."
        )
    if docs:
        st.dataframe(
            pd.DataFrame([{"source": d.source, "characters": d.chars} for d in docs]),
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(docs), 260),
        )
    else:
        st.info("This knowledge base is empty: add the starter notes or your own files.")
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
    pick = c1.selectbox(
        "Document",
        docs,
        format_func=lambda d: d.source,
        key="rag_remove_pick",
        index=None,
        placeholder="Choose a document to remove",
    )
    c2.button(
        "Remove it",
        key="rag_remove",
        disabled=pick is None,
        icon=":material/delete:",
        on_click=later,
        args=("remove", *((pick.doc_id, pick.source) if pick else ("", ""))),
    )
    c3.button(
        "Restore the starter notes",
        key="rag_starter",
        icon=":material/school:",
        disabled=view.shared,
        help="Put back the lesson notes you removed (one per page).",
        on_click=later,
        args=("starter",),
    )
    c4.button(
        "Back to the shared notes",
        key="rag_reset",
        icon=":material/restart_alt:",
        disabled=view.shared,
        help="Delete your own knowledge base and read the shared starter notes again.",
        on_click=later,
        args=("reset",),
    )


def chunk_preview(text: str, chunks: Sequence[Chunk], *, limit: int = 8) -> None:
    """Each chunk in a box; the part it shares with the previous chunk is highlighted."""
    if not chunks:
        st.info("This document has no text to chunk.")
        return
    sizes = [c.n_tokens for c in chunks]
    st.caption(
        f"{len(chunks)} chunks, {min(sizes)}-{max(sizes)} tokens each. Highlighted: the overlap "
        "with the previous chunk (its words are embedded twice)."
    )
    prev_end = -1
    boxes = []
    for c in chunks[:limit]:
        shared = max(0, min(prev_end, c.end) - c.start)
        boxes.append(
            "<div style='border:1px solid #ddd;border-radius:6px;padding:6px 10px;"
            f"margin-bottom:6px;font-size:0.9em'><b>chunk {c.index}</b> "
            f"<span style='color:#888'>tokens {c.token_start}-{c.token_end} · "
            f"{c.n_tokens} tokens</span><br>"
            f"<mark style='background:#ffe08a'>{_html_text(c.text[:shared])}</mark>"
            f"{_html_text(c.text[shared:])}</div>"
        )
        prev_end = c.end
    st.html("".join(boxes))
    if len(chunks) > limit:
        st.caption(f"... and {len(chunks) - limit} more.")


def chunking_tab(kb: KnowledgeBase, rev: str, docs: Sequence) -> None:
    """Chunk size and overlap sliders, the re-index offer and a preview of one document."""
    c1, c2 = st.columns(2)
    lo, hi = CHUNK_SIZES
    knobs.slider(
        ChunkConfig,
        "size",
        key="rag_size",
        label="Chunk size (MiniLM tokens)",
        min_value=lo,
        max_value=hi,
        step=8,
        where=c1,
    )
    lo, hi = OVERLAPS
    knobs.slider(
        ChunkConfig,
        "overlap",
        key="rag_overlap",
        label="Overlap (tokens)",
        min_value=lo,
        max_value=hi,
        step=2,
        help="Tokens shared by consecutive chunks, so boundary sentences stay whole.",
        where=c2,
    )
    try:
        cfg = ChunkConfig(st.session_state["rag_size"], st.session_state["rag_overlap"])
    except ValueError as e:
        st.error(str(e), icon=":material/error:")
        return
    reindex_button(kb, cfg)
    if docs:
        pick = st.selectbox(
            "Preview the chunks of", docs, key="rag_preview", format_func=lambda d: d.source
        )
        chunk_preview(*cached_chunks(kb, rev, pick.doc_id, cfg.size, cfg.overlap))


def reindex_button(kb: KnowledgeBase, config: ChunkConfig) -> None:
    """Offer to rebuild the index when the sliders differ from the stored settings."""
    stored = kb.chunking
    if config == stored:
        st.caption(f"The index uses these settings ({kb.count()} chunks).")
        return
    st.warning(
        f"The index was built with size {stored.size} / overlap {stored.overlap}; the preview "
        f"shows size {config.size} / overlap {config.overlap}. Re-index to use them (in your "
        "own knowledge base: nobody else's changes).",
        icon=":material/sync_problem:",
    )
    st.button(
        "Re-index every document",
        key="rag_reindex",
        icon=":material/sync:",
        on_click=later,
        args=("reindex", config),
    )


# --- retrieval quality ----------------------------------------------------------------------------
def recall_report(ev: RetrievalEval) -> None:
    """recall@k on the labelled questions, and the questions that missed."""
    cols = st.columns(len(ev.ks) + 1)
    for c, k in zip(cols, ev.ks, strict=False):
        c.metric(
            f"recall@{k}",
            f"{ev.recall[k]:.0%}",
            help=f"Share of the {len(ev.results)} questions whose answering chunk is in the "
            f"top {k}.",
        )
    cols[-1].metric("MRR", f"{ev.mrr:.2f}", help="Mean of 1/rank of the answering chunk.")
    missed = [r for r in ev.results if r.rank != 1]
    if missed:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "question": r.question,
                        "answer in": r.doc,
                        "rank": r.rank,
                        "top hit from": r.top_source,
                    }
                    for r in missed
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def recall_section(kb: KnowledgeBase, rev: str, measure: Callable) -> None:
    """recall@k of the labelled questions, when the starter notes are in the knowledge base."""
    questions = labelled_questions()
    needed = {q["doc"] for q in questions}
    if not needed <= {d.source for d in kb.documents()}:
        st.info("The labelled questions are about the starter notes: add them to measure recall.")
        return
    st.caption(
        f"{len(questions)} questions over the starter notes, each labelled with the "
        "sentence that answers it (assets/rag/questions.json). A question counts as found at k "
        "when a chunk containing that sentence is among the top k, with the current chunking."
    )
    key = f"rag_recall_{rev}"
    st.button(
        "Measure recall@k",
        key="rag_measure",
        icon=":material/analytics:",
        on_click=lambda: st.session_state.update(rag_measure_now=True),
    )
    if st.session_state.pop("rag_measure_now", False):
        st.session_state[key] = [measure(kb, rev, h) for h in (False, True)]
    for ev in st.session_state.get(key, []):
        st.markdown("**Hybrid (BM25 + vector)**" if ev.hybrid else "**Vector search**")
        recall_report(ev)


def reveal_recall(ev: RetrievalEval) -> tuple[str, str]:
    """The predict-then-reveal answer, measured on the labelled questions."""
    r1 = ev.recall[1]
    correct = "under 50%" if r1 < 0.5 else "50-80%" if r1 <= 0.8 else "over 80%"
    return correct, (
        f"Measured now: recall@1 = {r1:.0%}, recall@3 = {ev.recall[3]:.0%} over "
        f"{len(ev.results)} questions. Small, focused documents make retrieval easy; the misses "
        "are questions whose words match another lesson better."
    )


# --- answers --------------------------------------------------------------------------------------
def linked(text: str, cited: set[int]) -> str:
    """Answer text (HTML-escaped) with each cited ``[n]`` turned into a link to chunk ``n``."""

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in cited:
            return m.group(0)
        return f"<a href='#rag-chunk-{n}' target='_self'>[{n}]</a>"

    return _CITE.sub(link, html.escape(text))


def answer_box(title: str, ans: RagAnswer | None, caption: str, error: str | None = None) -> None:
    """One answer in a bordered column: title, linked text, grounding, note, time."""
    with st.container(border=True):
        st.markdown(f"**{md_escape(title)}**")
        st.caption(caption)
        if error:
            st.warning(md_escape(error), icon=":material/cloud_off:")
            return
        assert ans is not None
        cited = {c.number for c in ans.citations}
        st.html(f'<div style="line-height:1.6">{linked(ans.text, cited)}</div>')
        if ans.retrieval and ans.model != "extractive" and ans.support is not None:
            if ans.grounded:
                st.caption(f"Grounded: support {ans.support:.0%} by the cited chunk.")
            else:
                st.caption(":orange-badge[ungrounded] no citation.")
        if ans.note:
            st.caption(f":orange[{md_escape(ans.note)}]")
        st.caption(f"{ans.seconds * 1000:.0f} ms")


def hits_list(hits: Sequence[Hit], threshold: float) -> None:
    """The retrieved chunks with their cosine similarity, source and an anchor for citations."""
    if not hits:
        st.info(f"No chunk reaches the threshold ({threshold:.2f}). Lower it, or add documents.")
        return
    for h in hits:
        with st.container(border=True):
            st.html(
                f"<span id='rag-chunk-{h.rank}'></span><b>[{h.rank}]</b> {html.escape(h.source)} "
                f"· chunk {h.index} · cosine similarity <b>{h.score:.3f}</b>"
            )
            st.progress(max(0.0, min(1.0, h.score)))
            st.html(f"<div>{_html_text(h.text)}</div>")


def hybrid_table(vector: Sequence[Hit], hybrid: Sequence[Hit]) -> None:
    """How BM25 + fusion changed the ranking compared with vector search alone."""
    vec_ids = [h.chunk_id for h in vector]
    rows = [
        {
            "rank": h.rank,
            "chunk": f"{h.source} #{h.index}",
            "cosine": round(h.score, 3),
            "vector rank": h.vector_rank,
            "BM25 rank": h.keyword_rank,
            "BM25 score": None if h.keyword_score is None else round(h.keyword_score, 2),
            "fused (RRF)": None if h.fused_score is None else round(h.fused_score, 4),
            "change": "new"
            if h.chunk_id not in vec_ids
            else f"{vec_ids.index(h.chunk_id) + 1} -> {h.rank}",
        }
        for h in hybrid
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    kept = {x.chunk_id for x in hybrid}
    gone = [f"{h.source} #{h.index}" for h in vector if h.chunk_id not in kept]
    moved = sum(r["change"] != f"{r['rank']} -> {r['rank']}" for r in rows)
    st.caption(
        f"{moved} of {len(rows)} positions differ from vector search alone"
        + (f"; dropped by fusion: {md_escape(', '.join(gone))}." if gone else ".")
        + " RRF adds 1/(60 + rank) from each ranking, so a chunk that both rankings like wins."
    )


def sentence_table(ans: RagAnswer, limit: int = 8) -> None:
    """The sentence ranking behind the extractive answer."""
    rows = [
        {
            "quoted": "yes" if s.used else "",
            "fused (RRF)": round(s.fused_score, 4),
            "cosine": round(s.score, 3),
            "BM25": round(s.keyword_score, 2),
            "from": f"[{s.hit}]",
            "sentence": s.sentence,
        }
        for s in ans.sentences[:limit]
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Sentences are ordered by reciprocal rank fusion of their cosine and BM25 rankings; the "
        "two best are quoted, with the sentence before when one opens with 'That', 'It'..."
    )


def earlier_turn(question: str, answer_text: str) -> None:
    """A past question and its extractive answer, as plain text."""
    st.chat_message("user").text(question)
    st.chat_message("assistant").text(answer_text)


def latest_turn(
    kb: KnowledgeBase, rev: str, question: str, model: str, config: RetrievalConfig
) -> RagAnswer:
    """The newest question in full: three answers side by side, chunks, prompts, rankings, all
    from one retrieval.

    Returns:
        The extractive answer (remembered for the "earlier questions" list).
    """
    from ui.outputs import publish

    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        retrieval = retrieval_for(kb, rev, question, config)
        answer = answers_for(kb, rev, retrieval)
        ext = answer("extractive")
        gen = blind = err = None
        try:
            gen = answer(model)
            blind = answer(model, retrieve=False)
        except ModelUnavailableError as e:
            err = str(e)
        c1, c2, c3 = st.columns(3)
        with c1:
            answer_box(
                "Extractive (always offline)",
                ext,
                "The best sentences of the chunks closest to the question (MiniLM + BM25).",
            )
        with c2:
            answer_box(f"{model} with retrieval", gen, "Generated from the chunks.", err)
        with c3:
            answer_box(f"{model} without retrieval", blind, "Same model, no chunks.", err)
        publish("RAG answer", gen.text if gen else ext.text)
        publish("RAG answer (extractive)", ext.text)
        threshold = config.threshold if config.threshold is not None else -1.0
        st.markdown(f"**Retrieved chunks** (top {config.k}, cosine ≥ {threshold:.2f})")
        hits_list(retrieval.hits, threshold)
        if config.hybrid:
            with st.expander("Hybrid vs vector search alone", expanded=True):
                hybrid_table(retrieval.vector_hits, retrieval.hits)
        if gen is not None and blind is not None:
            with st.expander(f"Exact prompts sent to {model}"):
                st.markdown("With retrieval")
                st.code(gen.prompt, language=None, wrap_lines=True)
                st.markdown("Without retrieval")
                st.code(blind.prompt, language=None, wrap_lines=True)
        if ext.sentences:
            with st.expander("How the extractive answer chose its sentences"):
                sentence_table(ext)
    return ext
