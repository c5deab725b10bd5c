"""ROUGE / BLEU calculator: score candidates against references, and see what earned the points."""

from __future__ import annotations

import streamlit as st

from core import metrics as M
from core.knobs import spec
from ui import classroom
from ui import metrics_view as V
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.urlstate import sync_url, url_state

page_header(
    "ROUGE / BLEU calculator",
    "Overlap metrics count shared words and n-grams between a candidate and its references: "
    "see every count behind the score, and where that misleads.",
)
first = next(iter(V.examples().values())).pairs
CFG = M.MetricsConfig  # the options' defaults, choices, ranges and help: its knobs
url_state(
    {
        "metrics_source": V.SOURCES[0],
        "metrics_example": next(iter(V.examples())),
        "metrics_candidates": "\n".join(first.predictions),
        "metrics_references": "\n".join(f" {M.REF_SEPARATOR} ".join(g) for g in first.references),
        "metrics_stem": spec(CFG, "use_stemmer"),
        "metrics_lsum_split": spec(CFG, "split_sentences"),
        "metrics_rouge_tok": spec(CFG, "rouge_tokenizer"),
        "metrics_bleu_tok": spec(CFG, "bleu_tokenizer"),
        "metrics_lowercase": spec(CFG, "lowercase"),
        "metrics_smooth": spec(CFG, "smooth_method"),
        "metrics_chrfpp": spec(CFG, "chrf_word_order").default == 2,
        "metrics_seed": spec(CFG, "seed"),
        "metrics_pair": 1,
        "metrics_n": 1,
        "metrics_by": "ROUGE",
        "metrics_evaluate": False,
    },
    choices={
        "metrics_source": V.SOURCES,
        "metrics_example": V.example_names(),
        "metrics_by": ["ROUGE", "BLEU"],
    },
    bounds={
        "metrics_pair": (1, M.inputs.MAX_PAIRS),
        "metrics_n": (1, 4),
    },
)

source = st.radio(
    "Candidates and references from", V.SOURCES, key="metrics_source", horizontal=True
)
pairs = V.read_input(source)

config, status = V.options_form()
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
        V.match_tab(pairs, scored, config)
    with tabs[2]:
        V.rouge_panel(scored)
    with tabs[3]:
        V.bleu_panel(scored)
        classroom.share_result(
            "metrics_bleu", "Corpus BLEU", scored.bleu.score, f"BLEU {scored.bleu.score:.1f}"
        )
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
