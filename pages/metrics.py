"""ROUGE / BLEU calculator: score candidates against references, and see what earned the points."""

from __future__ import annotations

import streamlit as st

from core import metrics as M
from ui import metrics_view as V
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.urlstate import sync_url, url_state

page_header(
    "ROUGE / BLEU calculator",
    "Overlap metrics count shared words and n-grams between a candidate and its references: "
    "see every count behind the score, and where that misleads.",
)
first = next(iter(V.examples().values())).pairs
url_state(
    {
        "metrics_source": V.SOURCES[0],
        "metrics_example": next(iter(V.examples())),
        "metrics_candidates": "\n".join(first.predictions),
        "metrics_references": "\n".join(f" {M.REF_SEPARATOR} ".join(g) for g in first.references),
        "metrics_stem": False,
        "metrics_lsum_split": True,
        "metrics_rouge_tok": "default",
        "metrics_bleu_tok": "13a",
        "metrics_lowercase": False,
        "metrics_smooth": "exp",
        "metrics_chrfpp": False,
        "metrics_seed": 0,
        "metrics_pair": 1,
        "metrics_n": 1,
        "metrics_by": "ROUGE",
        "metrics_evaluate": False,
    },
    choices={
        "metrics_source": V.SOURCES,
        "metrics_example": list(V.examples()),
        "metrics_rouge_tok": list(M.ROUGE_TOKENIZERS),
        "metrics_bleu_tok": list(M.BLEU_TOKENIZERS),
        "metrics_smooth": list(M.SMOOTH_METHODS),
        "metrics_by": ["ROUGE", "BLEU"],
    },
    bounds={"metrics_seed": (0, 2**31 - 1), "metrics_pair": (1, 5000), "metrics_n": (1, 4)},
)

source = st.radio(
    "Candidates and references from", V.SOURCES, key="metrics_source", horizontal=True
)
pairs = V.read_input(source)

with st.expander("Options (tokenizers, stemming, smoothing)", expanded=False):
    c = st.columns(4)
    c[0].checkbox(
        "ROUGE: Porter stemming",
        key="metrics_stem",
        disabled=st.session_state["metrics_rouge_tok"] != "default",
        help="'cats' and 'cat' match. Only with rouge_score's default tokenizer.",
    )
    c[0].checkbox(
        "ROUGE-Lsum: split sentences",
        key="metrics_lsum_split",
        help="A line break after . ! ? so ROUGE-Lsum scores sentence by sentence (what "
        "nltk.sent_tokenize does for Hugging Face users; punkt is not available offline).",
    )
    c[0].selectbox(
        "ROUGE tokenizer",
        M.ROUGE_TOKENIZERS,
        key="metrics_rouge_tok",
        help="default: rouge_score's (a-z0-9 only); unicode: words of any script; "
        "char: every character (Chinese, Japanese, Thai).",
    )
    status = {t: M.bleu_tokenizer_status(t) for t in M.BLEU_TOKENIZERS}
    c[1].selectbox(
        "BLEU tokenizer (sacrebleu)",
        M.BLEU_TOKENIZERS,
        key="metrics_bleu_tok",
        format_func=lambda t: t if status[t] is None else f"{t} (unavailable)",
    )
    c[1].checkbox("Lowercase (BLEU, chrF)", key="metrics_lowercase")
    c[2].selectbox(
        "BLEU smoothing",
        M.SMOOTH_METHODS,
        key="metrics_smooth",
        help="exp is sacrebleu's default; floor / add-k are Chen & Cherry's 1 and 2.",
    )
    c[2].checkbox("chrF++ (add word bigrams)", key="metrics_chrfpp")
    c[3].number_input("Bootstrap seed", min_value=0, max_value=2**31 - 1, key="metrics_seed")

opts = V.Opts(
    stem=st.session_state["metrics_stem"] and st.session_state["metrics_rouge_tok"] == "default",
    lsum_split=st.session_state["metrics_lsum_split"],
    rouge_tok=st.session_state["metrics_rouge_tok"],
    bleu_tok=st.session_state["metrics_bleu_tok"],
    lowercase=st.session_state["metrics_lowercase"],
    smooth=st.session_state["metrics_smooth"],
    word_order=2 if st.session_state["metrics_chrfpp"] else 0,
    seed=int(st.session_state["metrics_seed"]),
)
if status[opts.bleu_tok] is not None:
    st.error(
        f"sacrebleu's '{opts.bleu_tok}' tokenizer cannot run here: {status[opts.bleu_tok]}. "
        "Use 'char' (or 'zh' for Chinese) instead.",
        icon=":material/error:",
    )
    pairs = None

if pairs is not None:
    scored = V.compute(pairs, opts)
    V.warnings(scored)
    V.corpus_cards(scored)
    tabs = st.tabs(
        ["Per pair", "Matched n-grams and LCS", "ROUGE", "BLEU and chrF", "Check with evaluate"]
    )
    with tabs[0]:
        V.pairs_table(pairs, scored)
    with tabs[1]:
        n_pairs = len(pairs.predictions)
        if st.session_state["metrics_pair"] > n_pairs:
            st.session_state["metrics_pair"] = 1
        c = st.columns([1, 1, 1, 1])
        idx = c[0].number_input("Pair #", 1, n_pairs, key="metrics_pair") - 1
        best = scored.rouge.best_reference[idx][scored.rouge.config.rouge_types[0]]
        refs = pairs.references[idx]
        ref_idx = c[1].selectbox(
            "Reference",
            range(len(refs)),
            index=best,
            format_func=lambda i: f"#{i + 1}" + (" (best ROUGE)" if i == best else ""),
            key=f"metrics_ref_{idx}_{len(refs)}",
        )
        n = c[2].slider("n-gram order", 1, 4, key="metrics_n")
        by = c[3].radio("Tokens as seen by", ["ROUGE", "BLEU"], key="metrics_by", horizontal=True)
        V.match_view(pairs, scored, opts, idx, ref_idx, n, by)
    with tabs[2]:
        V.rouge_panel(scored)
    with tabs[3]:
        V.bleu_panel(scored)
    with tabs[4]:
        st.markdown(
            "Hugging Face `evaluate.load('rouge')` fetches its script from the Hub, which "
            "fails offline. The playground ships its own modules in `assets/metrics/`, "
            "loaded **by path**; they must give exactly the scores above."
        )
        if st.toggle("Run the evaluate modules on these pairs", key="metrics_evaluate"):
            V.evaluate_check(pairs, scored, opts)

what_to_notice(V.notice_points())
predict_then_reveal("metrics_predict", V.PREDICT_Q, V.PREDICT_OPTIONS, V.predict_reveal)
sync_url()
