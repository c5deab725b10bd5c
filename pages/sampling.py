"""Sampling sliders: how the next-token distribution becomes text, one filter at a time."""

from __future__ import annotations

import streamlit as st

from core import generation as gen
from core import models
from core import sampling as smp
from core.settings import get_settings
from core.text import clean_text
from ui import sampling_view as view
from ui.backend import backend_picker
from ui.loaders import get_model
from ui.render import input_notes, page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import left_out_caption, sync_url, url_state

page_header(
    "Sampling sliders",
    "A language model only scores every possible next token; sampling turns those scores into "
    "text. Move a slider and watch which tokens stay in the running, then generate.",
)
# causal LMs continue the prompt; seq2seq models read it as their encoder's source
NAMES = [s.name for kind in ("causal-lm", "seq2seq") for s in models.list_models(kind)]
active = active_model("causal-lm")
NAMES += [active] if active not in NAMES else []
url_state(
    {
        "sampling_model": active,
        "sampling_prompt": view.DEFAULT_PROMPT,
        **view.knob_defaults(),  # the engine's defaults and ranges: core.sampling's knobs
        "sampling_n": 30,
        "sampling_n_top": 20,
        "sampling_cmp_by": "temperature",
        "sampling_cmp_temps": [0.0, 0.7, 1.5],
        "sampling_cmp_seeds": [0, 1, 2],
    },
    choices={
        "sampling_model": NAMES,
        "sampling_cmp_by": ["temperature", "seed"],
        "sampling_cmp_temps": view.CMP_TEMPS,
        "sampling_cmp_seeds": view.CMP_SEEDS,
    },
    max_items={"sampling_cmp_temps": view.CMP_MAX, "sampling_cmp_seeds": view.CMP_MAX},
    bounds={"sampling_n": (1, 200), "sampling_n_top": (5, 50)},
)
view.match_prompt_to_model()  # tiny-t5 picked (or linked) with a story: its own example

c_prompt, c_model = st.columns([3, 1])
c_prompt.text_area("Prompt", key="sampling_prompt", height=100)
with c_prompt:
    left_out_caption("sampling_prompt", "prompt")
c_model.selectbox(
    "Model",
    NAMES,
    key="sampling_model",
    format_func=lambda n: n if n not in models.MODELS else models.MODELS[n].label,
)
seq2seq = view.is_seq2seq(st.session_state["sampling_model"])
c_model.selectbox(
    "Or try an example",
    ["", *view.examples(seq2seq)],
    key="sampling_example",
    on_change=view.use_example,
)

name = st.session_state["sampling_model"]
with c_model:
    backend = backend_picker("sampling_backend", name)  # only offered with GENAI_LLM_URL set
loaded = get_model(name)
tok = loaded.tokenizer
ctx = models.context_size(loaded.model, tok)
seq2seq = gen.is_encoder_decoder(loaded.model)
if seq2seq:
    st.caption(
        "An encoder-decoder: the prompt is the **source** its encoder reads once; the decoder "
        "writes a new text (the output below), token by token, from its start token.",
    )
clean = clean_text(st.session_state["sampling_prompt"], max_chars=get_settings().max_chars)
input_notes(clean)
try:
    prompt = gen.encode_prompt(tok, clean.text, max_tokens=ctx, source=seq2seq)
except ValueError as e:
    st.info(f"{e} For example: “{view.default_prompt(seq2seq)}”.", icon=":material/edit:")
    sync_url()
    st.stop()
if prompt.note:
    st.warning(prompt.note, icon=":material/content_cut:")
if st.session_state.get(view.STEPS_FOR) != (name, prompt.ids):  # a new prompt starts afresh
    st.session_state[view.STEPS], st.session_state[view.STEPS_FOR] = [], (name, prompt.ids)
# a causal LM's text goes on from the prompt's end; a seq2seq output stands on its own
prompt_tail = "" if seq2seq else tok.decode(list(prompt.ids[-12:]))


# the compare panel generates with the settings of the last full run (or Refresh)
st.session_state[view.CMP_FOR] = (view.current_config(), int(st.session_state.sampling_n))
view.step_panel(name, loaded, prompt.ids, ctx, prompt_tail, backend)
view.compare_panel(name, loaded, prompt.ids, ctx, prompt_tail, backend)


def reveal() -> tuple[str, str]:
    logits = view.cached_logits(name, prompt.ids)
    hot = smp.filter_distribution(logits, smp.SamplingConfig(temperature=1.5, top_p=0.9)).n_kept
    cool = smp.filter_distribution(logits, smp.SamplingConfig(temperature=1.0, top_p=0.9)).n_kept
    bucket = next(b for b, hi in BUCKETS if hot <= hi)
    return bucket, (
        f"Measured on this prompt with {name}: {hot:,} tokens at temperature 1.5 "
        f"against {cool:,} at 1.0. Heat flattens the distribution, so top-p needs more "
        "tokens to reach 90% of the mass."
    )


BUCKETS = [("1", 1), ("2 to 10", 10), ("11 to 100", 100), ("more than 100", 10**9)]
predict_then_reveal(
    "sampling_predict",
    "At temperature 1.5 with top-p 0.9 (no other filter), how many tokens stay in the running "
    "for the current prompt?",
    [b for b, _ in BUCKETS],
    reveal,
)
what_to_notice(
    [
        "Temperature never changes the ranking of the tokens, only how peaked the distribution is: "
        "the entropy falls as you go below 1 and rises above 1.",
        "Top-k keeps a fixed number of tokens whatever the model's confidence; "
        "top-p and min-p adapt. "
        + (
            "Compare how many tokens top-p 0.9 keeps at the first output token of the "
            "*Translate* example and of the *Summarize* one."
            if seq2seq
            else "Compare how many tokens top-p 0.9 keeps for the *Q&A* example (the model is "
            "nearly sure) and for the *Story* one (many names fit)."
        ),
        "The same seed and settings always give the same text; "
        "at temperature 0 the seed does nothing.",
        "Hover a generated token to see what else the model considered; "
        "pick an alternative to take "
        "another path: one early token can change everything after it.",
    ]
    + [view.SEQ2SEQ_NOTICE] * seq2seq
)
sync_url()
