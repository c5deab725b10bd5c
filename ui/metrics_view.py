"""Render helpers for the ROUGE / BLEU page: input, score cards, breakdowns, matched tokens."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import metrics as M
from core.knobs import spec
from core.metrics.generated import GeneratedSet, seq2seq_set, seq2seq_set_names
from core.settings import get_settings
from core.text import clean_text
from ui import knobs
from ui.loaders import get_model
from ui.outputs import published
from ui.render import md_escape
from ui.urlstate import left_out_caption

SOURCES = ["Example set", "Type or paste", "Upload CSV", "Another page's output"]
MAX_DRAW_TOKENS = 40
TEMPLATE_CSV = (
    "candidate,reference,reference_2\n"
    '"The cat sleeps on the sofa.","The cat is asleep on the couch.","A cat sleeps on the sofa."\n'
    '"I would like a coffee.","I would like a cup of coffee.",\n'
)


@st.cache_data(show_spinner=False)
def examples() -> dict[str, M.Example]:
    return M.load_examples()


# sets written by tiny-t5 when first opened: its own outputs on held-out items
GENERATED = seq2seq_set_names("tiny-t5")


def example_names() -> list[str]:
    """The shipped example sets, then the generated ones."""
    return [*examples(), *GENERATED]


@st.cache_data(show_spinner=False, max_entries=8)
def generated_set(name: str) -> GeneratedSet:
    """A generated set, made once per server (the model's greedy outputs do not change)."""
    model_name, task = GENERATED[name]
    lm = get_model(model_name, "seq2seq")
    return seq2seq_set(lm.model, lm.tokenizer, task, model_name=model_name)


def example(name: str) -> M.Example:
    """The example set ``name``: shipped, or generated (with what the model read and wrote)."""
    if name not in GENERATED:
        ex = examples()[name]
        st.caption(ex.about)
        return ex
    model_name, task = GENERATED[name]
    with st.spinner(f"{model_name} is writing its {task} outputs for the held-out items..."):
        g = generated_set(name)
    st.caption(g.example.about)
    with st.expander(f"What {model_name} read and wrote ({len(g.sources)} items)"):
        items = {
            "source (the encoder read)": g.sources,
            f"{model_name}'s output (candidate)": g.pairs.predictions,
            "reference": [r[0] for r in g.pairs.references],
        }
        st.dataframe(pd.DataFrame(items), hide_index=True, width="stretch")
    return g.example


def _cut(pairs: M.Pairs) -> M.Pairs:
    """Cut each text to MAX_TEXT_CHARS, saying so."""
    pairs, long = M.cut_pairs(pairs)
    if long:
        st.warning(
            f"{long} text(s) are longer than {M.MAX_TEXT_CHARS:,} characters and were cut there "
            "(ROUGE-L's cost grows with the square of the length).",
            icon=":material/content_cut:",
        )
    return pairs


def _clean(text: str | None) -> str:
    c = clean_text(text, max_chars=get_settings().max_chars, strip_controls=True)
    for note in c.notes:
        st.warning(note, icon=":material/info:")
    return c.text


def read_input(source: str) -> M.Pairs | None:
    """Draw the input widgets of ``source``; the pairs, or None after a clear message."""
    try:
        if source == "Example set":
            pairs = example(st.selectbox("Example", example_names(), key="metrics_example")).pairs
        elif source == "Type or paste":
            left, right = st.columns(2)
            cands = left.text_area("Candidates, one per line", key="metrics_candidates", height=150)
            refs = right.text_area(
                f"References, same line as their candidate ({M.REF_SEPARATOR} between "
                "alternatives)",
                key="metrics_references",
                height=150,
            )
            left_out_caption("metrics_candidates", "list of candidates")
            left_out_caption("metrics_references", "list of references")
            pairs = M.parse_pairs(_clean(cands), _clean(refs))
        elif source == "Upload CSV":
            up = st.file_uploader(
                "CSV with columns candidate, reference (reference_2, ...)",
                type=["csv", "txt"],
                key="metrics_csv",
            )
            st.download_button("Download a template CSV", TEMPLATE_CSV, "pairs.csv", "text/csv")
            if up is None:
                st.info("Upload a CSV to score it; nothing you upload goes into the link.")
                return None
            pairs = M.read_csv(up.getvalue())
        else:
            outs = published()
            if not outs:
                st.info(
                    "No page has produced text yet in this session. Generate an answer on "
                    "**RAG chat** or **Sampling** first, then come back."
                )
                return None
            label = st.selectbox("Candidate: the latest output of", list(outs), key="metrics_pub")
            st.text_area("Candidate", outs[label], disabled=True, height=100)
            ref = st.text_area("Reference to score it against", key="metrics_pub_ref", height=80)
            if not ref.strip():
                st.info("Type the reference answer to score this output.")
                return None
            pairs = M.make_pairs([_clean(outs[label])], [M.split_references(_clean(ref))])
    except ValueError as e:
        st.error(str(e), icon=":material/error:")
        return None
    return _cut(pairs)


@st.cache_data(show_spinner="Scoring...", max_entries=32)
def compute(pairs: M.Pairs, config: M.MetricsConfig) -> M.MetricsReport:
    """Every score of the page for these pairs and options (cached)."""
    return M.score_pairs(pairs, config)


@st.cache_data(show_spinner=False, max_entries=64)
def alignment(
    candidate: str, reference: str, config: M.MetricsConfig, n: int, by: str
) -> M.PairAlignment:
    """One pair's tokens and matches (cached: the match tab redraws on every widget)."""
    return M.align_pair(candidate, reference, config, n=n, by=by)


def warnings(report: M.MetricsReport) -> None:
    icons = {
        "short": ":material/short_text:",
        "script": ":material/translate:",
        "rouge_drops": ":material/translate:",
        "single_reference": ":material/info:",
    }
    for d in report.diagnostics:
        box = st.info if d.kind == "single_reference" else st.warning
        box(d.message, icon=icons.get(d.kind))


def _ci(iv: M.Interval, scale: float = 1.0) -> str:
    if not iv.informative:
        return f"no interval: it needs {M.MIN_PAIRS}+ pairs"
    return f"{iv.confidence:.0%} CI [{iv.low * scale:.1f}, {iv.high * scale:.1f}]"


def corpus_cards(s: M.MetricsReport) -> None:
    n = s.n_pairs
    st.subheader(f"Corpus scores over {n} pair{'s' if n > 1 else ''}")
    cols = st.columns(len(s.rouge.config.rouge_types) + 2)
    names = {
        "rouge1": "ROUGE-1 F1",
        "rouge2": "ROUGE-2 F1",
        "rougeL": "ROUGE-L F1",
        "rougeLsum": "ROUGE-Lsum F1",
    }
    for col, t in zip(cols, s.rouge.config.rouge_types, strict=False):
        col.metric(names[t], f"{100 * s.rouge.corpus[t].fmeasure:.1f}")
        col.caption(_ci(s.intervals[t], 100))
    cols[-2].metric("BLEU", f"{s.bleu.score:.1f}")
    cols[-2].caption(_ci(s.intervals["bleu"]))
    cols[-1].metric(s.chrf_name, f"{s.chrf.score:.1f}")
    cols[-1].caption(_ci(s.intervals["chrf"]))
    iv = s.intervals["bleu"]
    if not iv.informative:
        st.caption(
            f"All scores on a 0-100 scale. No confidence interval with {n} "
            f"pair{'s' if n > 1 else ''}: a bootstrap interval resamples the pairs, so it needs "
            f"several ({M.MIN_PAIRS} or more) to say how much the score could move. Add pairs."
        )
        return
    st.caption(
        f"All scores on a 0-100 scale. Intervals: percentile bootstrap over pairs, "
        f"{iv.n_resamples} resamples, seed {iv.seed}; with few pairs they are wide."
    )


def rouge_panel(s: M.MetricsReport) -> None:
    rows = [
        {
            "type": t,
            "precision": v.precision,
            "recall": v.recall,
            "F1": v.fmeasure,
            "F1 CI low": s.intervals[t].low if s.intervals[t].informative else None,
            "F1 CI high": s.intervals[t].high if s.intervals[t].informative else None,
        }
        for t, v in s.rouge.corpus.items()
    ]
    st.dataframe(pd.DataFrame(rows).round(4), hide_index=True)
    st.caption(
        "Mean over pairs of rouge_score's per-pair precision, recall and F1; with several "
        "references each pair uses the reference with the best F1 (score_multi). "
        "ROUGE-Lsum reads sentences from newlines: without them it equals ROUGE-L (tick 'split "
        "sentences' in Options)."
    )


def bleu_panel(s: M.MetricsReport) -> None:
    b = s.bleu
    ns = [f"{i + 1}-gram" for i in range(len(b.precisions))]
    fig = go.Figure(
        go.Bar(
            x=ns,
            y=b.precisions,
            marker_color="#4c78a8",
            text=[
                f"{p:.1f}%<br>{c}/{t}"
                for p, c, t in zip(b.precisions, b.counts, b.totals, strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        height=300,
        margin=dict(t=30, b=30, l=50, r=20),
        yaxis=dict(title="precision (%)", range=[0, 115]),
        title="Clipped n-gram precision: matched / candidate n-grams",
    )
    st.plotly_chart(fig, width="stretch")
    c = st.columns(4)
    c[0].metric("Brevity penalty", f"{b.bp:.3f}")
    c[1].metric("Length ratio", f"{b.ratio:.3f}")
    c[2].metric("Candidate length", b.sys_len)
    c[3].metric("Reference length", b.ref_len)
    st.markdown("sacrebleu signature (quote it with the score):")
    st.code(b.signature, language=None)
    st.caption(
        f"BLEU = BP x geometric mean of the {len(ns)} precisions = {b.score:.2f}. "
        "BP < 1 when the candidates are shorter than the references."
    )
    st.markdown(f"chrF signature: `{s.chrf.signature}`")


def pairs_table(pairs: M.Pairs, s: M.MetricsReport) -> None:
    df = pd.DataFrame(
        {
            "candidate": [p[:90] for p in pairs.predictions],
            "refs": [len(g) for g in pairs.references],
            **{t: [round(100 * x, 1) for x in s.rouge.f1(t)] for t in s.rouge.config.rouge_types},
            "BLEU (sentence)": [round(x, 1) for x in s.bleu_sentence],
            "BLEU (alone, no eff. order)": [round(x, 1) for x in s.bleu_alone],
            "BLEU (floor smoothing)": [round(x, 1) for x in s.bleu_floor],
            "chrF": [round(x, 1) for x in s.chrf_sentence],
        }
    )
    df.index = df.index + 1
    st.dataframe(df, width="stretch")
    st.caption(
        "Sentence BLEU uses effective order (sacrebleu's advice for single sentences); the "
        "'alone' column is BLEU().corpus_score on the one pair - 0 for any candidate "
        "shorter than 4 tokens."
    )


def _chips(tokens: list[str], mask: tuple[bool, ...], clip: tuple[bool, ...] = ()) -> str:
    out = []
    for i, t in enumerate(tokens[: M.MAX_ALIGN_TOKENS]):
        bg = "#b7e4c7" if mask[i] else ("#ffd8a8" if clip and clip[i] else "#e9ecef")
        out.append(
            f'<span style="background:{bg};color:#111;padding:1px 4px;margin:2px;'
            f'border-radius:4px;display:inline-block">{html.escape(t)}</span>'
        )
    more = len(tokens) - M.MAX_ALIGN_TOKENS
    return "".join(out) + (f" <i>... {more} more</i>" if more > 0 else "") or "<i>(no tokens)</i>"


def match_view(pairs: M.Pairs, config: M.MetricsConfig, idx: int, ref_idx: int, n: int, by: str):
    """Matched n-grams in one pair, and ROUGE-L's longest common subsequence drawn."""
    cand, ref = pairs.predictions[idx], pairs.references[idx][ref_idx]
    a = alignment(cand, ref, config, n, by)
    ct, rt, m, lc = list(a.candidate), list(a.reference), a.ngrams, a.lcs
    st.markdown(f"**Candidate** as {by} sees it ({len(ct)} tokens)", help=md_escape(cand[:500]))
    st.markdown(_chips(ct, m.candidate_mask, m.clipped_mask), unsafe_allow_html=True)
    st.markdown(f"**Reference {ref_idx + 1}** ({len(rt)} tokens)", help=md_escape(ref[:500]))
    st.markdown(_chips(rt, m.reference_mask), unsafe_allow_html=True)
    st.caption(
        f"Green: in a matched {n}-gram ({m.matched} matched of {m.candidate_total} candidate "
        f"and {m.reference_total} reference {n}-grams). Orange: in the reference, but "
        f"not credited again - clipping ({m.clipped} clipped)."
    )
    st.markdown(
        f"**ROUGE-L: longest common subsequence, {lc.length} tokens** -> precision "
        f"{lc.length}/{len(ct) or 1}, recall {lc.length}/{len(rt) or 1}"
    )
    if ct and rt:
        st.plotly_chart(lcs_figure(ct, rt, lc), width="stretch")
    else:
        st.caption(
            f"Nothing to draw: {by}'s tokenizer left no token on one side. "
            "Change the tokenizer in Options."
        )


def lcs_figure(ct: list[str], rt: list[str], lc: M.Lcs) -> go.Figure:
    k = MAX_DRAW_TOKENS
    xs: list[float | None] = []
    ys: list[float | None] = []
    for i, j in lc.pairs:
        if i < k and j < k:
            xs += [j, i, None]
            ys += [1, 0, None]
    inlcs_c = {j for _, j in lc.pairs}
    inlcs_r = {i for i, _ in lc.pairs}
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line=dict(color="#2f9e44", width=2),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for y, toks, keep in ((1, ct, inlcs_c), (0, rt, inlcs_r)):
        fig.add_trace(
            go.Scatter(
                x=list(range(min(len(toks), k))),
                y=[y] * min(len(toks), k),
                mode="markers+text",
                text=[html.escape(t) for t in toks[:k]],
                textposition="top center" if y else "bottom center",
                marker=dict(
                    size=9, color=["#2f9e44" if i in keep else "#adb5bd" for i in range(k)]
                ),
                hovertext=toks[:k],
                hoverinfo="text",
                showlegend=False,
            )
        )
    fig.update_layout(
        height=230,
        margin=dict(t=10, b=10, l=90, r=10),
        xaxis=dict(visible=False, range=[-1, max(len(ct), len(rt), 2)]),
        yaxis=dict(
            tickvals=[0, 1],
            ticktext=["reference", "candidate"],
            range=[-0.6, 1.6],
            showgrid=False,
            zeroline=False,
        ),
    )
    if max(len(ct), len(rt)) > k:
        fig.add_annotation(
            text=f"first {k} tokens drawn",
            x=1,
            y=1.5,
            xref="paper",
            showarrow=False,
            font=dict(size=11),
        )
    return fig


@st.cache_resource(show_spinner="Loading the evaluate modules by path (first time ~20 s)...")
def _evaluate_modules() -> dict[str, Any]:
    return M.load_evaluate_modules()


def evaluate_check(pairs: M.Pairs, s: M.MetricsReport) -> None:
    """Score the same pairs with ``evaluate.load(<assets path>)`` and compare with core."""
    rows = M.compare_with_evaluate(pairs, s, _evaluate_modules())
    df = pd.DataFrame(
        [(a.metric, a.core, a.evaluate, a.verdict) for a in rows],
        columns=["metric", "core.metrics", "evaluate.load(path)", "equal"],
    )
    st.dataframe(df, hide_index=True)
    if s.config.rouge_tokenizer != "default":
        st.caption(
            "The evaluate rouge module uses rouge_score's default tokenizer, like the hub's."
        )
    st.code(
        'import evaluate\nrouge = evaluate.load("assets/metrics/rouge")      # by path: offline\n'
        'bleu = evaluate.load("assets/metrics/sacrebleu")\n'
        "bleu.compute(predictions=preds, references=refs)",
        language="python",
    )


# ---------------------------------------------------------------- what to notice

TRAP_REF = "The meeting was postponed because the manager was ill."
TRAPS = {
    "paraphrase": "They delayed the gathering since the boss was sick.",
    "negated": "The meeting was not postponed because the manager was ill.",
    "shuffled": "ill the manager was because postponed was the meeting.",
    "repeated": "the the the the the the the the",
}


TRAP_PAIRS = M.Pairs(tuple(TRAPS.values()), ((TRAP_REF,),) * len(TRAPS))
PLAIN = M.MetricsConfig(split_sentences=False)  # one sentence each: nothing to split


def notice_points() -> list[str]:
    """'What to notice', with the numbers computed now by core.metrics."""
    rep = compute(TRAP_PAIRS, PLAIN)
    f = {
        k: (
            100 * rep.rouge.per_pair[i]["rouge1"].fmeasure,
            100 * rep.rouge.per_pair[i]["rougeL"].fmeasure,
            rep.bleu_sentence[i],
        )
        for i, k in enumerate(TRAPS)
    }
    rep1 = rep.rouge.per_pair[list(TRAPS).index("repeated")]["rouge1"]
    return [
        f'A good paraphrase scores low: *"{TRAPS["paraphrase"]}"* against *"{TRAP_REF}"* gets '
        f"ROUGE-1 F1 {f['paraphrase'][0]:.0f} and sentence BLEU {f['paraphrase'][2]:.1f}, "
        "because it shares meaning, not words.",
        f'A wrong output scores high: the negation *"{TRAPS["negated"]}"* gets ROUGE-1 F1 '
        f"{f['negated'][0]:.0f} and BLEU {f['negated'][2]:.1f}; the shuffled words get ROUGE-1 "
        f"{f['shuffled'][0]:.0f} (a bag of words) but ROUGE-L {f['shuffled'][1]:.0f} and BLEU "
        f"{f['shuffled'][2]:.1f}, which care about order.",
        f"Clipping: *\"{TRAPS['repeated']}\"* matches 'the' 8 times, yet ROUGE-1 precision "
        "is only "
        f"{rep1.precision:.2f}: each reference word is credited at most as often as it occurs "
        "there.",
        "Scores are comparable only with the same tokenizer and options: quote sacrebleu's "
        "signature. More references raise both metrics; with one reference, treat small "
        "differences (inside the bootstrap interval) as noise.",
    ]


PREDICT_Q = (
    'Against the reference *"the cat is on the mat"*, which candidate gets the higher ROUGE-1 F1?'
)
PREDICT_OPTIONS = ["A: the mat is on the cat", "B: a kitten is sitting on the rug", "They tie"]


PREDICT_PAIRS = M.Pairs(
    ("the mat is on the cat", "a kitten is sitting on the rug"), (("the cat is on the mat",),) * 2
)


def predict_reveal() -> tuple[str, str]:
    r = compute(PREDICT_PAIRS, PLAIN).rouge
    a, b = (p["rouge1"].fmeasure for p in r.per_pair)
    la, lb = (p["rougeL"].fmeasure for p in r.per_pair)
    best = PREDICT_OPTIONS[0] if a > b else PREDICT_OPTIONS[1] if b > a else PREDICT_OPTIONS[2]
    return best, (
        f"ROUGE-1 F1 is {a:.2f} for A and {b:.2f} for B (rouge_score, just now). A has "
        f"every reference word, so unigram overlap is perfect although the meaning is "
        f"reversed; ROUGE-L, which needs the order, gives A {la:.2f} and B {lb:.2f}."
    )


def options_form() -> tuple[M.MetricsConfig, dict[str, str | None]]:
    """The options expander; the config its widgets set, and each BLEU tokenizer's status (None:
    it runs here, else why not)."""
    cfg = M.MetricsConfig  # the options' defaults, choices, ranges and help: its knobs
    with st.expander("Options (tokenizers, stemming, smoothing)", expanded=False):
        c = st.columns(4)
        knobs.checkbox(
            cfg,
            "use_stemmer",
            key="metrics_stem",
            label="ROUGE: Porter stemming",
            where=c[0],
            disabled=st.session_state["metrics_rouge_tok"] != "default",
        )
        knobs.checkbox(
            cfg,
            "split_sentences",
            key="metrics_lsum_split",
            label="ROUGE-Lsum: split sentences",
            where=c[0],
        )
        knobs.select(
            cfg,
            "rouge_tokenizer",
            key="metrics_rouge_tok",
            label="ROUGE tokenizer",
            where=c[0],
        )
        status = {t: M.bleu_tokenizer_status(t) for t in spec(cfg, "bleu_tokenizer").choices or ()}
        knobs.select(
            cfg,
            "bleu_tokenizer",
            key="metrics_bleu_tok",
            label="BLEU tokenizer (sacrebleu)",
            where=c[1],
            help=None,  # help=None here and below: no tooltip, as before
            format_func=lambda t: t if status[t] is None else f"{t} (unavailable)",
        )
        knobs.checkbox(
            cfg,
            "lowercase",
            key="metrics_lowercase",
            label="Lowercase (BLEU, chrF)",
            where=c[1],
            help=None,
        )
        knobs.select(cfg, "smooth_method", key="metrics_smooth", label="BLEU smoothing", where=c[2])
        c[2].checkbox("chrF++ (add word bigrams)", key="metrics_chrfpp")
        knobs.number_input(
            cfg, "seed", key="metrics_seed", label="Bootstrap seed", where=c[3], help=None
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
    return config, status


def match_tab(pairs: M.Pairs, scored: M.MetricsReport, config: M.MetricsConfig) -> None:
    """The matched n-grams and LCS tab: pick a pair, a reference, an order and a tokenization."""
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
    match_view(pairs, config, idx, ref_idx, n, by)
