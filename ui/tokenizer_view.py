"""Drawing for the tokenizer page: token chips, counts, the language chart and the BPE replay."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import tokenizers as tk
from core.text import CleanText
from core.tokenizers import BpeResult, ComparisonResult, Token, TokenizationResult
from ui import knobs
from ui.render import md_code
from ui.urlstate import left_out_caption, sync_url

# BpeConfig's num_merges knob gives the default and the engine's range; the page offers fewer
# merges (each one is replayed live), the replay slider at most as many
MERGES = (5, 300)

MAX_CHIPS = 1500  # more chips than this make the browser sluggish; counts still cover everything
VIEWS = {"text": "Text", "ids": "Ids", "bytes": "Bytes"}
PALETTE = ["#fde2a4", "#b8e0d2", "#d6c4f0", "#ffc9c9", "#bde0fe", "#e2f0cb", "#ffd6a5", "#cdeac0"]
FAMILY = {
    "tiktoken": "byte-level BPE (tiktoken)",
    "byte-level": "byte-level BPE",
    "wordpiece": "WordPiece",
    "metaspace": "SentencePiece",
    "other": "tokenizer",
}
CSS = """<style>
.tokviz{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:0.92rem;line-height:2.1;
 white-space:normal;max-height:420px;overflow:auto;padding:4px}
.tokviz .t{display:inline-block;white-space:pre;line-height:1.45;border-radius:4px;
 padding:1px 2px;margin:1px;border:1px solid rgba(0,0,0,.08);color:#1f2328}
.tokviz .t:hover{outline:2px solid #ff4b4b}
.tokviz .special{background:#eaeef2!important;border:1px dashed #57606a;font-weight:600}
.tokviz .unknown{background:#fff!important;border:2px solid #cf222e;color:#cf222e}
.tokviz .partial{text-decoration:underline dotted #8250df;font-style:italic}
.stats{display:flex;flex-wrap:wrap;gap:6px 22px;margin:2px 0 6px 0}
.stats .v{font-size:1.6rem;font-weight:600;line-height:1.1}
.stats .k{font-size:0.8rem;color:#6e7781}
</style>"""
_WS = {" ": "·", "\t": "→", "\n": "↵", "\r": "␍"}


def visible(text: str, show_ws: bool) -> str:
    """Text for a chip: control characters as escapes, whitespace marked when asked."""
    out = []
    for c in text:
        if show_ws and c in _WS:
            out.append(_WS[c])
        elif c == "\n":
            out.append("↵")
        elif unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c not in "\t":
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def tooltip(t: Token, text: str) -> str:
    """Hover text of a chip: id, piece, bytes and character span."""
    span = text[t.start : t.end]
    span_s = f"chars {t.start}–{t.end}" + (f" {span!r}" if span else " (inserted, not in the text)")
    kind = "" if t.kind == "normal" else f"\n{t.kind} token"
    part = "\nsplits a character: only some of its bytes" if t.partial else ""
    hexes = " ".join(f"{b:02x}" for b in t.bytes) or "—"
    return f"id {t.id}\npiece {t.piece!r}\nbytes {hexes}\n{span_s}{kind}{part}"


def chips_html(result: TokenizationResult, view: str, show_ws: bool, limit: int = MAX_CHIPS) -> str:
    """HTML of the token chips (first ``limit`` tokens).

    Each chip is one unbreakable box (inline-block, ``white-space: pre``): a line wraps only
    between tokens, never inside one. A token holding a newline shows it as ↵ and, in the text
    view, is followed by a real line break, so the text keeps its lines.
    """
    parts = [CSS, '<div class="tokviz">']
    for i, t in enumerate(result.head(limit)):
        if view == "ids":
            label = str(t.id)
        elif view == "bytes":
            label = " ".join(f"{b:02x}" for b in t.bytes)
        else:
            label = visible(t.text, show_ws) if t.kind == "normal" else t.text
        cls = ["t", t.kind] + (["partial"] if t.partial else [])
        color = PALETTE[i % len(PALETTE)]
        tip = html.escape(tooltip(t, result.text), quote=True)
        parts.append(
            f'<span class="{" ".join(cls)}" style="background:{color}" title="{tip}">'
            f"{html.escape(label)}</span>"
        )
        if view == "text" and "\n" in t.text and t.kind == "normal":
            parts.append("<br>")
        elif view != "text":
            parts.append(" ")
    parts.append("</div>")
    return "".join(parts)


def unavailable_message(missing: dict[str, str]) -> None:
    """One notice for every tokenizer that cannot load here, instead of a broken column each."""
    offline = [n for n, why in missing.items() if "no network" in why]
    lines = []
    if offline:
        lines.append(
            f"Not shown: {', '.join(offline)}. Hub tokenizers download from the Hugging Face "
            "Hub, and there is no network here; the offline ones (cl100k_base, minilm, "
            "tiny-gpt) always work."
        )
    lines += [f"Not shown: {why}" for n, why in missing.items() if n not in offline]
    st.warning("\n\n".join(lines), icon=":material/cloud_off:")


def special_note(result: TokenizationResult, parsed: bool) -> None:
    """Say how special-token strings typed in the text were read (only when there are some)."""
    typed = result.typed_specials
    if not typed:
        return
    shown = ", ".join(f"`{s}`" for s in typed)
    if parsed:
        st.caption(f"{shown} typed in the text became the special token (the toggle is on).")
    else:
        st.caption(
            f"{shown} typed in the text is read as ordinary characters, not as the special "
            "token: switch on 'Parse special tokens' to see the difference."
        )


def counts_html(result: TokenizationResult) -> str:
    """The four counts in one compact row (fits a narrow column)."""
    items = [
        ("tokens", f"{result.n_tokens:,}"),
        ("characters", f"{result.n_chars:,}"),
        ("words", f"{result.n_words:,}"),
        ("chars / token", f"{result.chars_per_token:.2f}"),
    ]
    cells = "".join(
        f'<div class="stat"><div class="v">{v}</div><div class="k">{k}</div></div>'
        for k, v in items
    )
    return f'{CSS}<div class="stats">{cells}</div>'


def token_block(result: TokenizationResult, view: str, show_ws: bool) -> None:
    """Counts, chips and the notes a learner needs to read them, for one tokenizer."""
    st.html(counts_html(result))
    if not result.n_tokens:
        st.caption("No tokens: this tokenizer adds nothing to an empty text.")
        return
    st.html(chips_html(result, view, show_ws))
    notes = []
    if result.n_tokens > MAX_CHIPS:
        notes.append(f"showing the first {MAX_CHIPS:,} of {result.n_tokens:,} tokens")
    if result.n_special:
        notes.append(f"{result.n_special} special token(s), dashed border")
    if result.n_unknown:
        notes.append(
            f"{result.n_unknown} unknown [UNK] token(s), red: this vocabulary cannot spell them"
        )
    if view == "text" and any(t.partial for t in result.head(MAX_CHIPS)):
        notes.append("italic = part of a character's bytes (\\xNN)")
    if not result.lossless:
        notes.append("lossy: decoding gives back normalized text (lower case, no accents)")
    st.caption(" · ".join(["Hover a chip for id, bytes and span", *notes]))


def summary_frame(results: Sequence[TokenizationResult]) -> pd.DataFrame:
    """One row per tokenizer: the side-by-side numbers."""
    base = results[0].n_tokens - results[0].n_special or 1
    return pd.DataFrame(
        [
            {
                "tokenizer": r.tokenizer,
                "kind": FAMILY[r.family],
                "tokens": r.n_tokens,
                "tokens / word": round(r.tokens_per_word, 2),
                "chars / token": round(r.chars_per_token, 2),
                f"vs {results[0].tokenizer}": f"×{(r.n_tokens - r.n_special) / base:.2f}",
            }
            for r in results
        ]
    )


def language_chart(comp: ComparisonResult, order: Sequence[str]) -> go.Figure:
    """Grouped bars: tokens for the same sentence per language/script, one colour per tokenizer."""
    fig = go.Figure()
    names = list(dict.fromkeys(r.tokenizer for r in comp.rows))
    for name in names:
        rows = {r.label: r for r in comp.rows if r.tokenizer == name}
        base = rows[order[0]].n_tokens or 1
        fig.add_bar(
            name=name,
            x=list(order),
            y=[rows[lang].n_tokens for lang in order],
            text=[f"×{rows[lang].n_tokens / base:.1f}" for lang in order],
            textposition="outside",
            customdata=[[rows[lang].n_chars, rows[lang].chars_per_token] for lang in order],
            hovertemplate="%{x}<br>" + name + ": %{y} tokens (%{text} English)<br>"
            "%{customdata[0]} characters, %{customdata[1]:.2f} chars/token<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        height=420,
        margin=dict(t=40, b=10, l=10, r=10),
        yaxis_title="tokens for the same sentence",
        legend_title="tokenizer",
        title="Same meaning, different price: tokens per language (×N = relative to English)",
    )
    fig.update_yaxes(rangemode="tozero")
    return fig


def segmentation_html(pieces: Sequence[str], show_ws: bool = True) -> str:
    """Chips for a list of pieces (BPE replay)."""
    chips = "".join(
        f'<span class="t" style="background:{PALETTE[i % len(PALETTE)]}">'
        f"{html.escape(visible(p, show_ws))}</span>"
        for i, p in enumerate(pieces)
    )
    return f'{CSS}<div class="tokviz" style="font-size:1.1rem">{chips}</div>'


def merges_frame(bpe: BpeResult) -> pd.DataFrame:
    """The merge table with pieces shown as text (``·`` = space)."""
    return pd.DataFrame(
        [
            {
                "step": m.rank,
                "left": visible(tk.bpe.show(m.left), True),
                "right": visible(tk.bpe.show(m.right), True),
                "new token": visible(tk.bpe.show(m.new), True),
                "pair count": m.count,
                "text tokens after": m.tokens_after,
            }
            for m in bpe.merges
        ]
    )


def compression_chart(bpe: BpeResult, step: int) -> go.Figure:
    """Tokens needed for the whole training text after each merge, with the current step."""
    xs = list(range(len(bpe.merges) + 1))
    ys = [bpe.tokens_before] + [m.tokens_after for m in bpe.merges]
    hover = "after %{x} merges: %{y} tokens<extra></extra>"
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", name="tokens", hovertemplate=hover))
    fig.add_scatter(
        x=[step],
        y=[ys[step]],
        mode="markers",
        marker=dict(size=12, color="#ff4b4b"),
        name="now",
        hovertemplate="step %{x}: %{y} tokens<extra></extra>",
    )
    fig.update_layout(
        height=260,
        margin=dict(t=30, b=10, l=10, r=10),
        showlegend=False,
        xaxis_title="merges learned",
        yaxis_title="tokens in the text",
        title="Each merge makes the text shorter",
    )
    fig.update_yaxes(rangemode="tozero")
    return fig


def bpe_step_panel(bpe: BpeResult, step: int, word: str) -> None:
    """The current merge, the word's segmentation now, and its history."""
    if step:
        m = bpe.merges[step - 1]
        code = lambda piece: md_code(visible(tk.bpe.show(piece), True))  # noqa: E731
        left, right, new = code(m.left), code(m.right), code(m.new)
        st.markdown(
            f"**Merge {step}:** {left} + {right} → {new} "
            f"(the most frequent pair: {m.count} times). The text now takes "
            f"**{m.tokens_after}** tokens instead of {bpe.tokens_before} bytes."
        )
    else:
        st.markdown(f"**Step 0:** every byte is its own token ({bpe.tokens_before} tokens).")
    seg = bpe.segment(word, step)
    st.markdown(f"{md_code(visible(word, True))} after {step} merges: **{len(seg)}** token(s)")
    st.html(segmentation_html(seg))
    hist = bpe.history(word)
    rows = [
        {
            "after merge": s,
            "segmentation": " | ".join(visible(p, True) for p in seg_),
            "tokens": len(seg_),
            "now": "◀" if s == max(x for x, _ in hist if x <= step) else "",
        }
        for s, seg_ in hist
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def wordpiece_panel(words: Sequence[str]) -> None:
    """WordPiece (MiniLM/BERT) on a few words, live, with ``##`` explained."""
    rows, split = [], None
    for w in words:
        r = tk.tokenize(w, "minilm", add_special_tokens=False)
        pieces = " ".join(t.piece for t in r.tokens)
        split = split or (pieces if "##" in pieces else None)
        rows.append({"word": w, "WordPiece (minilm)": pieces, "tokens": r.n_tokens})
    example = f"{md_code(split)} is one word" if split else "`##ing` continues the word before it"
    st.markdown(
        "**WordPiece's `##`** (BERT, MiniLM). WordPiece also builds words from pieces, but it "
        "marks a piece that *continues* a word with `##`, where byte-level BPE marks the space "
        f"before a word (`·`, stored as `Ġ`). {example}: the model can tell where words start. "
        "It lower-cases and strips accents first, and a character it cannot spell becomes "
        "`[UNK]`."
    )
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def language_caption(comp: ComparisonResult) -> str:
    """One sentence naming the most expensive language, measured."""
    worst, eng = comp.most_expensive("English")
    return (
        f"Most expensive here: {worst.label} with {worst.tokenizer}, {worst.n_tokens} tokens "
        f"vs {eng.n_tokens} for English (×{worst.n_tokens / max(eng.n_tokens, 1):.1f}). "
        "Vocabularies are learned mostly from English text, so other scripts fall back to "
        "smaller pieces, down to single bytes."
    )


def reveal_unbelievable() -> tuple[str, str]:
    """The predict-then-reveal answer, tokenized on the spot."""
    plain = tk.tokenize("unbelievable", "cl100k_base")
    spaced = tk.tokenize(" unbelievable", "cl100k_base")
    pieces = " | ".join(t.text for t in plain.tokens)
    answer = str(plain.n_tokens) if plain.n_tokens < 4 else "4 or more"
    return answer, (
        f"cl100k_base splits it as {pieces}. But ' unbelievable' with a leading space, as it "
        f"appears inside a sentence, is {spaced.n_tokens} token(s): the vocabulary learned the "
        "spaced form, which is far more frequent."
    )


def notice_points() -> list[str]:
    """The "what to notice" bullets, with their examples measured live."""
    digits = " | ".join(t.text for t in tk.tokenize("1234567").tokens)
    n_emoji = tk.tokenize("👩‍💻").n_tokens
    the = [tk.tokenize(w).ids for w in ("the", " the")]
    return [
        f"A leading space is part of the token in BPE: `the` is id {the[0][0]} but `·the` is id "
        f"{the[1][0]}, so the same word costs differently at the start of a line.",
        f"Emoji and many CJK characters take several byte tokens (👩‍💻 is {n_emoji} tokens in "
        "cl100k_base); the italic chips hold only part of a character.",
        "cl100k_base cuts numbers into chunks of up to three digits "
        f"(1234567 → {digits}), one reason models stumble at arithmetic.",
        "WordPiece lower-cases and strips accents (lossy), and turns what it cannot spell into "
        "[UNK]; byte-level BPE can always spell everything.",
    ]


def tokens_tab(clean: CleanText, names: Sequence[str], vw: str) -> None:
    """The Tokens tab: each tokenizer's tokens side by side, their summary and the first ids."""
    results: list[tk.TokenizationResult] = []
    if not clean.text:
        st.info("Type some text above, or load an example, to see its tokens.")
    elif not names:
        st.info("Pick a tokenizer that works offline above (cl100k_base, minilm, tiny-gpt).")
    else:
        if clean.empty:
            st.info("Only whitespace: watch how each tokenizer treats spaces and newlines.")
        special = st.session_state["tokenizer_special"]
        for col, name in zip(st.columns(len(names)), names, strict=True):
            with col:
                st.subheader(name, anchor=False)
                r = tk.tokenize(clean.text, name, parse_special=special)
                st.caption(FAMILY[r.family] + f" · {len(r.ids):,} ids")
                token_block(r, vw, st.session_state["tokenizer_ws"])
                special_note(r, special)
                results.append(r)
    if len(results) > 1:
        st.markdown("**Side by side** on this text")
        st.dataframe(summary_frame(results), hide_index=True)
    if results:
        with st.expander(f"Ids as a list ({results[0].tokenizer})"):
            ids = results[0].ids
            if len(ids) > 5000:
                st.caption(f"The first 5,000 of {len(ids):,} ids.")
            st.code(str(list(ids[:5000])), language=None, wrap_lines=True)


@st.fragment
def bpe_section() -> None:
    """The BPE tab's trainer, replay and merge table (a fragment: its widgets rerun only it)."""
    _bpe_body()
    sync_url()  # a fragment rerun skips the end of the page


def _bpe_body() -> None:
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.text_area("Training text (a few lines)", key="tokenizer_bpe_text", height=110)
        left_out_caption("tokenizer_bpe_text", "training text")
        a, b = st.columns(2)
        knobs.slider(
            tk.BpeConfig,
            "num_merges",
            key="tokenizer_bpe_merges",
            label="Merges to learn",
            where=a,
            min_value=MERGES[0],
            max_value=MERGES[1],
        )
        b.text_input("Word to follow", key="tokenizer_bpe_word")
        try:
            cfg = tk.BpeConfig(
                st.session_state["tokenizer_bpe_text"], st.session_state["tokenizer_bpe_merges"]
            )
        except ValueError as e:
            st.warning(str(e))
            return
        bpe = _train_bpe_cached(cfg.text, cfg.num_merges)
        if not bpe.merges:
            st.warning("No pair occurs twice in this text: give BPE some repetition to learn from.")
            return
        n = len(bpe.merges)
        st.session_state["tokenizer_bpe_step"] = min(st.session_state["tokenizer_bpe_step"], n)
        step = st.slider("Replay: merges applied", 0, n, key="tokenizer_bpe_step")
        word = st.session_state["tokenizer_bpe_word"].strip() or "slowest"
        bpe_step_panel(bpe, step, " " + word)
        st.plotly_chart(compression_chart(bpe, step))
        short = ", then no pair occurred twice" if n < cfg.num_merges else ""
        with st.expander(f"Merge table ({n} merges learned{short}; vocabulary = 256 + {n})"):
            st.dataframe(merges_frame(bpe), hide_index=True, height=300)
    with right:
        wordpiece_panel(dict.fromkeys([word, "unbelievable", "tokenization", "playground"]))


@st.cache_data(max_entries=32, show_spinner="Training a byte-level BPE...")
def _train_bpe_cached(text: str, num_merges: int) -> tk.BpeResult:
    return tk.train_bpe(tk.BpeConfig(text, num_merges))
