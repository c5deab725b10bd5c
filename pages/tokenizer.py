"""Tokenizer visualizer: text -> the token ids a model really sees, and how BPE learns them."""

from __future__ import annotations

import streamlit as st

from core import tokenizers as tk
from core.knobs import spec
from core.settings import get_settings
from core.text import clean_text
from ui import tokenizer_view as view
from ui.render import input_notes, page_header, predict_then_reveal, what_to_notice
from ui.sidebar import active_model
from ui.urlstate import left_out_caption, sync_url, url_state

EX = tk.examples()
NAMES = [t.name for t in tk.list_tokenizers()]
LANGS = EX["parallel"]["languages"]

page_header(
    "Tokenizer visualizer",
    "A model never reads letters: it reads token ids. Type anything and see how real tokenizers "
    "cut it up, what each piece costs, and how BPE learns its pieces.",
)
side = active_model("tokenizer")
first = side if side in NAMES else "cl100k_base"
url_state(
    {
        "tokenizer_text": EX["examples"]["Multilingual line"],
        "tokenizer_names": list(dict.fromkeys([first, "cl100k_base", "minilm", "tiny-gpt"]))[:3],
        "tokenizer_hub": "" if side in NAMES else side,
        "tokenizer_view": "text",
        "tokenizer_ws": False,
        "tokenizer_special": False,
        "tokenizer_bpe_text": EX["bpe_text"],
        "tokenizer_bpe_merges": spec(tk.BpeConfig, "num_merges"),
        "tokenizer_bpe_step": 12,
        "tokenizer_bpe_word": "slowest",
    },
    choices={"tokenizer_names": NAMES, "tokenizer_view": list(view.VIEWS)},
    bounds={"tokenizer_bpe_merges": view.MERGES, "tokenizer_bpe_step": (0, view.MERGES[1])},
)


def _load_example(label: str) -> None:
    st.session_state["tokenizer_text"] = EX["examples"][label]


st.caption("Examples")
for col, label in zip(st.columns(len(EX["examples"])), EX["examples"], strict=True):
    col.button(
        label, key=f"tokenizer_ex_{label}", on_click=_load_example, args=(label,), width="stretch"
    )
st.text_area("Text", key="tokenizer_text", height=110)
left_out_caption("tokenizer_text")
c1, c2 = st.columns([3, 2])
c1.multiselect(
    "Tokenizers to compare (up to 3)",
    NAMES,
    key="tokenizer_names",
    max_selections=3,
    help="Offline: cl100k_base (GPT-4), minilm (BERT WordPiece), tiny-gpt (this project's BPE). "
    "The others download from the Hugging Face Hub when online.",
)
c2.text_input(
    "Add any hub tokenizer",
    key="tokenizer_hub",
    placeholder="e.g. google-t5/t5-small",
    help="Online only: loads the tokenizer files with from_pretrained.",
)
c3, c4, c5 = st.columns([2, 2, 3], vertical_alignment="bottom")
c3.segmented_control(
    "Show tokens as",
    list(view.VIEWS),
    key="tokenizer_view",
    required=True,
    format_func=view.VIEWS.get,
)
c4.toggle("Show whitespace", key="tokenizer_ws", help="· space, → tab, ↵ newline")
c5.toggle(
    "Parse special tokens typed in the text",
    key="tokenizer_special",
    help="Off (tiktoken's default for user text): <|endoftext|> or [SEP] typed in the box is "
    "ordinary text. On: it becomes the special token itself, as if the program had put it "
    "there, which is how prompt injection through special tokens works.",
)

typed = tk.join_surrogate_pairs(st.session_state["tokenizer_text"])
clean = clean_text(typed, max_chars=get_settings().max_chars)
input_notes(clean)
wanted = list(dict.fromkeys(st.session_state["tokenizer_names"] or [first]))
if st.session_state["tokenizer_hub"].strip():
    wanted.append(st.session_state["tokenizer_hub"].strip())
names, missing = tk.split_available(wanted)
if missing:
    view.unavailable_message(missing)

tab_tokens, tab_lang, tab_bpe = st.tabs(["Tokens", "Languages compared", "How BPE builds tokens"])
vw = st.session_state["tokenizer_view"]
with tab_tokens:
    view.tokens_tab(clean, names, vw)

with tab_lang:
    st.markdown(f"One sentence, *{EX['parallel']['sentence']}*, in {len(LANGS)} languages/scripts.")
    comp = tk.compare(LANGS, names)  # only tokenizers that load: the warning above names the rest
    if comp.rows:
        st.plotly_chart(view.language_chart(comp, list(LANGS)))
        st.caption(view.language_caption(comp))


with tab_bpe:
    st.markdown(
        "Byte-level BPE starts from the 256 byte values and repeatedly **merges the most frequent "
        "adjacent pair** into a new token. Train one on the text below with the `tokenizers` "
        "library, then slide through its merges. The word is followed with a leading space, as "
        "it appears mid-sentence (`·`)."
    )
    view.bpe_section()


predict_then_reveal(
    "tokenizer_predict",
    "how many tokens is the word 'unbelievable' (no space before it) for GPT-4's cl100k_base?",
    ["1", "2", "3", "4 or more"],
    view.reveal_unbelievable,
)
what_to_notice(view.notice_points())
sync_url()
