"""Model families: the same items on an encoder, a decoder and an encoder-decoder, measured."""

from __future__ import annotations

import streamlit as st

from core.families import FAMILIES, FamiliesConfig
from core.knobs import spec
from ui import families_view as view
from ui import knobs
from ui.render import page_header, predict_then_reveal, what_to_notice
from ui.urlstate import sync_url, url_state

page_header(
    "Model families",
    "Encoder only (BERT-like), decoder only (GPT-like) and encoder-decoder (T5-like) models get "
    "the same held-out questions. Each answers in its own way; accuracy, time and size are "
    "measured right now, on this machine.",
)
url_state(
    {
        "families_task": spec(FamiliesConfig, "task"),
        "families_n_items": spec(FamiliesConfig, "n_items"),
        "families_k": spec(FamiliesConfig, "k"),
    }
)
st.session_state.setdefault("families_run", 0)  # "Measure again" bumps it: not in the link
view.link_notes({"families_task": "task", "families_n_items": "n_items", "families_k": "k"})
c_task, c_n, c_k = st.columns([2, 1, 1])
knobs.select(
    FamiliesConfig,
    "task",
    key="families_task",
    label="Task",
    where=c_task,
    format_func=view.TASK_LABELS.get,
)
knobs.slider(FamiliesConfig, "n_items", key="families_n_items", label="Items", where=c_n)
knobs.slider(FamiliesConfig, "k", key="families_k", label="Shots for tiny-gpt", where=c_k)

try:
    config = FamiliesConfig(
        task=st.session_state["families_task"],
        n_items=int(st.session_state["families_n_items"]),
        k=int(st.session_state["families_k"]),
    )
except ValueError as e:
    st.error(f"These settings cannot run: {e}.", icon=":material/error:")
    sync_url()
    st.stop()

loaded = view.load_models(config)
if st.button("Measure again", key="families_measure", help="Re-run and re-time every item."):
    st.session_state["families_run"] += 1
result = view.run(config, int(st.session_state["families_run"]), loaded)
for note in result.notes:
    st.info(note, icon=":material/info:")


def _reveal() -> tuple[str, str]:
    best = result.best()
    answer = OPTIONS[-1] if len(best) > 1 else OPTIONS[FAMILIES.index(best[0])]
    return answer, view.verdict_points(result)[1].removeprefix("**Measured just now**: ")


OPTIONS = [view.TITLES[f] for f in FAMILIES] + ["A tie at the top"]
predict_then_reveal(
    "families_predict",
    f"On these {len(result.items)} items, which family will be the most accurate?",
    OPTIONS,
    _reveal,
)

st.subheader("Measured on the same items")
view.family_cards(result)
st.plotly_chart(view.bars_figure(result), width="stretch", key="families_bars")
st.caption(view.bars_caption(result))
with st.container(border=True):
    st.markdown("**Which family for which task?**")
    st.markdown("\n".join(f"- {p}" for p in view.verdict_points(result)))
st.markdown(view.encoder_note(result))

st.subheader("The attention masks each family uses")
st.caption(
    f"Drawn over the real tokens of item 1 ({result.items[0].input!r}): a coloured cell means "
    "the row's token may read the column's token; grey cells are blocked. In the labels, ␣ is a "
    "space at the start of a token and ↵ a newline; hover a cell for its pair."
)
view.masks_panel(result)

st.subheader("Item by item")
st.dataframe(view.item_table(result), hide_index=True, width="stretch")
with st.expander("The exact text each model read for item 1"):
    for run in result.runs:
        st.markdown(f"**{view.TITLES[run.family]}** · `{run.model}`")
        st.code(run.inputs[0], language=None)

what_to_notice(view.notice_points(result))
sync_url()
