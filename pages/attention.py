"""Attention heatmap: which tokens each head of a real model looks at (bertviz, in the browser)."""

from __future__ import annotations

import streamlit as st

from core.attention import HEAD_METRICS, PAIR_FILTERS, SEQ2SEQ_KINDS, ViewConfig, word_attention
from core.knobs import spec
from core.models import ModelUnavailableError
from core.text import clean_text
from ui import attention_view as av
from ui.render import input_notes, page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import left_out_caption, sync_url, url_state

page_header(
    "Attention heatmap",
    "Every layer of a transformer has several attention heads; each decides, for every token, "
    "how much to look at each other token. Here are the real weights of a real model: an "
    "encoder, a decoder, or an encoder-decoder with its three kinds of attention.",
)
MODELS = [*av.model_options(), av.CUSTOM]
sidebar_pick = active_model("encoder")
url_state(
    {
        "attention_model": sidebar_pick if sidebar_pick in MODELS else av.CUSTOM,
        "attention_custom": "" if sidebar_pick in MODELS else sidebar_pick,
        "attention_text": av.PRONOUN,
        "attention_pair": "",
        "attention_layer": 0,
        "attention_head": 0,
        "attention_threshold": spec(ViewConfig, "threshold"),  # [0, 1): up to 0.99 offered
        "attention_hide_special": False,
        "attention_filter": "all",
        "attention_token": -1,
        "attention_metric": "entropy",
        "attention_source": av.S2S_SOURCE,  # an encoder-decoder's input...
        "attention_target": "",  # ...and its decoder's text ("": the model's own output)
        "attention_kind": "cross",
    },
    choices={
        "attention_model": MODELS,
        "attention_filter": list(PAIR_FILTERS),
        "attention_metric": list(HEAD_METRICS),
        "attention_kind": list(SEQ2SEQ_KINDS),
    },
    bounds={
        "attention_layer": (0, 200),
        "attention_head": (0, 200),
        "attention_token": (-1, 4096),
    },
)


def _example() -> None:
    text, pair = av.EXAMPLES[st.session_state["attention_example"]]
    st.session_state["attention_text"], st.session_state["attention_pair"] = text, pair


c_model, c_ex = st.columns([1, 1])
c_model.selectbox(
    "Model",
    MODELS,
    key="attention_model",
    format_func=av.model_label,
    help="Encoders see the whole text; decoders only earlier tokens; an encoder-decoder "
    "(tiny-t5) has both, joined by cross-attention.",
)
name = st.session_state["attention_model"]
if name == av.CUSTOM:
    c_model.text_input("Hugging Face id", key="attention_custom", placeholder="org/model-name")
    name = st.session_state["attention_custom"].strip() or "minilm"
if av.is_seq2seq(name):  # source, target and three kinds of attention
    av.seq2seq_page(name, c_ex)
    what_to_notice(av.S2S_NOTICE)
    av.seq2seq_question(name)
    sync_url()
    st.stop()
c_ex.selectbox(
    "Examples",
    list(av.EXAMPLES),
    key="attention_example",
    index=None,
    placeholder="Load an example text...",
    on_change=_example,
)
decoder = av.is_decoder(name)
st.text_area("Text (sentence A)", key="attention_text", height=90)
left_out_caption("attention_text")
if not decoder:
    st.text_input(
        "Second sentence (optional, joined with [SEP] as sentence B)",
        key="attention_pair",
        placeholder="e.g. It was very late.",
    )
clean = clean_text(st.session_state["attention_text"], max_chars=av.MAX_CHARS, strip_controls=True)
pair = (
    ""
    if decoder
    else clean_text(
        st.session_state["attention_pair"], max_chars=av.MAX_CHARS, strip_controls=True
    ).text
)
input_notes(clean)
if clean.empty:
    st.info("Type some text (or load an example) to see its attention.", icon=":material/edit:")
    sync_url()
    st.stop()
try:
    r = av.cached_attention(clean.text, pair.strip() or None, name)
except (ModelUnavailableError, ValueError) as e:
    st.error(str(e), icon=":material/error:")
    sync_url()
    st.stop()
for note in r.notes:
    st.warning(note, icon=":material/content_cut:")
av.result_caption(r)


av.follow_token(r)
av.explorer(r, clean.text, pair.strip() or None, name)

what_to_notice(
    [
        "Rows are the tokens doing the looking; "
        "each row is a probability distribution (sums to 1).",
        "Many heads pour most of their weight on [CLS]/[SEP] (a 'no-op' sink): toggle "
        "*Hide special tokens* to see what they do with the rest.",
        "Some heads have a crisp job: the previous token, the token itself, the same word earlier.",
        "In a decoder (tiny-gpt), everything above the diagonal is exactly 0: the causal mask.",
    ]
)


def _reveal() -> tuple[str, str]:
    ref = av.cached_attention(av.PRONOUN, None, name)
    scores = word_attention(ref, "it", av.PRONOUN_TARGETS, layer=ref.n_layers - 1)
    best = max(scores, key=scores.get)
    shares = ", ".join(f"{w}: {s:.3f}" for w, s in scores.items())
    extra = " Decoders cannot see 'tired': it comes after 'it'." if ref.causal else ""
    return best, f"Measured on {name}, last layer, mean of {ref.n_heads} heads: {shares}.{extra}"


predict_then_reveal(
    "attention_predict",
    f"In “{av.PRONOUN}”, which word does **it** attend to most in the last layer of "
    f"**{name}** (averaged over its heads)?",
    av.PRONOUN_TARGETS,
    _reveal,
)
sync_url()
