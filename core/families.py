"""Which family for which task: the same held-out items run on an encoder, a decoder and an
encoder-decoder, each measured on the spot.

- **encoder only** (MiniLM): it turns text into vectors and cannot write. Sentiment is a
  logistic-regression head (:func:`core.evaluation.fit_logistic_regression`) trained on the
  MiniLM sentence embeddings of a labelled review set that holds none of the scored reviews;
  translation picks, among the item's given candidates, the one whose embedding is closest by
  cosine to the request (the very text tiny-t5's encoder reads).
- **decoder only** (tiny-gpt): a k-shot prompt in the prompt-shot page's format
  (:func:`core.prompting.build_prompt`), continued greedily (:func:`core.generation.greedy_ids`)
  up to the end of the line; its first line is the answer. It is also scored the encoder's way,
  picking among the same candidates by log-probability (:func:`core.evaluation.choice_scores`).
- **encoder-decoder** (tiny-t5): the T5 source (:func:`core.corpus.translate_source`,
  :func:`core.corpus.sentiment_source`), greedy output (:func:`core.tinyt5.translate`).

Every answer is scored by :func:`core.evaluation.exact_match`; every item's call is timed in
turns across the families (:func:`core.evaluation.time_interleaved`), after one untimed warm-up
each. The attention masks are drawn over the real tokens of the first item.

>>> FamiliesConfig(n_items=0)
Traceback (most recent call last):
...
ValueError: items must be between 1 and 60, got 0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core import corpus
from core.cache import LRU
from core.evaluation import (
    ChoiceCase,
    LatencyComparison,
    Timings,
    accuracy,
    choice_scores,
    compare_latency,
    exact_match,
    fit_logistic_regression,
    probe_logits,
    time_interleaved,
)
from core.generation import greedy_ids, library_stop_ids
from core.knobs import check, knob
from core.models import context_size
from core.prompting import Example, Task, build_prompt, load_task

Family = Literal["encoder", "decoder", "encoder-decoder"]
FAMILIES: tuple[Family, ...] = ("encoder", "decoder", "encoder-decoder")
TASKS = ("translation", "sentiment")
LANG = "French"  # the translation task's target language (assets/tasks/translation.json)
MAX_NEW_TOKENS = 6  # the decoder's answer: a word or a label, then a newline (prompting's 6)
MAX_MASK_TOKENS = 160  # tokens drawn per mask side; a longer prompt is drawn to its end
# the course notes' rule: classification and tagging -> encoder, open generation -> decoder,
# translation and summarization -> encoder-decoder
TEXTBOOK: dict[str, Family] = {"translation": "encoder-decoder", "sentiment": "encoder"}


@dataclass(frozen=True)
class FamiliesConfig:
    """What to run: which task, how many of its held-out items, how many shots for tiny-gpt.

    Args:
        task: ``translation`` (English word => French word) or ``sentiment`` (a review =>
            positive / negative).
        n_items: the first n held-out items of the task (fewer when the task has fewer).
        k: solved examples put before the question in tiny-gpt's prompt (0 = zero-shot).
        encoder / decoder / seq2seq: the catalog names of the three models.
    """

    task: str = knob(
        "translation",
        choices=TASKS,
        help="Translation asks for text; sentiment picks one of two labels.",
    )
    n_items: int = knob(
        12,
        lo=1,
        hi=60,
        step=1,
        label="items",
        help="The first n held-out items of the task, the same ones for all three models.",
    )
    k: int = knob(
        4,
        lo=0,
        hi=8,
        step=1,
        label="shots",
        help="Solved examples before the question in tiny-gpt's prompt (0: zero-shot).",
    )
    encoder: str = "minilm"
    decoder: str = "tiny-gpt"
    seq2seq: str = "tiny-t5"

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class MaskView:
    """One attention mask over real tokens: ``mask[i, j]`` is True where query token ``rows[i]``
    may attend to key token ``cols[j]``.

    Args:
        name: what it is (``encoder self-attention``...).
        kind: ``bidirectional`` (all ones), ``causal`` (lower triangle) or ``cross`` (every
            decoder token reads every source token).
        rows / cols: the query and key tokens, as text.
        mask: (len(rows), len(cols)) booleans.
        n_rows_total / n_cols_total: the tokens before a long side was cut to its last
            :data:`MAX_MASK_TOKENS`.
    """

    name: str
    kind: Literal["bidirectional", "causal", "cross"]
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    mask: Any
    n_rows_total: int
    n_cols_total: int

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.cols))

    @property
    def share_open(self) -> float:
        """The share of (query, key) pairs the mask lets through."""
        return float(np.asarray(self.mask).mean())


@dataclass(frozen=True)
class FamilyRun:
    """One family on every item: its answers, whether each is right, its time per item.

    Args:
        family: ``encoder``, ``decoder`` or ``encoder-decoder``.
        model: the catalog name.
        method: how it answers, in one line.
        generates: it writes its answer (False: it picks one of the given choices).
        inputs: the exact text the model read for each item.
        outputs: its answer per item.
        correct: exact match of each answer with the reference.
        timings: milliseconds per item, one sample per item.
        n_params: parameters (the encoder's head included).
        masks: the attention masks it uses, over the first item's tokens.
    """

    family: Family
    model: str
    method: str
    generates: bool
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    correct: tuple[bool, ...]
    timings: Timings
    n_params: int
    masks: tuple[MaskView, ...]

    @property
    def accuracy(self) -> float:
        return accuracy(self.correct)

    @property
    def n_correct(self) -> int:
        return sum(self.correct)


@dataclass(frozen=True)
class HeadInfo:
    """The encoder's sentiment head: what it was trained on."""

    n_train: int  # labelled reviews it was fitted on
    n_removed: int  # training reviews dropped because their text is a held-out item
    train_accuracy: float
    n_params: int


@dataclass(frozen=True)
class FamiliesResult:
    """Everything the panel shows, measured in one run.

    Args:
        config: the settings.
        task_title: the task in words.
        items: the scored held-out items (input, reference, candidates), the same for each run.
        choices: each item's candidates (the labels for sentiment).
        runs: one :class:`FamilyRun` per family, in :data:`FAMILIES` order.
        decoder_picks: tiny-gpt's highest log-probability candidate per item (scored the way
            the encoder answers).
        chance: the accuracy of guessing among the candidates.
        head: the encoder's sentiment head (None for translation: cosine needs no training).
        notes: what was changed from the settings, in words.
    """

    config: FamiliesConfig
    task_title: str
    items: tuple[Example, ...]
    choices: tuple[tuple[str, ...], ...]
    runs: tuple[FamilyRun, ...]
    decoder_picks: tuple[str, ...]
    chance: float
    head: HeadInfo | None
    notes: tuple[str, ...]

    def run(self, family: Family) -> FamilyRun:
        return next(r for r in self.runs if r.family == family)

    @property
    def decoder_pick_correct(self) -> tuple[bool, ...]:
        return tuple(
            exact_match(p, it.output) for p, it in zip(self.decoder_picks, self.items, strict=True)
        )

    @property
    def decoder_pick_accuracy(self) -> float:
        return accuracy(self.decoder_pick_correct)

    def best(self) -> tuple[Family, ...]:
        """The families with the highest accuracy (several on a tie)."""
        top = max(r.accuracy for r in self.runs)
        return tuple(r.family for r in self.runs if r.accuracy == top)

    @property
    def textbook(self) -> Family:
        """The family the course notes' rule picks for this task."""
        return TEXTBOOK[self.config.task]

    @property
    def textbook_holds(self) -> bool:
        """The rule's family is among the most accurate on these items."""
        return self.textbook in self.best()

    def fastest(self) -> Family:
        """The family with the lowest median time per item."""
        return min(self.runs, key=lambda r: r.timings.median).family

    def speed_against_fastest(self) -> dict[Family, LatencyComparison]:
        """The fastest family's per-item times against each other family's
        (:func:`core.evaluation.compare_latency`: ``faster`` only when every item of one took
        less time than every item of the other, and that is unlikely by chance)."""
        best = self.run(self.fastest())
        return {
            r.family: compare_latency(best.timings.samples_ms, r.timings.samples_ms)
            for r in self.runs
            if r.family != best.family
        }


# --- masks over real tokens ----------------------------------------------------------------------
def _labels(tokenizer: Any, ids: Sequence[int]) -> tuple[str, ...]:
    """Each token as text (a newline shown as ⏎, a space as ·, so none is invisible)."""
    out = []
    for i in ids:
        t = tokenizer.decode([int(i)])
        out.append(t.replace("\n", "⏎").replace(" ", "·") or "∅")
    return tuple(out)


def full_mask(n_rows: int, n_cols: int) -> Any:
    """Every query reads every key: an encoder's self-attention, and cross-attention.

    >>> full_mask(2, 3).astype(int).tolist()
    [[1, 1, 1], [1, 1, 1]]
    """
    return np.ones((n_rows, n_cols), dtype=bool)


def causal_mask(n: int) -> Any:
    """Token i reads tokens 0..i: a decoder's self-attention (the lower triangle).

    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    return np.tril(np.ones((n, n), dtype=bool))


def _mask_view(
    name: str,
    kind: Literal["bidirectional", "causal", "cross"],
    rows: tuple[str, ...],
    cols: tuple[str, ...],
) -> MaskView:
    mask = causal_mask(len(rows)) if kind == "causal" else full_mask(len(rows), len(cols))
    # a long prompt keeps its end (the question); a causal mask cut that way stays triangular
    r0, c0 = max(0, len(rows) - MAX_MASK_TOKENS), max(0, len(cols) - MAX_MASK_TOKENS)
    return MaskView(name, kind, rows[r0:], cols[c0:], mask[r0:, c0:], len(rows), len(cols))


def encoder_masks(tokenizer: Any, text: str) -> tuple[MaskView, ...]:
    """The encoder's one mask: full bidirectional self-attention over ``text``'s tokens."""
    labels = _labels(tokenizer, tokenizer(text)["input_ids"])
    return (_mask_view("encoder self-attention", "bidirectional", labels, labels),)


def decoder_masks(tokenizer: Any, ids: Sequence[int]) -> tuple[MaskView, ...]:
    """The decoder's one mask: causal self-attention over the prompt's tokens ``ids``."""
    labels = _labels(tokenizer, ids)
    return (_mask_view("decoder self-attention", "causal", labels, labels),)


def seq2seq_masks(tokenizer: Any, source: str, output: str) -> tuple[MaskView, ...]:
    """An encoder-decoder's three masks: the encoder's full self-attention over the source,
    the decoder's causal self-attention over what it reads (its start token, then each token
    it wrote: the answer and ``</s>`` are the last row's output), and cross-attention from
    every decoder token to every source token (T_tgt x T_src)."""
    src = _labels(tokenizer, tokenizer(source)["input_ids"])
    written = tokenizer(output, add_special_tokens=False)["input_ids"]
    # the decoder reads its start token (T5's <pad>, shown as <start>), then each token it
    # wrote but the last (</s>, which ended the answer): one row per step
    tgt = ("<start>", *_labels(tokenizer, written))
    return (
        _mask_view("encoder self-attention", "bidirectional", src, src),
        _mask_view("decoder self-attention", "causal", tgt, tgt),
        _mask_view("cross-attention (decoder reads source)", "cross", tgt, src),
    )


# --- the encoder's sentiment head ----------------------------------------------------------------
_HEADS: LRU[tuple[Any, Any, HeadInfo]] = LRU(max_items=4)


def head_training_rows(held_out: Sequence[str]) -> tuple[list[dict[str, str]], int]:
    """The labelled reviews the head trains on: :func:`core.corpus.review_dataset` minus every
    review whose text is one of ``held_out`` (the grammar can write the same review twice).

    Returns:
        (rows, how many were removed).

    >>> rows, removed = head_training_rows([corpus.review_dataset()[0]["text"]])
    >>> removed >= 1, len(rows) + removed
    (True, 300)
    """
    banned = set(held_out)
    rows = corpus.review_dataset()
    kept = [r for r in rows if r["text"] not in banned]
    return kept, len(rows) - len(kept)


def sentiment_head(embedder: Any, task: Task) -> tuple[Any, Any, HeadInfo]:
    """A logistic regression over ``embedder``'s sentence embeddings, trained on the review set
    without any of ``task``'s held-out items. Built once per embedder and task.

    Returns:
        (weight (H, C), bias (C,), :class:`HeadInfo`); class i is ``task.labels[i]``.
    """
    import torch

    key = (embedder.name, id(embedder.model), task.to_json())
    cached = _HEADS.get(key)
    if cached is not None:
        return cached
    labels = tuple(task.labels or ())
    rows, removed = head_training_rows([it.input for it in task.items])
    x = torch.as_tensor(np.asarray(embedder.encode([r["text"] for r in rows])))  # (N, H)
    y = torch.tensor([labels.index(r["label"]) for r in rows])  # (N,)
    w, b = fit_logistic_regression(x, y)
    train_acc = float((probe_logits(x, w, b).argmax(-1) == y).float().mean())
    info = HeadInfo(len(rows), removed, train_acc, int(w.numel() + b.numel()))
    _HEADS.put(key, (w, b, info))
    return w, b, info


# --- the run -------------------------------------------------------------------------------------
def _first_line(text: str) -> str:
    return text.strip().split("\n")[0].strip()


def compare_families(
    config: FamiliesConfig,
    encoder: Any,
    decoder: Any,
    seq2seq: Any,
    *,
    on_step: Callable[[int, int, str], None] | None = None,
) -> FamiliesResult:
    """Run the task's first ``config.n_items`` held-out items on the three families.

    Args:
        config: the settings.
        encoder: a sentence embedder (:func:`core.models.load_embedder`).
        decoder: a causal LM (:class:`core.models.LoadedModel`).
        seq2seq: an encoder-decoder (:class:`core.models.LoadedModel`).
        on_step: called as ``on_step(done, total, what)`` as the run goes (the head's fit,
            each item, tiny-gpt's candidate scores).

    Returns:
        A :class:`FamiliesResult`.
    """
    from core.tinyt5 import translate

    task = load_task(config.task)
    notes: list[str] = []
    items = task.items[: config.n_items]
    if config.n_items > len(items):
        notes.append(
            f"The {config.task} task has {len(task.items)} held-out items: all of them are used."
        )
    k = min(config.k, len(task.examples))
    if config.k > k:
        notes.append(f"The task has {k} solved examples to use as shots: the prompt uses {k}.")
    choices = tuple(task.choices_for(it) for it in items)
    is_translation = config.task == "translation"

    # the exact text each family reads
    enc_inputs = tuple(
        corpus.translate_source(it.input, LANG) if is_translation else it.input for it in items
    )
    t5_inputs = tuple(
        corpus.translate_source(it.input, LANG)
        if is_translation
        else corpus.sentiment_source(it.input)
        for it in items
    )
    dtok, dmodel = decoder.tokenizer, decoder.model
    n_ctx = context_size(dmodel, dtok)
    prompts = [
        build_prompt(task, k, 0, item=it, instruction=False, tokenizer=dtok, max_tokens=n_ctx)
        for it in items
    ]
    for p in prompts[:1]:
        notes.extend(p.notes)
    # the bos segment included: the prompt-shot page's exact ids
    dec_texts = tuple("".join(s.text for s in p.segments) for p in prompts)
    dec_ids = [
        dtok(t, add_special_tokens=False)["input_ids"][-(n_ctx - MAX_NEW_TOKENS) :]
        for t in dec_texts
    ]
    newline = dtok("\n", add_special_tokens=False)["input_ids"]
    stops = set(library_stop_ids(dmodel)) | (set(newline) if len(newline) == 1 else set())

    def report(done: int, total: int, what: str) -> None:
        if on_step is not None:
            on_step(done, total, what)

    head = None
    if is_translation:
        method_enc = (
            "embeds the request and each candidate, picks the closest by cosine (it cannot write)"
        )

        def enc_answer(i: int) -> str:
            vecs = np.asarray(encoder.encode([enc_inputs[i], *choices[i]]))  # (1 + C, H) unit
            sims = vecs[1:] @ vecs[0]  # (C,)
            return choices[i][int(np.argmax(sims))]
    else:
        import torch

        report(0, len(items), "Fitting the encoder's head on the labelled reviews")
        w, b, head = sentiment_head(encoder, task)
        method_enc = "sentence embedding + logistic-regression head (it cannot write)"

        def enc_answer(i: int) -> str:
            x = torch.as_tensor(np.asarray(encoder.encode([enc_inputs[i]])))  # (1, H)
            return task.choices_for(items[i])[int(probe_logits(x, w, b).argmax(-1)[0])]

    def dec_answer(i: int) -> str:
        new = greedy_ids(dmodel, dec_ids[i], max_new_tokens=MAX_NEW_TOKENS, stop_token_ids=stops)
        return _first_line(dtok.decode(list(new), skip_special_tokens=True))

    def t5_answer(i: int) -> str:
        return translate(seq2seq.model, seq2seq.tokenizer, [t5_inputs[i]])[0]

    answer: dict[str, Callable[[int], str]] = {
        "encoder": enc_answer,
        "decoder": dec_answer,
        "encoder-decoder": t5_answer,
    }
    for fam in FAMILIES:
        answer[fam](0)  # warm-up, untimed: first calls allocate and pick kernels
    outputs: dict[str, list[str]] = {f: [] for f in FAMILIES}
    samples: dict[str, list[float]] = {f: [] for f in FAMILIES}

    def call(fam: str, i: int) -> Callable[[], None]:
        return lambda: outputs[fam].append(answer[fam](i))

    for i in range(len(items)):
        # in turns, item by item: a burst of load on the machine hits the three alike
        fns: dict[str, Callable[[], None]] = {f: call(f, i) for f in FAMILIES}
        for f, t in time_interleaved(fns, 1).items():
            samples[f].extend(t.samples_ms)
        report(i + 1, len(items), "Items answered by all three models, each call timed")

    picks = []
    for i, it in enumerate(items):
        report(i, len(items), "Items where tiny-gpt's candidates are scored")
        case = ChoiceCase(dec_texts[i], choices[i], it.output)
        sc = choice_scores(dmodel, dtok, case, max_tokens=n_ctx)
        picks.append(choices[i][max(range(len(sc)), key=sc.__getitem__)])

    masks = {
        "encoder": encoder_masks(encoder.tokenizer, enc_inputs[0]),
        "decoder": decoder_masks(dtok, dec_ids[0]),
        "encoder-decoder": seq2seq_masks(
            seq2seq.tokenizer, t5_inputs[0], outputs["encoder-decoder"][0]
        ),
    }
    info = {
        "encoder": (encoder.name, method_enc, False, enc_inputs, _n_params(encoder.model)),
        "decoder": (
            decoder.name,
            f"{k}-shot prompt, greedy continuation to the end of the line",
            True,
            dec_texts,
            _n_params(dmodel),
        ),
        "encoder-decoder": (
            seq2seq.name,
            "task prefix on the source, greedy output",
            True,
            t5_inputs,
            _n_params(seq2seq.model),
        ),
    }
    runs = []
    for fam in FAMILIES:
        name, method, generates, inputs, n_params = info[fam]
        outs = tuple(outputs[fam])
        runs.append(
            FamilyRun(
                family=fam,
                model=name,
                method=method,
                generates=generates,
                inputs=inputs,
                outputs=outs,
                correct=tuple(exact_match(o, it.output) for o, it in zip(outs, items, strict=True)),
                timings=Timings(tuple(samples[fam])),
                n_params=n_params + (head.n_params if fam == "encoder" and head else 0),
                masks=masks[fam],
            )
        )
    return FamiliesResult(
        config=config,
        task_title=task.title,
        items=tuple(items),
        choices=choices,
        runs=tuple(runs),
        decoder_picks=tuple(picks),
        chance=_chance(choices),
        head=head,
        notes=tuple(notes),
    )


def _n_params(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def _chance(choices: Sequence[Sequence[str]]) -> float:
    """One over the mean number of candidates per item."""
    return len(choices) / sum(len(c) for c in choices)
