"""RAG chat: retrieve chunks from a chromadb knowledge base, answer from them with citations."""

from __future__ import annotations

import streamlit as st

from core import models
from core.knobs import spec
from core.rag import (
    ChunkConfig,
    KnowledgeBase,
    RetrievalConfig,
    evaluate_retrieval,
    labelled_questions,
)
from ui import knobs
from ui import rag_view as view
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import sync_url, url_state

GENERATORS = [s.name for s in models.list_models("causal-lm")]
EXAMPLE = "Where does Tom live?"
EXAMPLES = ["What does the temperature do when sampling?", "What is QLoRA?", "Why is BLEU zero?"]


@st.cache_data(show_spinner="Measuring recall@k on the labelled questions...", max_entries=8)
def cached_recall(_kb: KnowledgeBase, rev: str, hybrid: bool):
    return evaluate_retrieval(_kb, labelled_questions(), ks=(1, 3, 5), hybrid=hybrid)


page_header(
    "RAG chat",
    "Retrieval-augmented generation: find the chunks of your documents closest to a question, "
    "then answer from them, citing each one. Compare with the same model answering blind.",
)
gen_default = active_model("causal-lm") if active_model("causal-lm") in GENERATORS else "tiny-gpt"
url_state(
    {
        "rag_size": spec(ChunkConfig, "size"),
        "rag_overlap": spec(ChunkConfig, "overlap"),
        "rag_k": spec(RetrievalConfig, "k"),
        "rag_threshold": spec(RetrievalConfig, "threshold"),
        "rag_hybrid": spec(RetrievalConfig, "hybrid"),
        "rag_model": gen_default,
    },
    choices={"rag_model": GENERATORS},
    bounds={"rag_size": view.CHUNK_SIZES, "rag_overlap": view.OVERLAPS},
)

kbs, owner = view.stores(), view.owner_id()
view.run_pending(kbs, owner)
view.flash()
kb_view = kbs.view(owner)
kb, rev = kb_view.kb, kb_view.kb.revision()
docs = kb.documents()
st.caption(f":material/database: Active knowledge base: {view.kb_label(kb_view)}")

with st.expander(f"Knowledge base: {view.kb_label(kb_view)}", key="rag_kb_panel"):
    tab_docs, tab_chunk, tab_eval = st.tabs(["Documents", "Chunking", "Retrieval quality"])
    with tab_docs:
        view.documents_table(kb_view, docs)
        c1, c2 = st.columns(2)
        with c1:
            view.add_files_form()
        with c2:
            view.paste_form()
    with tab_chunk:
        view.chunking_tab(kb, rev, docs)
    with tab_eval:
        view.recall_section(kb, rev, cached_recall)

if not st.session_state.get("rag_seeded"):
    st.session_state["rag_seeded"] = True
    st.session_state["rag_history"] = [EXAMPLE]


def ask(question: str | None = None) -> None:
    """Callback (survives the frame's rerun): add a question to this session's chat."""
    q = (question if question is not None else st.session_state.get("rag_ask") or "").strip()
    if q:
        st.session_state["rag_history"].append(q[:1000])
    else:
        st.session_state["rag_flash"] = ("error", "Type a question first.")


@st.fragment
def chat(kb: KnowledgeBase, rev: str) -> None:
    """Controls and answers: a control change reruns only this part of the page."""
    history = st.session_state.setdefault("rag_history", [])
    said = st.session_state.setdefault("rag_said", {})  # history index -> answer shown then
    c1, c2, c3, c4 = st.columns([3, 2, 3, 2])
    c1.selectbox(
        "Generator",
        GENERATORS,
        key="rag_model",
        format_func=lambda n: models.MODELS[n].label,
        help="Answers from the retrieved chunks. tiny-gpt works offline; hub chat models "
        "need a network.",
    )
    knobs.slider(RetrievalConfig, "k", key="rag_k", label="Top-k chunks", where=c2)
    knobs.slider(
        RetrievalConfig,
        "threshold",
        key="rag_threshold",
        label="Similarity threshold (cosine)",
        where=c3,
    )
    knobs.checkbox(
        RetrievalConfig, "hybrid", key="rag_hybrid", label="Hybrid search", where=c4, toggle=True
    )
    with st.container():  # inline under the settings (at the root it would pin to the bottom)
        st.chat_input("Ask a question about the documents", key="rag_ask", on_submit=ask)
    ex_cols = st.columns([1, 2, 2, 3], vertical_alignment="center")
    ex_cols[0].caption("Try:")
    for i, (col, ex) in enumerate(zip(ex_cols[1:], EXAMPLES, strict=True)):
        col.button(ex, key=f"rag_example_{i}", type="tertiary", on_click=ask, args=(ex,))
    config = RetrievalConfig(
        k=st.session_state["rag_k"],
        threshold=st.session_state["rag_threshold"],
        hybrid=st.session_state["rag_hybrid"],
    )
    if len(history) > 1:
        with st.expander(f"Earlier questions in this session ({len(history) - 1})"):
            for i, question in enumerate(history[:-1]):
                if i not in said:
                    said[i] = view.extractive_text(kb, rev, question, config)
                view.earlier_turn(question, said[i])
    if not history:
        st.info("The chat is empty: ask a question in the box above.", icon=":material/chat:")
    else:
        ext = view.latest_turn(kb, rev, history[-1], st.session_state["rag_model"], config)
        said[len(history) - 1] = ext.text
        st.button(
            "Clear the chat",
            icon=":material/delete_sweep:",
            key="rag_clear",
            help="Forget this session's questions. The knowledge base is untouched.",
            on_click=lambda: st.session_state.update(rag_history=[], rag_said={}),
        )
    sync_url()


chat(kb, rev)
what_to_notice(
    [
        "The extractive answer can only quote the notes, so it is never invented; the generator "
        "without retrieval answers from what it memorised in training, often confidently wrong.",
        "Scores near 0.6 mean the chunk really is about the question; below about 0.2 the match is "
        "noise. Raise the threshold and weak chunks vanish from the prompt.",
        "Hybrid search helps on exact words (names, 'QLoRA', 'RRF') that embeddings blur.",
        "A generated answer is cited only when one sentence of a retrieved chunk is about the "
        "question (half its words) and holds the answer's new words in shared phrases; otherwise "
        "it is marked ungrounded. One copied word can still pass: lexical support is not truth.",
        "Change the chunk size and re-index: recall@k moves, because a chunk must hold the answer.",
    ]
)
predict_then_reveal(
    "rag_predict",
    "On the labelled questions, how often is the answering chunk ranked first (recall@1)?",
    ["under 50%", "50-80%", "over 80%"],
    lambda: view.reveal_recall(cached_recall(kb, rev, st.session_state["rag_hybrid"])),
)
view.remember_owner()
sync_url()
