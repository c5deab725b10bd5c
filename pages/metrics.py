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
opt = M.MetricsConfig.option
url_state(
    {
        "metrics_source": V.SOURCES[0],
        "metrics_example": next(iter(V.examples())),
        "metrics_candidates": "\n".join(first.predictions),
        "metrics_references": "\n".join(f" {M.REF_SEPARATOR} ".join(g) for g in first.references),
        "metrics_stem": opt("use_stemmer")["default"],
        "metrics_lsum_split": opt("split_sentences")["default"],
        "metrics_rouge_tok": opt("rouge_tokenizer")["default"],
        "metrics_bleu_tok": opt("bleu_tokenizer")["default"],
        "metrics_lowercase": opt("lowercase")["default"],
        "metrics_smooth": opt("smooth_method")["default"],
        "metrics_chrfpp": opt("chrf_word_order")["default"] == 2,
        "metrics_seed": opt("seed")["default"],
        "metrics_pair": 1,
        "metrics_n": 1,
        "metrics_by": "ROUGE",
        "metrics_evaluate": False,
    },
    choices={
        "metrics_source": V.SOURCES,
        "metrics_example": list(V.examples()),
        "metrics_rouge_tok": list(opt("rouge_tokenizer")["choices"]),
        "metrics_bleu_tok": list(opt("bleu_tokenizer")["choices"]),
        "metrics_smooth": list(opt("smooth_method")["choices"]),
        "metrics_by": ["ROUGE", "BLEU"],
    },
    bounds={
        "metrics_seed": (opt("seed")["min"], opt("seed")["max"]),
        "metrics_pair": (1, M.inputs.MAX_PAIRS),
        "metrics_n": (1, 4),
    },
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
        help=opt("use_stemmer")["help"],
    )
    c[0].checkbox(
        "ROUGE-Lsum: split sentences",
        key="metrics_lsum_split",
        help=opt("split_sentences")["help"],
    )
    c[0].selectbox(
        "ROUGE tokenizer",
        opt("rouge_tokenizer")["choices"],
        key="metrics_rouge_tok",
        help=opt("rouge_tokenizer")["help"],
    )
    status = {t: M.bleu_tokenizer_status(t) for t in opt("bleu_tokenizer")["choices"]}
    c[1].selectbox(
        "BLEU tokenizer (sacrebleu)",
        opt("bleu_tokenizer")["choices"],
        key="metrics_bleu_tok",
        format_func=lambda t: t if status[t] is None else f"{t} (unavailable)",
    )
    c[1].checkbox("Lowercase (BLEU, chrF)", key="metrics_lowercase")
    c[2].selectbox(
        "BLEU smoothing",
        opt("smooth_method")["choices"],
        key="metrics_smooth",
        help=opt("smooth_method")["help"],
    )
    c[2].checkbox("chrF++ (add word bigrams)", key="metrics_chrfpp")
    c[3].number_input(
        "Bootstrap seed",
        min_value=opt("seed")["min"],
        max_value=opt("seed")["max"],
        key="metrics_seed",
    )

ss = st.session_state
config = M.MetricsConfig(
    rouge_tokenizer=ss["metrics_rouge_tok"],
    use_stemmer=ss["metrics_stem"] and ss["metrics_rouge_tok"] == "default",
    split_sentences=ss["metrics_lsum_split"],
    bleu_tokenizer=ss["metrics_bleu_tok"],
    lowercase=ss["metrics_lowercase"],
    smooth_method=ss["metrics_smooth"],
    chrf_word_order=2 if ss["metrics_chrfpp"] else 0,
    seed=int(ss["metrics_seed"]),
)
if status[config.bleu_tokenizer] is not None:
    st.error(
        f"sacrebleu's '{config.bleu_tokenizer}' tokenizer cannot run here: "
        f"{status[config.bleu_tokenizer]}. "
        "Use 'char' (or 'zh' for Chinese) instead.",
        icon=":material/error:",
    )
    pairs = None

if pairs is not None:
    scored = V.compute(pairs, config)
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
        V.match_view(pairs, config, idx, ref_idx, n, by)
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
            V.evaluate_check(pairs, scored)

what_to_notice(V.notice_points())
predict_then_reveal("metrics_predict", V.PREDICT_Q, V.PREDICT_OPTIONS, V.predict_reveal)
sync_url()
