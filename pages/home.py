"""Home: the lifecycle the playground follows, each step linking to its page."""

from __future__ import annotations

import streamlit as st

from core import models
from ui.render import page_header

page_header(
    "GenAI Playground",
    "Explore how large language models work by changing real models, live, in your browser.",
)

STEPS = [
    ("1. Select a model", "pages/tokenizer.py", "Tokenizer",
     "See how text becomes tokens, and what each token costs."),
    ("", "pages/attention.py", "Attention",
     "Look inside: which words each attention head connects."),
    ("2. Prompt", "pages/sampling.py", "Sampling",
     "Turn next-token probabilities into text: temperature, top-k, top-p."),
    ("", "pages/prompting.py", "Prompt shots",
     "Zero-, one- and few-shot prompts, scored on held-out items."),
    ("3. Fine-tune", "pages/lora.py", "LoRA fine-tune",
     "Train a low-rank adapter on a real model and compare before and after."),
    ("4. Evaluate", "pages/metrics.py", "ROUGE / BLEU",
     "Score generated text against references, and see where scores mislead."),
    ("5. Optimize", "pages/quantization.py", "Quantization",
     "Shrink the weights to 16, 8 or 4 bits and measure what it costs."),
    ("6. Augment with retrieval", "pages/rag.py", "RAG chat",
     "Ground answers in your documents, with citations."),
]  # fmt: skip

st.subheader("The lifecycle")
for step, path, title, line in STEPS:
    cols = st.columns([1.2, 1.3, 4])
    cols[0].markdown(f"**{step}**" if step else "")
    cols[1].page_link(path, label=title)
    cols[2].markdown(line)

st.subheader("The models on this machine")
st.dataframe(
    [
        {"name": s.name, "kind": s.kind, "source": s.source, "about": s.description}
        for s in models.list_models()
    ],
    hide_index=True,
    width="stretch",
)
st.caption(
    "Embedded models work with no network. Hub models load when a network is there; pick them "
    "in the sidebar (or type any Hugging Face id)."
)
