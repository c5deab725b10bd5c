"""One causal-LM candidate measured: the shared evaluation every optimisation is judged by.

The quantization table, the pruning sweep and the "one table for all three" score a model the
same way, on the same token windows (``core.quantization.measure.causal_eval_data`` cut by
``core.evaluation.token_windows``), against the original model's logits: perplexity, KL(original
|| candidate) and top-1 agreement (``core.evaluation``), the accuracy on held-out sentiment items
(``core.evaluation.choice_accuracy``), parameters, bytes in memory (``state_bytes``) and on disk
(``saved_bytes``), the peak memory of one forward pass, and its latency.

Peak memory is the weights' bytes plus the most tensor bytes alive at once while one window goes
through the model, counted by a ``TorchDispatchMode`` that sees every tensor an operator returns
and a finaliser on its storage that sees it freed (CPU torch keeps no allocator statistics, and
the process's RSS only ever grows).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from core.evaluation import (
    ChoiceCase,
    agreement,
    causal_logits,
    choice_accuracy,
    perplexity_from_logits,
    time_runs,
)


@dataclass(frozen=True)
class Measurement:
    """A causal LM measured against the original on the shared windows.

    Args:
        perplexity / kl / top1: on the windows; KL(original || this), nats per token.
        task_accuracy: share of the sentiment items right (None: no items asked).
        n_params: parameters (tied once; zeros count: they are still stored).
        memory_bytes: bytes of the state dict (weights, scales, buffers).
        disk_bytes: bytes of the saved file(s); ``save_format`` says which.
        peak_bytes: weights plus the peak bytes of tensors alive during one forward pass.
        latency_ms / latency_runs_ms: median and every timed forward pass of one window.
        n_tokens_timed: tokens in that window (``latency_ms / n_tokens_timed``: ms per token).
    """

    perplexity: float
    kl: float
    top1: float
    task_accuracy: float | None
    n_params: int
    memory_bytes: int
    disk_bytes: int
    save_format: str
    peak_bytes: int
    latency_ms: float
    latency_runs_ms: tuple[float, ...]
    n_tokens_timed: int

    @property
    def ms_per_token(self) -> float:
        """Forward time per token of the timed window."""
        return self.latency_ms / max(1, self.n_tokens_timed)


def peak_activation_bytes(fn: Callable[[], Any]) -> int:
    """The most bytes of tensors created by ``fn()`` alive at one time (inputs and weights that
    existed before are not counted).

    >>> import torch
    >>> x = torch.ones(256, 256)
    >>> peak_activation_bytes(lambda: (x @ x).sum()) >= 256 * 256 * 4  # the product lived
    True
    """
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    state = {"now": 0, "peak": 0}
    seen: set[int] = set()

    def freed(key: int, size: int) -> None:
        seen.discard(key)
        state["now"] -= size

    def storage(t: Any) -> Any:
        """``t``'s storage when it has real bytes (a wrapper subclass such as quanto's has none:
        the plain tensors it is made of are seen as they are made)."""
        if not isinstance(t, torch.Tensor):
            return None
        try:
            s = t.untyped_storage()
            return s if s.data_ptr() else None
        except (RuntimeError, NotImplementedError):
            return None

    def track(t: Any, inputs: set[int]) -> None:
        s = storage(t)
        if s is None:
            return
        key = s.data_ptr()
        if key in seen or key in inputs:  # a view or an in-place result: no new bytes
            return
        size = s.nbytes()
        seen.add(key)
        state["now"] += size
        state["peak"] = max(state["peak"], state["now"])
        weakref.finalize(s, freed, key, size)

    class Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            from torch.utils._pytree import tree_leaves

            inputs = {s.data_ptr() for s in map(storage, tree_leaves((args, kwargs))) if s}
            out = func(*args, **(kwargs or {}))
            for t in tree_leaves(out):
                track(t, inputs)
            return out

    with torch.no_grad(), Count():
        fn()
    return int(state["peak"])


def measure_causal(
    model: Any,
    windows: Any,
    ref_logits: Any,
    *,
    tokenizer: Any,
    cases: Sequence[ChoiceCase],
    max_tokens: int,
    latency_runs: int,
    scheme: str = "fp32",
    timings: Any = None,
) -> tuple[Measurement, Any]:
    """Measure ``model`` (eval mode, never modified) on ``windows`` against ``ref_logits``.

    Args:
        model: a causal LM, plain or quantized.
        windows: (N, T + 1) token windows (``token_windows``).
        ref_logits: (N, T, V) the original's logits on them; None: this is the original.
        tokenizer: its tokenizer (for the task items).
        cases: held-out choice items (empty: no task accuracy).
        max_tokens: the model's context (items are cut to fit).
        latency_runs: timed forward passes of ``windows[:1]`` (median kept).
        scheme: how it is saved (a ``core.quantization`` scheme key: ``fp32`` for plain floats).
        timings: already measured ``Timings`` of its forward pass (timed in turns with other
            candidates); None: time it here.

    Returns:
        (the :class:`Measurement`, its (N, T, V) logits).
    """
    import torch

    from core.prune.magnitude import n_params
    from core.quantization.measure import saved_bytes, state_bytes

    logits = causal_logits(model, windows)  # (N, T, V)
    ppl = perplexity_from_logits(logits, windows).perplexity
    agree = agreement(logits if ref_logits is None else ref_logits, logits)
    acc = choice_accuracy(model, tokenizer, cases, max_tokens=max_tokens) if cases else None
    x = windows[:1, :-1]  # (1, T): one sequence, as a chat request
    forward = partial(model, input_ids=x)
    if timings is None:
        with torch.no_grad():
            timings = time_runs(forward, latency_runs)
    memory = state_bytes(model)
    disk, fmt = saved_bytes(model, scheme)
    m = Measurement(
        perplexity=ppl,
        kl=agree.kl,
        top1=agree.top1,
        task_accuracy=acc,
        n_params=n_params(model),
        memory_bytes=memory,
        disk_bytes=disk,
        save_format=fmt,
        peak_bytes=memory + peak_activation_bytes(forward),
        latency_ms=timings.median,
        latency_runs_ms=timings.samples_ms,
        n_tokens_timed=int(x.shape[1]),
    )
    return m, logits


def zeros_on_disk(model: Any, sparsity: float = 0.5) -> tuple[int, int, float]:
    """Save ``model`` and a copy with ``sparsity`` of its block weights zeroed by magnitude
    (global unstructured pruning, masks folded in), and measure both files.

    Returns:
        (bytes of the original's file, bytes of the pruned copy's file, the share zeroed).
    """
    from core.prune import PruneConfig, make_permanent, prune_model
    from core.quantization.measure import saved_bytes

    pruned = prune_model(model, PruneConfig(method="global", sparsity=sparsity))
    after = saved_bytes(make_permanent(pruned.model), "fp32")[0]
    return saved_bytes(model, "fp32")[0], after, pruned.sparsity
