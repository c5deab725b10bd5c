"""The run: config in, every family on the same items, result out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core import corpus
from core.evaluation import (
    ChoiceCase,
    LatencyComparison,
    Timings,
    accuracy,
    choice_scores,
    compare_latency,
    exact_match,
    probe_logits,
    time_interleaved,
)
from core.families.head import HeadInfo, sentiment_head
from core.families.masks import MaskView, decoder_masks, encoder_masks, seq2seq_masks
from core.generation import greedy_ids, library_stop_ids
from core.knobs import check, knob
from core.models import context_size
from core.prompting import Example, build_prompt, load_task

Family = Literal["encoder", "decoder", "encoder-decoder"]
FAMILIES: tuple[Family, ...] = ("encoder", "decoder", "encoder-decoder")
TASKS = ("translation", "sentiment")
LANG = "French"  # the translation task's target language (assets/tasks/translation.json)
MAX_NEW_TOKENS = 6  # the decoder's answer: a word or a label, then a newline (prompting's 6)
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
        "encoder": (encoder.name, method_enc, False, enc_inputs, encoder.loaded.n_params),
        "decoder": (
            decoder.name,
            f"{k}-shot prompt, greedy continuation to the end of the line",
            True,
            dec_texts,
            decoder.n_params,
        ),
        "encoder-decoder": (
            seq2seq.name,
            "task prefix on the source, greedy output",
            True,
            t5_inputs,
            seq2seq.n_params,
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


def _chance(choices: Sequence[Sequence[str]]) -> float:
    """One over the mean number of candidates per item."""
    return len(choices) / sum(len(c) for c in choices)
