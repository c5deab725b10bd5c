"""Distillation runs: a smaller student trained on a frozen teacher's softened distribution plus
the hard labels, side by side with the same student trained on the hard labels only.

Both students start from the same seed and see the same batches for the same steps, through the
one optimisation loop (:func:`core.training.loop.optimise`), in alternating chunks so that a Stop
leaves them equally trained. The teacher is only read: no gradient, never put in train mode.
Both are then measured as the quantization page measures its schemes: perplexity, KL and top-1
agreement to the teacher on the same held-out windows, and a greedy sample of the same prompt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from core.distill.loss import check_mix, distillation_loss
from core.distill.student import FP32_BYTES, StudentConfig, StudentSize, build_student, student_size
from core.evaluation import AgreementResult, PerplexityResult
from core.knobs import check, knob

CHUNK = 10  # steps of one student before the other takes its turn (a Stop waits at most this)
CORPUS_SEED = 1337  # tiny-gpt's own training corpus: the transfer set the teacher knows

Run = Literal["distilled", "hard-label"]
R = TypeVar("R")


@dataclass(frozen=True)
class DistillConfig:
    """One distillation run and its hard-label twin.

    Args:
        student: the student's shape (the vocabulary and context are the teacher's).
        temperature: T of the soft targets (both models' logits are divided by it).
        alpha: weight of the soft term; ``1 - alpha`` goes to the hard labels.
        steps: optimiser steps of each student.
        batch_size: rows per step.
        seq_len: tokens per row (at most the teacher's context).
        lr: peak AdamW learning rate (warm-up, then cosine decay to a tenth).
        seed: seeds the student's initialisation and the batch order (the same for both).
        n_docs: corpus documents the rows are cut from.
        eval_windows: held-out windows of ``seq_len`` tokens scored after training.
        sample_tokens: new tokens of each model's greedy sample.
    """

    student: StudentConfig = field(default_factory=StudentConfig)
    # Defaults measured on tiny-gpt, 300 steps, seeds 0-2: T=1, alpha=0.8 beat the hard-label twin
    # on KL, top-1 and perplexity at every seed; T=2 lowered KL too but raised perplexity.
    temperature: float = knob(
        1.0,
        lo=0.5,
        hi=10.0,
        step=0.5,
        label="temperature T",
        help="Softens both distributions: higher T shows more of the teacher's second choices.",
    )
    alpha: float = knob(
        0.8,
        lo=0.0,
        hi=1.0,
        step=0.05,
        label="alpha",
        help="Weight of the teacher's soft targets; the rest goes to the hard labels.",
    )
    steps: int = knob(300, lo=1, hi=5000, step=10, label="steps", help="Steps of each student.")
    batch_size: int = knob(8, lo=1, hi=64, step=1, label="batch size", help="Rows per step.")
    seq_len: int = knob(64, lo=8, hi=256, step=8, label="row length", help="Tokens per row.")
    lr: float = knob(3e-3, lo=1e-5, hi=1e-1, label="learning rate", help="Peak AdamW rate.")
    seed: int = knob(0, lo=0, help="Seeds both students' start and the batch order.")
    n_docs: int = knob(2000, lo=10, hi=20_000, step=10, help="Corpus documents to train on.")
    eval_windows: int = knob(32, lo=1, hi=256, step=1, help="Held-out windows scored after.")
    sample_tokens: int = knob(24, lo=1, hi=128, step=1, help="Tokens of each greedy sample.")

    def __post_init__(self) -> None:
        if not isinstance(self.student, StudentConfig):
            raise ValueError(f"student must be a StudentConfig, got {type(self.student).__name__}")
        check(self)
        check_mix(self.temperature, self.alpha)


@dataclass(frozen=True)
class DistillStep:
    """What ``on_step`` hears after every optimiser step of either student.

    Args:
        run: ``distilled`` or ``hard-label``.
        step: 0-based step of that student.
        steps: steps each student is to take.
        loss: the loss it minimised (distillation loss, or cross-entropy for hard-label).
        kl: the distilled student's KL to the teacher at temperature T on this batch (None
            for the hard-label student, which never runs the teacher).
        ce: cross-entropy on the hard labels of this batch.
    """

    run: Run
    step: int
    steps: int
    loss: float
    kl: float | None
    ce: float


@dataclass(frozen=True)
class ModelReport:
    """One model measured on the held-out windows.

    Args:
        name: ``teacher``, ``distilled`` or ``hard-label``.
        n_params: parameters.
        fp32_bytes: parameters in float32 bytes.
        perplexity: next-token loss window by window (``.perplexity`` is the headline).
        agreement: KL(teacher || model) and top-1 agreement (None for the teacher itself).
        sample: greedy continuation of the prompt; ``sample_ids`` its token ids.
    """

    name: str
    n_params: int
    fp32_bytes: int
    perplexity: PerplexityResult
    agreement: AgreementResult | None
    sample: str
    sample_ids: tuple[int, ...]


@dataclass(frozen=True)
class DistillResult:
    """A finished (or stopped) distillation run and its hard-label twin.

    Args:
        config: the run's settings.
        size: the student's size next to the teacher's.
        steps_done: steps each student took (``config.steps`` unless stopped).
        stopped: True when ``should_stop`` ended the run early.
        distilled_losses / distilled_kl / distilled_ce: per step, the distilled student's
            loss and its two parts (KL at temperature T, before ``T^2``; hard-label CE).
        hard_losses: per step, the hard-label student's cross-entropy.
        teacher / distilled / hard: each model measured on the same held-out windows.
        prompt: the prompt of the samples.
        n_train_tokens: tokens in the training stream.
        distilled_seconds / hard_seconds: time in each student's optimiser steps (the teacher's
            forward passes count to the distilled one).
        eval_seconds: time measuring the three models.
        seconds: the whole call.
        student_model / hard_model: the trained students (eval mode), for further measurement.
    """

    config: DistillConfig
    size: StudentSize
    steps_done: int
    stopped: bool
    distilled_losses: tuple[float, ...]
    distilled_kl: tuple[float, ...]
    distilled_ce: tuple[float, ...]
    hard_losses: tuple[float, ...]
    teacher: ModelReport
    distilled: ModelReport
    hard: ModelReport
    prompt: str
    n_train_tokens: int
    distilled_seconds: float
    hard_seconds: float
    eval_seconds: float
    seconds: float
    student_model: Any = field(default=None, repr=False, compare=False)
    hard_model: Any = field(default=None, repr=False, compare=False)

    @property
    def kl_gain(self) -> float:
        """How much closer to the teacher (KL, nats per position) the soft targets brought the
        student than the hard labels alone: positive when distillation helped."""
        assert self.distilled.agreement is not None and self.hard.agreement is not None
        return self.hard.agreement.kl - self.distilled.agreement.kl


def token_stream(tokenizer: Any, n_docs: int) -> Any:
    """The corpus (tiny-gpt's grammar, its training seed) as one id stream (N,), documents
    joined by the end-of-text token."""
    from core.corpus import CorpusConfig, generate_corpus
    from core.tinygpt import corpus_ids

    return corpus_ids(tokenizer, generate_corpus(CorpusConfig(n_docs=n_docs, seed=CORPUS_SEED)))


def batch_starts(n_tokens: int, config: DistillConfig) -> Any:
    """Row offsets (steps, batch_size) into the stream, seeded: both students get these."""
    import torch

    room = n_tokens - config.seq_len
    if room < 1:
        raise ValueError(
            f"the training text ({n_tokens} tokens) is shorter than one row of "
            f"{config.seq_len}: raise n_docs or shorten the rows"
        )
    gen = torch.Generator().manual_seed(config.seed)
    return torch.randint(0, room, (config.steps, config.batch_size), generator=gen)


def _offset(fn: Callable[[int], R], off: int) -> Callable[[int], R]:
    """``fn`` of global steps seen from a chunk starting at step ``off``."""
    return lambda step: fn(off + step)


def _objective(student: Any, temperature: float, alpha: float) -> Any:
    """A module around ``student`` whose forward returns the distillation loss as ``.loss``, so
    :func:`optimise` trains it unchanged; it records each step's parts in ``.parts``."""
    import torch

    class Objective(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.student = student
            self.parts: list[tuple[float, float]] = []

        def forward(self, input_ids: Any, labels: Any, teacher_logits: Any) -> Any:
            logits = self.student(input_ids=input_ids).logits  # (B, T, V)
            r = distillation_loss(
                logits, teacher_logits, labels, temperature=temperature, alpha=alpha
            )
            self.parts.append((float(r.kl.detach()), float(r.ce.detach())))
            return r

    return Objective()


def _report(
    name: str,
    model: Any,
    tokenizer: Any,
    windows: Any,
    ref_logits: Any,
    prompt_ids: list[int],
    n: int,
) -> ModelReport:
    """``model`` measured on the windows against the teacher's logits, and its greedy sample."""
    from core.evaluation import agreement, causal_logits, perplexity_from_logits
    from core.generation import greedy_ids

    logits = ref_logits if name == "teacher" else causal_logits(model, windows)  # (N, T, V)
    ids = greedy_ids(model, prompt_ids, max_new_tokens=n)
    n_params = sum(p.numel() for p in model.parameters())
    return ModelReport(
        name,
        n_params,
        n_params * FP32_BYTES,
        perplexity_from_logits(logits, windows),
        None if name == "teacher" else agreement(ref_logits, logits),
        tokenizer.decode(list(ids), skip_special_tokens=True),
        tuple(ids),
    )


def distill(
    teacher_loaded: Any,
    config: DistillConfig,
    *,
    on_step: Callable[[DistillStep], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DistillResult:
    """Train the distilled student and its hard-label twin, then measure both and the teacher.

    Args:
        teacher_loaded: a :class:`core.models.LoadedModel` (``.model`` a causal LM in eval mode,
            ``.tokenizer``); cached models are shared, so it is only read.
        config: the run's settings.
        on_step: called with a :class:`DistillStep` after every step of either student.
        should_stop: asked before every step; True ends both runs at the same step count.

    Returns:
        A :class:`DistillResult`.

    Raises:
        ValueError: the student is not smaller than the teacher, the rows are longer than the
            teacher's context, or the text is shorter than one row.
    """
    import torch

    from core.evaluation import causal_logits, token_windows
    from core.models import context_size
    from core.quantization.measure import causal_eval_data
    from core.training.loop import optimise, warmup_cosine

    t0 = time.perf_counter()
    teacher, tok = teacher_loaded.model, teacher_loaded.tokenizer
    size = student_size(teacher, config.student)
    ctx = context_size(teacher, tok)
    if config.seq_len > ctx:
        raise ValueError(f"rows of {config.seq_len} tokens exceed the teacher's context of {ctx}")

    stream = token_stream(tok, config.n_docs)  # (N,)
    starts = batch_starts(len(stream), config)  # (steps, B)
    L = config.seq_len

    def rows(step: int) -> Any:
        return torch.stack([stream[s : s + L] for s in starts[step].tolist()])  # (B, L)

    def lr_at(step: int) -> float:
        warmup = max(1, min(20, config.steps // 10))
        return warmup_cosine(step, peak=config.lr, warmup=warmup, steps=config.steps, floor=0.1)

    def soft_batch(step: int) -> dict[str, Any]:
        x = rows(step)
        with torch.no_grad():
            t_logits = teacher(input_ids=x).logits  # (B, L, V)
        return {"input_ids": x, "labels": x, "teacher_logits": t_logits}

    def hard_batch(step: int) -> dict[str, Any]:
        x = rows(step)
        return {"input_ids": x, "labels": x}  # the model shifts the labels by one itself

    student = build_student(teacher, config.student, config.seed)
    hard = build_student(teacher, config.student, config.seed)
    objective = _objective(student, config.temperature, config.alpha)
    opt_d = torch.optim.AdamW(student.parameters(), lr=config.lr)
    opt_h = torch.optim.AdamW(hard.parameters(), lr=config.lr)
    d_losses: list[float] = []
    h_losses: list[float] = []
    d_seconds = h_seconds = 0.0
    done, stopped = 0, False

    while done < config.steps and not stopped:
        n = min(CHUNK, config.steps - done)

        def heard_d(step: int, loss: float, off: int = done) -> None:
            if on_step is not None:
                kl, ce = objective.parts[-1]
                on_step(DistillStep("distilled", off + step, config.steps, loss, kl, ce))

        def heard_h(step: int, loss: float, off: int = done) -> None:
            if on_step is not None:
                on_step(DistillStep("hard-label", off + step, config.steps, loss, None, loss))

        t = time.perf_counter()
        got = optimise(
            objective,
            opt_d,
            n,
            _offset(soft_batch, done),
            _offset(lr_at, done),
            on_step=heard_d,
            should_stop=should_stop,
        )
        d_seconds += time.perf_counter() - t
        stopped = len(got) < n
        t = time.perf_counter()
        # the twin takes exactly the steps the distilled student took: a Stop keeps them level
        h_got = optimise(
            hard,
            opt_h,
            len(got),
            _offset(hard_batch, done),
            _offset(lr_at, done),
            on_step=heard_h,
        )
        h_seconds += time.perf_counter() - t
        d_losses += got
        h_losses += h_got
        done += len(got)

    student.eval()
    hard.eval()
    t = time.perf_counter()
    data = causal_eval_data()
    windows = token_windows(tok, data.texts, L, max_windows=config.eval_windows)  # (N, L + 1)
    t_logits = causal_logits(teacher, windows)  # (N, L, V)
    prompt_ids = tok(data.prompt, add_special_tokens=False)["input_ids"]
    reports = [
        _report(name, m, tok, windows, t_logits, prompt_ids, config.sample_tokens)
        for name, m in (("teacher", teacher), ("distilled", student), ("hard-label", hard))
    ]
    eval_seconds = time.perf_counter() - t
    parts = objective.parts[: len(d_losses)]
    return DistillResult(
        config=config,
        size=size,
        steps_done=done,
        stopped=stopped,
        distilled_losses=tuple(d_losses),
        distilled_kl=tuple(k for k, _ in parts),
        distilled_ce=tuple(c for _, c in parts),
        hard_losses=tuple(h_losses),
        teacher=reports[0],
        distilled=reports[1],
        hard=reports[2],
        prompt=data.prompt,
        n_train_tokens=len(stream),
        distilled_seconds=d_seconds,
        hard_seconds=h_seconds,
        eval_seconds=eval_seconds,
        seconds=time.perf_counter() - t0,
        student_model=student,
        hard_model=hard,
    )
