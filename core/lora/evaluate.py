"""After a run: base vs adapter, merge-and-compare, and the forgetting check.

Every figure compares the same peft model with its adapter switched off (``disable_adapter``,
the base weights untouched underneath) and on, on the same inputs. Each check returns its own
verdict, computed from its own numbers: a timing difference inside the spread of repeated
timings is noise; a forgetting change inside two standard errors of the paired items is not
measurable.
"""

from __future__ import annotations

import contextlib
import copy
import math
import statistics
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from core import generation as decoding
from core.embeddings import embed
from core.evaluation import (
    Timings,
    accuracy,
    exact_match,
    mean_cosine,
    perplexity,
    time_interleaved,
    token_windows,
    top1_retrieval,
)
from core.lora.batches import encode, mean_loss
from core.lora.spec import Task
from core.models import context_size

MAX_NEW_TOKENS = 24
GEN_ROWS = 40  # causal LM: rows generated for exact match (generation is the slow part)
MERGE_REPEATS = 9  # timed forward passes per variant, alternating, after one warm-up each
FORGOT_A_LOT_POINTS = 10.0  # encoder: retrieval accuracy down 10 points or more is "a lot"
FORGOT_A_LOT_PERCENT = 10.0  # causal LM: perplexity up 10% or more is "a lot"
NOISE_SE = 2.0  # a change within 2 standard errors of the paired items is not measurable


@dataclass(frozen=True)
class Comparison:
    """Base model (adapter off) vs adapter on the same held-out rows."""

    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    base_outputs: tuple[str, ...]
    adapter_outputs: tuple[str, ...]
    base_loss: float
    adapter_loss: float
    base_accuracy: float  # classification: accuracy; causal LM: exact match of the completion
    adapter_accuracy: float


def _switch(model, adapter: bool):
    return contextlib.nullcontext() if adapter else model.disable_adapter()


def generate_completions(
    model, tok, prompts, *, max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 32
) -> list[str]:
    """Greedy continuations of ``prompts`` up to EOS or a blank line, prompts left out.

    Rows are left-padded and run as one batch (:func:`core.generation.generate_batch` derives
    the positions from the attention mask), so 40 prompts cost ~``max_new_tokens`` forward
    passes, not 40 times that.
    """
    limit = context_size(model)
    eos = tok.eos_token_id
    penalty = decoding.library_greedy(model).repetition_penalty
    out_texts: list[str] = []
    for i in range(0, len(prompts), batch_size):
        rows = [
            ids[-(limit - max_new_tokens) :] or [eos]
            for ids in tok(list(prompts[i : i + batch_size]), add_special_tokens=False)["input_ids"]
        ]
        new = decoding.generate_batch(
            model,
            rows,
            max_new_tokens=max_new_tokens,
            pad_token_id=eos,
            stop_token_ids={eos},
            repetition_penalty=penalty,
        )
        for row in new:
            text = tok.decode(list(row), skip_special_tokens=True)
            out_texts.append(text.split("\n\n")[0].rstrip())
    return out_texts


def generate_completion(model, tok, prompt: str, *, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """Greedy continuation of one prompt (see :func:`generate_completions`)."""
    return generate_completions(model, tok, [prompt], max_new_tokens=max_new_tokens)[0]


def outputs_for(
    model, tok, task: Task, inputs, labels=(), max_length: int = 64, *, adapter: bool = True
) -> list[str]:
    """What the model answers for each input: a label (with its probability) or a completion."""
    import torch

    with _switch(model, adapter), torch.no_grad():
        if task == "classification":
            enc = tok(
                list(inputs),
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            probs = torch.softmax(model(**enc).logits.float(), -1)  # (B, C)
            conf, pred = probs.max(-1)
            return [f"{labels[int(p)]} ({float(c):.0%})" for p, c in zip(pred, conf, strict=True)]
        return generate_completions(model, tok, list(inputs))


def compare_base_adapter(model, tok, task: Task, rows, labels=(), max_length: int = 64):
    """Score the base (adapter off) and the adapter on the same held-out ``rows``.

    Returns:
        A :class:`Comparison`: losses, accuracies (exact match of the completion for a causal
        LM, on the first ``GEN_ROWS`` rows) and the outputs side by side.
    """
    enc = encode(rows, tok, task, max_length, labels)
    pad = tok.pad_token_id
    shown = list(rows) if task == "classification" else list(rows)[:GEN_ROWS]
    inputs = [x for x, _ in shown]
    out: dict[bool, tuple[float, float, list[str]]] = {}
    for adapter in (False, True):
        with _switch(model, adapter):
            loss = mean_loss(model, enc, pad, task)
        outs = outputs_for(model, tok, task, inputs, labels, max_length, adapter=adapter)
        if task == "classification":
            hits = [o.rsplit(" (", 1)[0] == y for o, (_, y) in zip(outs, shown, strict=True)]
        else:
            hits = [exact_match(o, y) for o, (_, y) in zip(outs, shown, strict=True)]
        out[adapter] = (loss, accuracy(hits), outs)
    return Comparison(
        inputs=tuple(inputs),
        targets=tuple(y for _, y in shown),
        base_outputs=tuple(out[False][2]),
        adapter_outputs=tuple(out[True][2]),
        base_loss=out[False][0],
        adapter_loss=out[True][0],
        base_accuracy=out[False][1],
        adapter_accuracy=out[True][1],
    )


# --- merge -------------------------------------------------------------------------------------
SpeedVerdict = Literal["noise", "faster", "slower"]


@dataclass(frozen=True)
class MergeCheck:
    """The adapter folded into the weights (``merge_and_unload`` on a copy) vs kept apart."""

    max_abs_diff: float  # largest logit difference over the checked inputs
    same_outputs: bool  # same predicted label / same greedy next token everywhere
    n_inputs: int
    params_adapter: int  # parameters of the peft model (base + A, B)
    params_merged: int  # parameters after merging: the base model's count again
    adapter_times: Timings  # one forward pass over the inputs, repeated
    merged_times: Timings

    @property
    def ms_adapter(self) -> float:
        return self.adapter_times.median

    @property
    def ms_merged(self) -> float:
        return self.merged_times.median

    @property
    def ms_difference(self) -> float:
        """Median merged time minus median adapter time (negative: merging is faster)."""
        return self.ms_merged - self.ms_adapter

    @property
    def noise_ms(self) -> float:
        """The larger of the two spreads (IQR): differences inside it are timing noise."""
        return max(self.adapter_times.iqr, self.merged_times.iqr)

    @property
    def speed_verdict(self) -> SpeedVerdict:
        d = self.ms_difference
        if abs(d) <= self.noise_ms:
            return "noise"
        return "faster" if d < 0 else "slower"


def merge_check(
    model, tok, task: Task, inputs, max_length: int = 64, *, repeats: int = MERGE_REPEATS
) -> MergeCheck:
    """Merge a deep copy of the adapter into its base weights and compare logits and speed.

    Both variants run ``repeats`` times, alternating, after one warm-up pass each, so that a
    burst of load on the machine hits both alike. The trained model itself is never changed.
    """
    import torch

    if repeats < 1:
        raise ValueError(f"repeats must be 1 or more, got {repeats}")
    merged = copy.deepcopy(model).merge_and_unload()
    merged.eval()
    model.eval()
    enc = tok(
        list(inputs), truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    enc = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    nets = {"adapter": model, "merged": merged}
    with torch.no_grad():
        logits = {name: net(**enc).logits.float() for name, net in nets.items()}  # warm-up
        times = time_interleaved({name: partial(net, **enc) for name, net in nets.items()}, repeats)
    a, m = logits["adapter"], logits["merged"]  # (B, C) or (B, T, V)
    if task == "classification":
        same = bool((a.argmax(-1) == m.argmax(-1)).all())
    else:
        mask = enc["attention_mask"].bool()  # (B, T)
        same = bool((a.argmax(-1)[mask] == m.argmax(-1)[mask]).all())
    return MergeCheck(
        max_abs_diff=float((a - m).abs().max()),
        same_outputs=same,
        n_inputs=len(inputs),
        params_adapter=sum(p.numel() for p in model.parameters()),
        params_merged=sum(p.numel() for p in merged.parameters()),
        adapter_times=times["adapter"],
        merged_times=times["merged"],
    )


# --- forgetting --------------------------------------------------------------------------------
ForgetVerdict = Literal["forgot a lot", "forgot a little", "nothing measurable", "got better"]


@dataclass(frozen=True)
class ForgettingCheck:
    """The base model's original skill measured with the adapter off and on, item by item.

    ``worse`` is how much the skill got worse, in ``unit`` (accuracy points, or perplexity
    percent), ``noise`` the band inside which that is not measurable (``NOISE_SE`` standard
    errors of the paired per-item differences) and ``a_lot`` the threshold of "a lot".
    """

    metric: str
    higher_is_better: bool
    base: float
    adapter: float
    n_items: int
    explanation: str
    worse: float
    noise: float
    a_lot: float
    unit: str
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def change(self) -> float:
        return self.adapter - self.base

    @property
    def verdict(self) -> ForgetVerdict:
        if abs(self.worse) <= self.noise:
            return "nothing measurable"
        if self.worse < 0:
            return "got better"
        return "forgot a lot" if self.worse >= self.a_lot else "forgot a little"

    def amount(self, value: float, digits: int = 1) -> str:
        """``value`` in this check's unit: ``4.0%`` or ``4.0 points``."""
        sep = "" if self.unit == "%" else " "
        return f"{value:.{digits}f}{sep}{self.unit}"

    @property
    def verdict_text(self) -> str:
        """The verdict and the numbers behind it, thresholds stated."""
        if round(self.worse, 1) == 0:
            moved = "did not change"
        else:
            up = (self.worse > 0) != self.higher_is_better  # the metric itself went up
            moved = f"{'rose' if up else 'fell'} {self.amount(abs(self.worse))}"
        band = (
            f"the noise band of ±{self.amount(self.noise)} ({NOISE_SE:g} standard errors of "
            f"the {self.n_items} paired items)"
        )
        lot = f"the {self.amount(self.a_lot, 0)} that count as a lot"
        what = self.metric.split(" (")[0]
        v = self.verdict
        if v == "nothing measurable":
            bad = "drop" if self.higher_is_better else "rise"
            return (
                f"Nothing measurable: {what} {moved}, within {band}. A {bad} of "
                f"{self.amount(self.a_lot, 0)} or more would count as a lot."
            )
        if v == "got better":
            return f"Nothing forgotten: {what} {moved}, beyond {band}."
        if v == "forgot a little":
            return f"Forgot a little: {what} {moved}, beyond {band} but less than {lot}."
        return f"Forgot a lot: {what} {moved}, beyond {band} and past {lot}."


def _paired_se(diffs: list[float]) -> float:
    """Standard error of the mean of paired differences (0 for fewer than two)."""
    return statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else 0.0


def _block_losses(model, tok, texts, block: int) -> list[float]:
    """Mean next-token loss of each ``block``-token window of the texts joined by EOS (the
    window's ``block - 1`` inner predictions)."""
    windows = token_windows(tok, texts, block)  # (N, block + 1)
    return list(perplexity(model, windows, score_last=False).window_nll)


def _corpus_perplexity(model, tok, texts, block: int) -> float:
    """Perplexity over the texts: every block weighs the same (they are all ``block`` long)."""
    losses = _block_losses(model, tok, texts, block)
    return math.exp(statistics.fmean(losses)) if losses else float("nan")


def forgetting_check(model, tok, task: Task, *, n_items: int = 40) -> ForgettingCheck:
    """Does the adapter damage what the base model could already do?

    Causal LM: perplexity on held-out text of the kind it was pretrained on (for tiny-gpt, the
    held-out split of its own corpus), block by block. Encoder: the sentence-embedding skill
    MiniLM was trained for, as top-1 retrieval of the right passage for a question, item by
    item, plus how far the embeddings moved (cosine between the embeddings before and after).
    The verdict compares the change with the spread of the paired per-item differences.
    """

    from core.corpus import CorpusConfig, generate_corpus, heldout_tasks

    model.eval()
    if task == "causal-lm":
        texts = generate_corpus(CorpusConfig(n_docs=n_items, seed=1337, heldout=True))
        block = min(128, context_size(model))
        losses = {}
        for adapter in (False, True):
            with _switch(model, adapter):
                losses[adapter] = _block_losses(model, tok, texts, block)
        diffs = [b - a for a, b in zip(losses[False], losses[True], strict=True)]
        mean_diff = statistics.fmean(diffs) if diffs else 0.0
        return ForgettingCheck(
            metric="perplexity on held-out pretraining-style text",
            higher_is_better=False,
            base=math.exp(statistics.fmean(losses[False])),
            adapter=math.exp(statistics.fmean(losses[True])),
            n_items=len(diffs),
            explanation=(
                "Lower is better. A small rise is the price of the new skill; a big one means "
                "the adapter overwrote general knowledge (catastrophic forgetting)."
            ),
            worse=100 * math.expm1(mean_diff),
            noise=100 * math.expm1(NOISE_SE * _paired_se(diffs)),
            a_lot=FORGOT_A_LOT_PERCENT,
            unit="%",
        )
    items = heldout_tasks()["context_qa"]["items"][:n_items]
    questions = [it["question"] for it in items]
    passages = [it["context"] for it in items]
    inner = model.get_base_model()
    encoder = getattr(inner, inner.base_model_prefix, inner)
    res: dict[bool, tuple[list[float], Any]] = {}
    for adapter in (False, True):
        with _switch(model, adapter):
            q = embed(encoder, tok, questions, max_length=64, batch_size=None)  # (N, H)
            p = embed(encoder, tok, passages, max_length=128, batch_size=None)  # (N, H)
        res[adapter] = (top1_retrieval(q, p), q)
    before, after = res[False][0], res[True][0]
    diffs = [b - a for a, b in zip(before, after, strict=True)]
    drift = mean_cosine(res[False][1], res[True][1])
    return ForgettingCheck(
        metric="question -> passage retrieval accuracy (top-1)",
        higher_is_better=True,
        base=statistics.fmean(before),
        adapter=statistics.fmean(after),
        n_items=len(items),
        explanation=(
            "MiniLM was trained to embed sentences for search. If the adapter had wrecked that, "
            "questions would stop finding their passage."
        ),
        worse=-100 * statistics.fmean(diffs),
        noise=100 * NOISE_SE * _paired_se(diffs),
        a_lot=FORGOT_A_LOT_POINTS,
        unit="points",
        extra={"embedding cosine before/after": drift},
    )
