"""Build a LoRA model with peft, train it with a plain AdamW loop, and measure before/after.

The loop is the one from peft's examples (forward, loss, backward, step) plus what a learner
needs to watch it: a callback per step, a stop flag, validation loss during the run, and a
stop on a non-finite loss. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.lora.data import LoraDataset, split_dataset
from core.lora.spec import LoraConfigSpec, Task

# One training run at a time per process: torch's global RNG (dropout) is shared, so runs in
# parallel would not be reproducible, and two CPU-bound runs would each take twice as long.
TRAIN_LOCK = threading.RLock()  # re-entrant: LoraJob holds it while it queues
LIVE_VAL_ROWS = 64  # validation rows scored during the run (all of them at the end)
DIVERGE_FACTOR = 10.0  # a loss 10x the untrained model's has left any useful region


def diverged_loss(loss: float, reference: float) -> bool:
    """Whether a training loss says the run diverged: NaN, infinite, or exploded far above the
    untrained model's ``reference`` loss (Adam with a huge learning rate often stays finite).

    >>> diverged_loss(float("nan"), 0.7), diverged_loss(0.3, 0.7), diverged_loss(770.0, 0.7)
    (True, False, True)
    """
    if not math.isfinite(loss):
        return True
    return loss > DIVERGE_FACTOR * reference and loss > reference + 5.0


@dataclass(frozen=True)
class StepInfo:
    """What :func:`train_lora` reports after each optimiser step."""

    step: int  # 1-based
    total_steps: int
    epoch: int  # 1-based
    train_loss: float
    val_loss: float | None  # set on the steps where validation ran
    elapsed: float  # seconds since training started
    steps_per_s: float


@dataclass(frozen=True)
class ParamCount:
    """Trainable vs all parameters of the peft-wrapped model, as peft counts them."""

    trainable: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.trainable / max(1, self.total)


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


@dataclass(frozen=True)
class LoraRunResult:
    """Everything one run measured, and the trained peft model.

    ``train_losses[i]`` is the loss of step ``i + 1``; ``val_losses`` holds ``(step, loss)``
    points, step 0 being the base model before any update.
    """

    spec: LoraConfigSpec
    dataset_name: str
    labels: tuple[str, ...]
    n_train: int
    n_val: int
    params: ParamCount
    train_losses: tuple[float, ...]
    val_losses: tuple[tuple[int, float], ...]
    total_steps: int
    steps_done: int
    stopped: bool
    diverged: bool
    message: str
    seconds: float  # wall time of the run, evaluation included
    train_seconds: float  # time in optimiser steps only
    comparison: Comparison | None
    adapter_path: str | None = None
    model: Any = field(default=None, repr=False, compare=False)  # the trained PeftModel
    tokenizer: Any = field(default=None, repr=False, compare=False)

    @property
    def steps_per_s(self) -> float:
        return self.steps_done / self.train_seconds if self.train_seconds > 0 else 0.0

    @property
    def n_trainable(self) -> int:
        return self.params.trainable


# --- models ------------------------------------------------------------------------------------
def _auto_class(task: Task):
    import transformers

    if task == "classification":
        return transformers.AutoModelForSequenceClassification
    return transformers.AutoModelForCausalLM


def _label_kwargs(labels: Sequence[str]) -> dict:
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {y: i for i, y in enumerate(labels)},
    }


def _config(model: str, task: Task, labels: Sequence[str]):
    from transformers import AutoConfig

    from core import models

    spec = models.resolve(model, "encoder" if task == "classification" else "causal-lm")
    path = models.model_path(spec.name if spec.name in models.MODELS else model, spec.kind)
    kwargs = _label_kwargs(labels) if task == "classification" else {}
    return models._from_pretrained(AutoConfig, spec, path, **kwargs)


def _skeleton(model: str, task: Task, labels: Sequence[str]):
    """The architecture on the meta device: no weights loaded, built in milliseconds."""
    import torch

    cfg = _config(model, task, labels)
    with torch.device("meta"):
        return _auto_class(task).from_config(cfg)


def _is_adaptable(module) -> bool:
    import torch
    from transformers.pytorch_utils import Conv1D

    return isinstance(module, (torch.nn.Linear, Conv1D))


HEADS = {"classifier", "score", "lm_head", "qa_outputs", "pooler"}


def target_module_choices(model: str, task: Task, labels: Sequence[str] = ("a", "b")) -> list[str]:
    """Names of the layers LoRA can wrap in this model (its linear and GPT-2 Conv1D layers).

    The task heads (``classifier``, ``lm_head``) are left out: peft trains the classification
    head in full and the LM head is tied to the embeddings.

    Raises:
        core.models.ModelUnavailableError: the model cannot be loaded here.
    """
    skeleton = _skeleton(model, task, labels)
    names = []
    for full, module in skeleton.named_modules():
        parts = full.split(".")
        if _is_adaptable(module) and not HEADS & set(parts):
            names.append(parts[-1])
    return list(dict.fromkeys(names))


def _lora_config(spec: LoraConfigSpec, model=None):
    from peft import LoraConfig, TaskType

    # GPT-2's Conv1D stores weights transposed: tell peft rather than let it warn and fix it
    conv1d = model is not None and any(type(m).__name__ == "Conv1D" for m in model.modules())
    return LoraConfig(
        fan_in_fan_out=conv1d,
        task_type=TaskType.SEQ_CLS if spec.task == "classification" else TaskType.CAUSAL_LM,
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=list(spec.target_modules),
        bias="none",
    )


def count_trainable(spec: LoraConfigSpec, labels: Sequence[str] = ("a", "b")) -> ParamCount:
    """Trainable and total parameters under this spec, from peft's own count.

    Built on the meta device, so it costs no weights and no time.

    Raises:
        ValueError: a target module name the model does not have.
    """
    from peft import get_peft_model

    skeleton = _skeleton(spec.model, spec.task, labels)
    try:
        peft_model = get_peft_model(skeleton, _lora_config(spec, skeleton))
    except ValueError as e:
        raise ValueError(f"peft cannot wrap these target modules: {e}") from None
    trainable, total = peft_model.get_nb_trainable_parameters()
    return ParamCount(int(trainable), int(total))


def load_base(model: str, task: Task, labels: Sequence[str] = ()):
    """A fresh (never cached, never shared) base model and its tokenizer, in train-ready fp32."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from core import models

    hf_logging.set_verbosity_error()  # the "newly initialized head" report is expected here
    hf_logging.disable_progress_bar()
    spec = models.resolve(model, "encoder" if task == "classification" else "causal-lm")
    path = models.model_path(spec.name if spec.name in models.MODELS else model, spec.kind)
    tok = models._from_pretrained(AutoTokenizer, spec, path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    kwargs = _label_kwargs(labels) if task == "classification" else {}
    # the default attention (SDPA) trains faster than the eager one the viewers need
    net = models._from_pretrained(_auto_class(task), spec, path, use_safetensors=True, **kwargs)
    if task == "classification" and net.config.pad_token_id is None:
        net.config.pad_token_id = tok.pad_token_id
    return net, tok


def build_peft_model(spec: LoraConfigSpec, labels: Sequence[str] = ()):
    """Fresh base model wrapped by peft under ``spec``, seeded; returns ``(peft_model, tok)``."""
    import torch
    from peft import get_peft_model

    torch.manual_seed(spec.seed)  # the classification head and LoRA's A matrices start here
    net, tok = load_base(spec.model, spec.task, labels)
    try:
        return get_peft_model(net, _lora_config(spec, net)), tok
    except ValueError as e:
        raise ValueError(f"peft cannot wrap these target modules: {e}") from None


# --- batches -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Encoded:
    """Tokenised rows, unpadded: ``ids[i]`` and ``labels[i]`` (a class id or per-token ids)."""

    ids: tuple[tuple[int, ...], ...]
    labels: tuple[Any, ...]


def encode(
    rows: Sequence[tuple[str, str]], tok, task: Task, max_length: int, labels: Sequence[str] = ()
) -> Encoded:
    """Tokenise rows for ``task``; causal rows are prompt + completion + EOS, and only the
    completion tokens are scored (the prompt's labels are -100)."""
    if task == "classification":
        index = {y: i for i, y in enumerate(labels)}
        enc = tok([x for x, _ in rows], truncation=True, max_length=max_length)["input_ids"]
        return Encoded(tuple(map(tuple, enc)), tuple(index[y] for _, y in rows))
    ids_out, lab_out = [], []
    prompts = tok([p for p, _ in rows], add_special_tokens=False)["input_ids"]
    comps = tok([c for _, c in rows], add_special_tokens=False)["input_ids"]
    for p, c in zip(prompts, comps, strict=True):
        c = (list(c) + [tok.eos_token_id])[: max_length - 1]
        p = list(p)[-(max_length - len(c)) :]  # keep the prompt's end, next to the answer
        ids_out.append(tuple(p + c))
        lab_out.append(tuple([-100] * len(p) + c))
    return Encoded(tuple(ids_out), tuple(lab_out))


def collate(enc: Encoded, idx: Sequence[int], pad_id: int, task: Task) -> dict:
    """Right-padded tensors for the rows ``idx``: input_ids, attention_mask (B, T), labels."""
    import torch

    T = max(len(enc.ids[i]) for i in idx)
    ids = torch.full((len(idx), T), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(idx), T), dtype=torch.long)  # (B, T)
    labels = (
        torch.tensor([enc.labels[i] for i in idx], dtype=torch.long)  # (B,)
        if task == "classification"
        else torch.full((len(idx), T), -100, dtype=torch.long)  # (B, T)
    )
    for row, i in enumerate(idx):
        n = len(enc.ids[i])
        ids[row, :n] = torch.tensor(enc.ids[i])
        mask[row, :n] = 1
        if task != "classification":
            labels[row, :n] = torch.tensor(enc.labels[i])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def epoch_batches(n: int, batch_size: int, epochs: int, seed: int) -> list[tuple[int, list[int]]]:
    """``(epoch, row indices)`` for every step: a seeded shuffle per epoch, last batch kept."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = []
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, generator=gen).tolist()
        out += [(epoch, perm[i : i + batch_size]) for i in range(0, n, batch_size)]
    return out


def mean_loss(model, enc: Encoded, pad_id: int, task: Task, *, batch_size: int = 32) -> float:
    """Loss over rows, weighted by examples (classification) or scored tokens (causal LM)."""
    import torch

    total, weight = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, len(enc.ids), batch_size):
            idx = list(range(i, min(i + batch_size, len(enc.ids))))
            batch = collate(enc, idx, pad_id, task)
            loss = model(**batch).loss.item()
            w = (
                len(idx)
                if task == "classification"
                else int((batch["labels"][:, 1:] != -100).sum())
            )
            total, weight = total + loss * w, weight + w
    model.train(was_training)
    return total / max(1, weight)


# --- training ----------------------------------------------------------------------------------
def train_lora(
    spec: LoraConfigSpec,
    dataset: LoraDataset,
    *,
    on_step: Callable[[StepInfo], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    out_dir: str | None = None,
    num_threads: int | None = None,
    compare: bool = True,
) -> LoraRunResult:
    """Train a LoRA adapter on a fresh copy of ``spec.model`` and compare it with the base.

    Args:
        spec: the run's settings (model, task, LoRA shape, optimisation, split, seed).
        dataset: validated rows whose ``task`` matches ``spec.task``.
        on_step: called with a :class:`StepInfo` after every optimiser step.
        should_stop: polled before every step; ``True`` ends the run cleanly and keeps what
            was learned so far.
        out_dir: where to ``save_pretrained`` the adapter (see :func:`core.lora.save_run`).
        num_threads: torch CPU threads for this thread (others keep theirs); None: unchanged.
        compare: score base vs adapter on the validation rows at the end.

    Returns:
        A :class:`LoraRunResult`. A non-finite loss stops the run with ``diverged=True``.

    Raises:
        ValueError: the dataset's shape does not match the task, or bad target modules.
        core.models.ModelUnavailableError: the base model cannot be loaded here.
    """
    if dataset.task != spec.task:
        raise ValueError(
            f"this dataset has {dataset.task} rows but the run is set up for {spec.task}"
        )
    with TRAIN_LOCK:
        return _train(spec, dataset, on_step, should_stop, out_dir, num_threads, compare)


def _train(spec, dataset, on_step, should_stop, out_dir, num_threads, compare) -> LoraRunResult:
    import torch

    from core.lora.evaluate import compare_base_adapter, save_run

    t0 = time.perf_counter()
    old_threads = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    try:
        train, val = split_dataset(dataset, spec.val_fraction, spec.seed)
        labels = dataset.labels
        model, tok = build_peft_model(spec, labels)
        max_len = min(
            spec.max_length,
            getattr(model.config, "max_position_embeddings", 0)
            or getattr(model.config, "n_positions", 0)
            or spec.max_length,
        )
        pad = tok.pad_token_id
        enc_train = encode(train.rows, tok, spec.task, max_len, labels)
        enc_val = encode(val.rows, tok, spec.task, max_len, labels)
        live_val = Encoded(enc_val.ids[:LIVE_VAL_ROWS], enc_val.labels[:LIVE_VAL_ROWS])
        trainable, total = model.get_nb_trainable_parameters()
        params = ParamCount(int(trainable), int(total))

        plan = epoch_batches(len(train), spec.batch_size, spec.epochs, spec.seed)
        n_steps = len(plan)
        every = spec.eval_every or max(1, math.ceil(n_steps / 12))
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=spec.lr)
        val_losses = [(0, mean_loss(model, live_val, pad, spec.task))]
        losses: list[float] = []
        stopped = diverged = False
        train_s = 0.0
        t_start = time.perf_counter()
        model.train()
        for step, (epoch, idx) in enumerate(plan, 1):
            if should_stop is not None and should_stop():
                stopped = True
                break
            ts = time.perf_counter()
            out = model(**collate(enc_train, idx, pad, spec.task))
            loss = out.loss.item()
            if diverged_loss(loss, val_losses[0][1]):
                losses.append(loss)
                diverged = True
                break
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            opt.step()
            train_s += time.perf_counter() - ts
            losses.append(loss)
            v_loss = None
            if step % every == 0 or step == n_steps:
                v_loss = mean_loss(model, live_val, pad, spec.task)
                val_losses.append((step, v_loss))
                diverged = diverged_loss(v_loss, val_losses[0][1])
            if on_step is not None:
                elapsed = time.perf_counter() - t_start
                on_step(StepInfo(step, n_steps, epoch, loss, v_loss, elapsed, step / elapsed))
            if diverged:
                break
        model.eval()
        done = len(losses)
        if diverged:
            what = (
                "became NaN or infinite"
                if not math.isfinite(losses[-1])
                else f"exploded from {val_losses[0][1]:.2f} to {losses[-1]:.1f}"
            )
            message = (
                f"Training diverged at step {done}: the loss {what}, so the run stopped. The "
                f"learning rate {spec.lr:g} is too high: lower it (try {spec.lr / 100:g})."
            )
        elif stopped:
            message = f"Stopped after {done} of {n_steps} steps; the adapter keeps what it learned."
        else:
            message = f"Finished {done} steps ({spec.epochs} epochs)."
        comparison = None
        if compare and not diverged:
            comparison = compare_base_adapter(model, tok, spec.task, val.rows, labels, max_len)
        result = LoraRunResult(
            spec=spec,
            dataset_name=dataset.name,
            labels=labels,
            n_train=len(train),
            n_val=len(val),
            params=params,
            train_losses=tuple(losses),
            val_losses=tuple(val_losses),
            total_steps=n_steps,
            steps_done=done,
            stopped=stopped,
            diverged=diverged,
            message=message,
            seconds=time.perf_counter() - t0,
            train_seconds=train_s,
            comparison=comparison,
            model=model,
            tokenizer=tok,
        )
        if out_dir is not None and not diverged:
            save_run(result, out_dir)
            result = _with_path(result, out_dir)
        return result
    finally:
        if num_threads:
            torch.set_num_threads(old_threads)


def _with_path(result: LoraRunResult, path: str) -> LoraRunResult:
    from dataclasses import replace

    return replace(result, adapter_path=str(path))
