"""Render helpers of the RAG chat page: knowledge-base panel, chunk preview, hits, answers."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core.rag import (
    MAX_UPLOAD_BYTES,
    UPLOAD_TYPES,
    Chunk,
    ChunkConfig,
    Hit,
    KnowledgeBase,
    RagAnswer,
    RetrievalEval,
    UploadError,
    text_document,
    upload_document,
)
from core.settings import get_settings

_CITE = re.compile(r"\[(\d{1,2})\]")
THRESHOLD_HELP = (
    "Cosine similarity compares the direction of the question's MiniLM embedding with a "
    "chunk's: 1 = same direction (same meaning), 0 = unrelated, below 0 = opposite. With MiniLM, "
    "chunks that answer a question usually score 0.4-0.7 and unrelated text below 0.2. Chunks "
    "under the threshold are not shown and not given to the models."
)


@st.cache_resource(show_spinner="Opening the knowledge base (chromadb + MiniLM)...")
def _open_kb(collection: str, where: str) -> KnowledgeBase:
    return KnowledgeBase(collection=collection)


def knowledge_base(collection: str) -> KnowledgeBase:
    """One shared :class:`KnowledgeBase` per collection and store (data folder or server)."""
    s = get_settings()
    where = f"http://{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.data_dir)
    try:
        return _open_kb(collection, where)
    except Exception as e:  # a Chroma server down, a locked or corrupt folder
        st.error(
            f"Cannot open the knowledge base at {where} ({type(e).__name__}: {e}). "
            "Check GENAI_CHROMA_HOST / GENAI_DATA_DIR.",
            icon=":material/database:",
        )
        st.stop()


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
    st.session_state["rag_flash"] = ("success", msg[:1].upper() + msg[1:])


def _html_text(text: str) -> str:
    """Text as one line of HTML (escaped, newlines as <br>), so markdown leaves it alone."""
    return html.escape(text).replace("\n", "<br>")


def flash() -> None:
    """Show (once) the message of the last knowledge-base action."""
    kind, msg = st.session_state.pop("rag_flash", (None, None))
    if kind == "success":
        st.success(msg, icon=":material/check_circle:")
    elif kind == "error":
        st.error(msg, icon=":material/error:")


def add_files_form(kb: KnowledgeBase) -> None:
    """Upload .txt/.md/.pdf files (size and type checked before reading)."""
    with st.form("rag_upload_form", clear_on_submit=True, border=False):
        st.file_uploader(
            f"Add files ({', '.join(UPLOAD_TYPES)}, at most {MAX_UPLOAD_BYTES // 2**20} MB each)",
            accept_multiple_files=True, key="rag_files",
        )  # fmt: skip
        st.form_submit_button(
            "Add files to the knowledge base", icon=":material/upload:",
            on_click=lambda: later("upload", list(st.session_state.get("rag_files") or [])),
        )  # fmt: skip


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
        st.session_state["rag_flash"] = ("error", " ".join(errors))
    elif not docs:
        st.session_state["rag_flash"] = ("error", "Choose at least one file first.")


def later(action: str, *args) -> None:
    """Widget callback: remember an action; :func:`run_pending` performs it in the script run
    (callbacks survive the frame's rerun, clicks read in the script body would not)."""
    st.session_state["rag_pending"] = (action, args)


def run_pending(kb: KnowledgeBase) -> None:
    """Perform the action a button asked for (add files or text, remove, re-index...)."""
    action, args = st.session_state.pop("rag_pending", (None, ()))
    if action == "upload":
        _add_files(kb, *args)
    elif action == "paste":
        try:
            doc = text_document(*args)
        except UploadError as e:
            st.session_state["rag_flash"] = ("error", str(e))
        else:
            add_with_progress(kb, [doc], "Embedding")
    elif action == "remove":
        doc_id, source = args
        kb.remove_document(doc_id)
        st.session_state["rag_flash"] = ("success", f"Removed {source}.")
    elif action == "starter":
        from core.rag import starter_documents

        add_with_progress(kb, starter_documents(), "Embedding")
    elif action == "reindex":
        bar = st.progress(0.0, text="Re-indexing")
        rep = kb.reindex(args[0], on_step=lambda i, n: bar.progress(i / max(n, 1), f"{i}/{n}"))
        bar.empty()
        st.session_state["rag_flash"] = (
            "success", f"Re-indexed {rep.n_chunks} chunks in {rep.seconds:.1f} s.",
        )  # fmt: skip


def paste_form(kb: KnowledgeBase) -> None:
    """Paste a text with a name."""
    with st.form("rag_paste_form", clear_on_submit=True, border=False):
        st.text_input("Name shown in citations", "my notes", key="rag_paste_name")
        st.text_area("Text", key="rag_paste_text", height=140)
        st.form_submit_button(
            "Add text", icon=":material/add:",
            on_click=lambda: later("paste", st.session_state.get("rag_paste_name") or "pasted text",
                                   st.session_state.get("rag_paste_text") or ""),
        )  # fmt: skip


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
    for c in chunks[:limit]:
        shared = max(0, min(prev_end, c.end) - c.start)
        body = (
            f"<mark style='background:#ffe08a'>{_html_text(c.text[:shared])}</mark>"
            f"{_html_text(c.text[shared:])}"
        )
        st.markdown(
            f"<div style='border:1px solid #ddd;border-radius:6px;padding:6px 10px;"
            f"margin-bottom:6px;font-size:0.9em'><b>chunk {c.index}</b> "
            f"<span style='color:#888'>tokens {c.token_start}-{c.token_end} · "
            f"{c.n_tokens} tokens</span><br>{body}</div>",
            unsafe_allow_html=True,
        )
        prev_end = c.end
    if len(chunks) > limit:
        st.caption(f"... and {len(chunks) - limit} more.")


def reindex_button(kb: KnowledgeBase, config: ChunkConfig) -> None:
    """Offer to rebuild the index when the sliders differ from the stored settings."""
    stored = kb.chunking
    if config == stored:
        st.caption(f"The index uses these settings ({kb.count()} chunks).")
        return
    st.warning(
        f"The index was built with size {stored.size} / overlap {stored.overlap}; the preview "
        f"shows size {config.size} / overlap {config.overlap}. Re-index to use them.",
        icon=":material/sync_problem:",
    )
    st.button("Re-index every document", key="rag_reindex", icon=":material/sync:",
              on_click=later, args=("reindex", config))  # fmt: skip


def linked(text: str, n_hits: int) -> str:
    """Answer text (HTML-escaped) with each ``[n]`` turned into a link to chunk ``n``."""

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if not 1 <= n <= n_hits:
            return m.group(0)
        return f"<a href='#rag-chunk-{n}' target='_self'>[{n}]</a>"

    return _CITE.sub(link, html.escape(text))


def answer_box(title: str, ans: RagAnswer | None, caption: str, error: str | None = None) -> None:
    """One answer in a bordered column: title, linked text, note, time."""
    with st.container(border=True):
        st.markdown(f"**{title}**")
        st.caption(caption)
        if error:
            st.warning(error, icon=":material/cloud_off:")
            return
        assert ans is not None
        st.html(f'<div style="line-height:1.6">{linked(ans.text, len(ans.hits))}</div>')
        if ans.note:
            st.caption(f":orange[{ans.note}]")
        st.caption(f"{ans.seconds * 1000:.0f} ms")


def hits_list(hits: Sequence[Hit], threshold: float) -> None:
    """The retrieved chunks with their cosine similarity, source and an anchor for citations."""
    if not hits:
        st.info(f"No chunk reaches the threshold ({threshold:.2f}). Lower it, or add documents.")
        return
    for h in hits:
        with st.container(border=True):
            st.markdown(
                f"<span id='rag-chunk-{h.rank}'></span><b>[{h.rank}]</b> {html.escape(h.source)} "
                f"· chunk {h.index} · cosine similarity <b>{h.score:.3f}</b>",
                unsafe_allow_html=True,
            )
            st.progress(max(0.0, min(1.0, h.score)))
            st.markdown(f"<div>{_html_text(h.text)}</div>", unsafe_allow_html=True)


def hybrid_table(vector: Sequence[Hit], hybrid: Sequence[Hit]) -> None:
    """How BM25 + fusion changed the ranking compared with vector search alone."""
    vec_ids = [h.chunk_id for h in vector]
    rows = [
        {"rank": h.rank, "chunk": f"{h.source} #{h.index}", "cosine": round(h.score, 3),
         "vector rank": h.vector_rank, "BM25 rank": h.keyword_rank,
         "BM25 score": None if h.keyword_score is None else round(h.keyword_score, 2),
         "fused (RRF)": None if h.fused_score is None else round(h.fused_score, 4),
         "change": "new" if h.chunk_id not in vec_ids
         else f"{vec_ids.index(h.chunk_id) + 1} -> {h.rank}"}
        for h in hybrid
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    gone = [
        f"{h.source} #{h.index}" for h in vector if h.chunk_id not in {x.chunk_id for x in hybrid}
    ]
    moved = sum(r["change"] not in (f"{r['rank']} -> {r['rank']}",) for r in rows)
    st.caption(
        f"{moved} of {len(rows)} positions differ from vector search alone"
        + (f"; dropped by fusion: {', '.join(gone)}." if gone else ".")
        + " RRF adds 1/(60 + rank) from each ranking, so a chunk that both rankings like wins."
    )


def sentence_table(ans: RagAnswer, limit: int = 8) -> None:
    """The sentence ranking behind the extractive answer."""
    rows = [
        {"quoted": "yes" if s.used else "", "cosine": round(s.score, 3), "from": f"[{s.hit}]",
         "sentence": s.sentence}
        for s in ans.sentences[:limit]
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def recall_report(ev: RetrievalEval) -> None:
    """recall@k on the labelled questions, and the questions that missed."""
    cols = st.columns(len(ev.ks) + 1)
    for c, k in zip(cols, ev.ks, strict=False):
        c.metric(f"recall@{k}", f"{ev.recall[k]:.0%}",
                 help=f"Share of the {len(ev.results)} questions whose answering chunk is in the "
                 f"top {k}.")  # fmt: skip
    cols[-1].metric("MRR", f"{ev.mrr:.2f}", help="Mean of 1/rank of the answering chunk.")
    missed = [r for r in ev.results if r.rank != 1]
    if missed:
        st.dataframe(
            pd.DataFrame([{"question": r.question, "answer in": r.doc, "rank": r.rank,
                           "top hit from": r.top_source} for r in missed]),
            hide_index=True, width="stretch",
        )  # fmt: skip


def documents_table(kb: KnowledgeBase, docs: Sequence) -> None:
    """The stored documents, with remove and restore-starter actions."""

    if docs:
        st.dataframe(
            pd.DataFrame([{"source": d.source, "characters": d.chars} for d in docs]),
            hide_index=True, width="stretch", height=min(38 + 35 * len(docs), 260),
        )  # fmt: skip
    else:
        st.info("This knowledge base is empty: add the starter notes or your own files.")
    c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")
    pick = c1.selectbox("Document", docs, format_func=lambda d: d.source, key="rag_remove_pick",
                        index=None, placeholder="Choose a document to remove")  # fmt: skip
    c2.button(
        "Remove it",
        key="rag_remove",
        disabled=pick is None,
        icon=":material/delete:",
        on_click=later,
        args=("remove", *((pick.doc_id, pick.source) if pick else ("", ""))),
    )
    c3.button("Add the starter notes", key="rag_starter", icon=":material/school:",
              help="The lesson notes shipped with the playground (one per page).",
              on_click=later, args=("starter",))  # fmt: skip


def recall_section(kb: KnowledgeBase, measure) -> None:
    """recall@k of the labelled questions, when the starter notes are in the knowledge base."""
    from core.rag import labelled_questions

    needed = {q["doc"] for q in labelled_questions()}
    have = {d.source for d in kb.documents()}
    if not needed <= have:
        st.info("The labelled questions are about the starter notes: add them to measure recall.")
        return
    st.caption(
        f"{len(labelled_questions())} questions over the starter notes, each labelled with the "
        "sentence that answers it (assets/rag/questions.json). A question counts as found at k "
        "when a chunk containing that sentence is among the top k, with the current chunking."
    )
    key = f"rag_recall_{kb.name}_{kb.revision()}"
    st.button("Measure recall@k", key="rag_measure", icon=":material/analytics:",
              on_click=lambda: st.session_state.update(rag_measure_now=True))  # fmt: skip
    if st.session_state.pop("rag_measure_now", False):
        st.session_state[key] = [measure(kb, kb.revision(), h) for h in (False, True)]
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


def latest_turn(kb: KnowledgeBase, question: str, model: str, opts: dict, rev: str, answer_fn):
    """The newest question in full: three answers side by side, chunks, prompts, rankings."""
    from core.models import ModelUnavailableError
    from core.rag import EXTRACTIVE
    from ui.outputs import publish

    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        ext = answer_fn(kb, rev, question, EXTRACTIVE, **opts)
        gen = blind = err = None
        try:
            gen = answer_fn(kb, rev, question, model, **opts)
            blind = answer_fn(kb, rev, question, model, **{**opts, "retrieve": False})
        except ModelUnavailableError as e:
            err = str(e)
        c1, c2, c3 = st.columns(3)
        with c1:
            answer_box("Extractive (always offline)", ext,
                       "The sentences of the chunks closest to the question (MiniLM).")  # fmt: skip
        with c2:
            answer_box(f"{model} with retrieval", gen, "Generated from the chunks.", err)
        with c3:
            answer_box(f"{model} without retrieval", blind, "Same model, no chunks.", err)
        publish("RAG answer", gen.text if gen else ext.text)
        publish("RAG answer (extractive)", ext.text)
        st.markdown(f"**Retrieved chunks** (top {opts['k']}, cosine ≥ {opts['threshold']:.2f})")
        hits_list(ext.hits, opts["threshold"])
        if opts["hybrid"]:
            with st.expander("Hybrid vs vector search alone", expanded=True):
                vector = kb.query(question, opts["k"], threshold=opts["threshold"])
                hybrid_table(vector, ext.hits)
        if gen is not None and blind is not None:
            with st.expander(f"Exact prompts sent to {model}"):
                st.markdown("With retrieval")
                st.code(gen.prompt, language=None, wrap_lines=True)
                st.markdown("Without retrieval")
                st.code(blind.prompt, language=None, wrap_lines=True)
        if ext.sentences:
            with st.expander("How the extractive answer chose its sentences"):
                sentence_table(ext)
