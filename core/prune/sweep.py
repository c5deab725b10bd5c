"""Quality and size against sparsity: prune at each sparsity, measure with the shared evaluation
module on the quantization page's data, and find which layers lose most.

Every point is scored on the same token windows (``core.quantization.measure.causal_eval_data``
cut as the quantization table cuts them), against the unpruned model: perplexity, KL(original ||
pruned) and top-1 agreement, the accuracy on a few held-out sentiment items
(``core.corpus.heldout_tasks``), parameters, bytes in memory and on disk (safetensors), and the
median latency of one forward pass. Unstructured points are measured after ``prune.remove``
(:func:`core.prune.make_permanent`): the model as it would be saved and served.

"Which layers lose most" is the KL to the original when *only that layer* is pruned at the
config's sparsity (the others untouched): a direct answer to "where does pruning hurt", which a
layer's own sparsity under global pruning answers only indirectly.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from core.evaluation import (
    ChoiceCase,
    agreement,
    causal_logits,
    compare_latency,
    perplexity_from_logits,
    time_interleaved,
    time_runs,
    token_windows,
)
from core.knobs import check, knob
from core.models import context_size
from core.prune.config import PruneConfig
from core.prune.magnitude import make_permanent
from core.prune.structured import blocks


@dataclass(frozen=True)
class SweepConfig:
    """How much to measure at every sparsity (sizes as the quantization table's defaults).

    Args:
        seq_len: tokens per evaluation window.
        n_windows: evaluation windows (the quantization table scores ``n_eval // 4`` = 10).
        n_task_items: held-out sentiment items scored per point.
        shots: worked examples before each item.
        latency_runs: timed forward passes per point (median kept).
        layer_losses: also prune each layer alone at the config's sparsity.
    """

    seq_len: int = knob(64, lo=8, hi=1024)
    n_windows: int = knob(10, lo=1, hi=200)
    n_task_items: int = knob(20, lo=0, hi=60)  # 20: one item moves the accuracy 5 points
    shots: int = knob(4, lo=0, hi=8)
    latency_runs: int = knob(5, lo=1, hi=50)  # median of 5, as the quantization table
    layer_losses: bool = knob(True)

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class SweepPoint:
    """One model measured: the original (sparsity None) or a pruned copy.

    Args:
        sparsity: the config's sparsity; None for the original.
        achieved: share of the targeted weights at zero (unstructured) / share of the heads or
            neurons removed (structured); 0.0 for the original.
        perplexity, kl, top1: on the shared windows; KL(original || this) in nats per token.
        task_accuracy: share of the sentiment items right (None: no items asked).
        n_params: parameters (tied once); zeros count, they are still stored.
        memory_bytes: bytes of the state dict (``state_bytes``).
        disk_bytes: bytes of the saved safetensors file (``saved_bytes``).
        latency_ms / latency_runs_ms: median and every timed forward pass of one window.
        latency_ratio / latency_verdict: this model against the original, timed in turns
            (``time_interleaved``, so a burst of load hits both alike) and judged by
            ``compare_latency`` (``faster`` / ``slower`` only when every run separates);
            1.0 and ``noise`` for the original itself.
        seconds: wall time of pruning and measuring this point.
        peak_bytes: weights plus the peak tensor bytes of one forward pass.
        layer_sparsity: per block, the share of its targeted weights at zero (unstructured:
            global pruning spreads the zeros unevenly) or of its heads / neurons removed.
    """

    sparsity: float | None
    achieved: float
    perplexity: float
    kl: float
    top1: float
    task_accuracy: float | None
    n_params: int
    memory_bytes: int
    disk_bytes: int
    latency_ms: float
    latency_runs_ms: tuple[float, ...]
    seconds: float
    latency_ratio: float = 1.0
    latency_verdict: str = "noise"
    layer_sparsity: tuple[float, ...] = ()
    peak_bytes: int = 0


@dataclass(frozen=True)
class LayerLoss:
    """Layer ``layer`` pruned alone at the config's sparsity: KL to the original and the
    perplexity change it causes."""

    layer: int
    kl: float
    perplexity_delta: float


@dataclass(frozen=True)
class SweepResult:
    """A sparsity sweep: the original, one point per sparsity, the per-layer losses.

    Args:
        config: the pruning method and targets (its sparsity: the layer losses').
        reference: the unpruned model measured the same way.
        points: one per sparsity, in the order asked.
        layer_losses: per layer, sorted from the most hurt (empty when not measured).
        n_windows / n_tokens / n_task_items: how much every point was scored on.
        stopped: a Stop ended the sweep early (fewer points or layers than asked).
    """

    config: PruneConfig
    reference: SweepPoint
    points: tuple[SweepPoint, ...]
    layer_losses: tuple[LayerLoss, ...]
    n_windows: int
    n_tokens: int
    n_task_items: int
    stopped: bool = False

    @property
    def disk_shrinks(self) -> bool:
        """True when some point's saved file is smaller than the original's (measured)."""
        return any(p.disk_bytes < self.reference.disk_bytes for p in self.points)

    @property
    def size_note(self) -> str:
        """One sentence on what the measurements say about size and time, from the numbers."""
        ref = self.reference
        if not self.points:
            return "the sweep was stopped before any pruned point was measured"
        last = max(self.points, key=lambda p: p.sparsity or 0.0)
        disk = last.disk_bytes / ref.disk_bytes
        speed = (
            f"one forward pass takes {last.latency_ratio:.2f}x the original's time, timed in "
            f"turns ({last.latency_verdict})"
        )
        if self.config.structured:
            return (
                f"removing {last.achieved:.0%} of the {self.config.method} shrinks the saved "
                f"file to {disk:.0%} of the original ({last.disk_bytes:,} of {ref.disk_bytes:,} "
                f"bytes), {last.n_params:,} of {ref.n_params:,} parameters remain, and {speed}"
            )
        return (
            f"at {last.achieved:.0%} zeros the saved file is {last.disk_bytes:,} bytes, "
            f"{disk:.0%} of the original's {ref.disk_bytes:,} (a dense tensor stores a zero like "
            f"any other number), and {speed} (dense kernels multiply zeros too)"
        )


def sentiment_cases(n_items: int, shots: int) -> list[ChoiceCase]:
    """The first ``n_items`` held-out sentiment items as choice cases after ``shots`` worked
    examples, in the task's own format (``Review: ...`` / ``Sentiment: positive``).

    >>> c = sentiment_cases(2, 1)
    >>> len(c), c[0].choices, c[0].prompt.endswith("Sentiment:")
    (2, ('positive', 'negative'), True)
    """
    from core.corpus import heldout_tasks
    from core.tinygpt import shot_cases

    return shot_cases(heldout_tasks()["sentiment"], shots, instruction=True)[:n_items]


def _measure(
    model: Any,
    sparsity: float | None,
    achieved: float,
    windows: Any,
    ref_logits: Any,
    data: dict[str, Any],
    cfg: SweepConfig,
    t0: float,
) -> tuple[SweepPoint, Any]:
    """One point: timed in turns with the original (when there is one), then measured by the
    shared :func:`core.optimize.measure_causal`."""
    import torch

    from core.optimize.measure import measure_causal

    x = windows[:1, :-1]  # (1, T): one sequence, as a chat request
    ratio, verdict = 1.0, "noise"
    with torch.no_grad():
        if data.get("ref_model") is None:
            t = time_runs(partial(model, input_ids=x), cfg.latency_runs)
        else:
            fns = {
                "ref": partial(data["ref_model"], input_ids=x),
                "this": partial(model, input_ids=x),
            }
            for fn in fns.values():
                fn()  # warm-up
            times = time_interleaved(fns, cfg.latency_runs)
            t = times["this"]
            c = compare_latency(t.samples_ms, times["ref"].samples_ms)
            ratio, verdict = c.ratio, c.verdict
    m, logits = measure_causal(
        model,
        windows,
        ref_logits,
        tokenizer=data["tok"],
        cases=data["cases"],
        max_tokens=data["ctx"],
        latency_runs=cfg.latency_runs,
        timings=t,
    )
    point = SweepPoint(
        sparsity,
        achieved,
        m.perplexity,
        m.kl,
        m.top1,
        m.task_accuracy,
        m.n_params,
        m.memory_bytes,
        m.disk_bytes,
        m.latency_ms,
        m.latency_runs_ms,
        time.perf_counter() - t0,
        ratio,
        verdict,
        peak_bytes=m.peak_bytes,
    )
    return point, logits


def _achieved(pruned: Any, model: Any, config: PruneConfig) -> float:
    if not config.structured:
        return pruned.sparsity
    if config.method == "heads":
        total = sum(b.attn.num_heads for b in blocks(model))
        return sum(len(v) for v in pruned.removed_heads.values()) / total
    total = sum(b.mlp.c_fc.weight.shape[1] for b in blocks(model))
    return sum(len(v) for v in pruned.removed_neurons.values()) / total


def _layer_sparsity(pruned: Any, model: Any, config: PruneConfig) -> tuple[float, ...]:
    h = blocks(model)
    if config.method == "heads":
        return tuple(
            len(pruned.removed_heads.get(i, ())) / b.attn.num_heads for i, b in enumerate(h)
        )
    if config.method == "neurons":
        return tuple(
            len(pruned.removed_neurons.get(i, ())) / b.mlp.c_fc.weight.shape[1]
            for i, b in enumerate(h)
        )
    zeros, sizes = [0] * len(h), [0] * len(h)
    for t in pruned.tensors:
        i = int(t.name.split(".")[2])  # transformer.h.<i>.attn.c_attn
        zeros[i] += t.zeros
        sizes[i] += t.numel
    return tuple(z / max(1, n) for z, n in zip(zeros, sizes, strict=True))


def prune_layer(model: Any, config: PruneConfig, layer: int) -> Any:
    """A copy of ``model`` with only block ``layer`` pruned as ``config`` says (masks folded).

    Unstructured: the block's targeted matrices at the config's sparsity, pooled (``global``:
    one pool of the block's matrices) or each on its own (``per-layer``). Structured: that
    block's heads or neurons.
    """
    from core.prune import prune_model

    pruned = prune_model(model, config, layers=(layer,))
    return pruned.model if config.structured else make_permanent(pruned.model)


def sweep(
    loaded: Any,
    config: PruneConfig,
    sparsities: Sequence[float],
    eval_data: Any,
    *,
    sweep_config: SweepConfig | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SweepResult:
    """Prune ``loaded.model`` at every sparsity and measure each copy against the original.

    Args:
        loaded: a :class:`core.models.LoadedModel` (never mutated: each point prunes a copy).
        config: method and targets; its sparsity is the one the per-layer losses use.
        sparsities: the points, each in [0, 1] (1 refused for heads and neurons).
        eval_data: a causal ``EvalData`` (``causal_eval_data()``: the quantization page's).
        sweep_config: sizes; None: the defaults.
        on_step: called as ``on_step(done, total, what)`` before each measurement and at the end.
        should_stop: asked before each point after the original; True ends the sweep with the
            points measured so far (``SweepResult.stopped``).

    Returns:
        A :class:`SweepResult`.

    Raises:
        ValueError: no sparsities, a sparsity out of range, or encoder data.
    """
    from core.prune import prune_model

    cfg = sweep_config or SweepConfig()
    if not sparsities:
        raise ValueError("give at least one sparsity")
    configs = [dataclasses.replace(config, sparsity=float(s)) for s in sparsities]
    if getattr(eval_data, "kind", "causal-lm") != "causal-lm":
        raise ValueError("a pruning sweep scores a causal LM: give causal evaluation data")
    model, tok = loaded.model, loaded.tokenizer
    ctx = context_size(model)
    windows = token_windows(tok, eval_data.texts, min(cfg.seq_len, ctx), max_windows=cfg.n_windows)
    data = {"tok": tok, "ctx": ctx, "cases": sentiment_cases(cfg.n_task_items, cfg.shots)}
    n_layers = len(blocks(model)) if cfg.layer_losses else 0
    total, done = 1 + len(configs) + n_layers, 0

    def step(what: str) -> None:
        if on_step is not None:
            on_step(done, total, what)

    step("original")
    reference, ref_logits = _measure(
        model, None, 0.0, windows, None, data, cfg, time.perf_counter()
    )
    data["ref_model"] = model  # every point is timed in turns with the original
    stop = should_stop or (lambda: False)
    stopped = False
    points = []
    for c in configs:
        if stop():
            stopped = True
            break
        done += 1
        step(f"sparsity {c.sparsity:g}")
        t0 = time.perf_counter()
        pruned = prune_model(model, c)
        served = pruned.model if c.structured else make_permanent(pruned.model)
        achieved = _achieved(pruned, model, c)
        point = _measure(served, c.sparsity, achieved, windows, ref_logits, data, cfg, t0)[0]
        layers = _layer_sparsity(pruned, model, c)
        points.append(dataclasses.replace(point, layer_sparsity=layers))
    losses = []
    for layer in range(n_layers):
        if stopped or stop():
            stopped = True
            break
        done += 1
        step(f"layer {layer} alone")
        logits = causal_logits(prune_layer(model, config, layer), windows)  # (N, T, V)
        ppl = perplexity_from_logits(logits, windows).perplexity
        kl = agreement(ref_logits, logits).kl
        losses.append(LayerLoss(layer, kl, ppl - reference.perplexity))
    done = total
    step("done")
    return SweepResult(
        config,
        reference,
        tuple(points),
        tuple(sorted(losses, key=lambda x: -x.kl)),
        int(windows.shape[0]),
        int(windows[:, 1:].numel()),
        len(data["cases"]),
        stopped,
    )
