"""One layer's weights before and after a scheme: the values, the grid they snap to, the error.

The quantized values come from the real library (a one-layer copy quantized exactly as the model
is), so the histogram shows what the model computes with, not a re-implementation.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

from core.quantization.schemes import get_scheme, quanto_qtype, unsupported_reason


@dataclass(frozen=True)
class RoundTrip:
    """A layer quantized and dequantized.

    Args:
        layer: module name; ``scheme``: scheme key; ``shape``: the weight's (out, in) shape.
        block: which weights share one scale: ``row`` (output channel) and ``cols`` (start, end).
        original / dequantized: the block's weights before and after (floats, same length).
        grid: every value the block can take after quantization (None for fp16/bf16 casts,
            whose grid is too fine to draw), sorted.
        rmse / max_abs_error / relative_error / snr_db: error over the whole layer.
        granularity: how the scales are shared, in words.
    """

    layer: str
    scheme: str
    shape: tuple[int, int]
    row: int
    cols: tuple[int, int]
    original: tuple[float, ...]
    dequantized: tuple[float, ...]
    grid: tuple[float, ...] | None
    rmse: float
    max_abs_error: float
    relative_error: float
    snr_db: float
    granularity: str


def layer_names(model: Any) -> list[str]:
    """The layers a round trip can show: ``Conv1D`` and ``nn.Linear`` modules, heads excluded."""
    import fnmatch

    import torch
    from transformers.pytorch_utils import Conv1D

    from core.quantization.schemes import EXCLUDE

    kinds = (torch.nn.Linear, Conv1D)
    return [
        n
        for n, m in model.named_modules()
        if isinstance(m, kinds) and not any(fnmatch.fnmatch(n, p) for p in EXCLUDE)
    ]


def _weight(model: Any, layer: str):
    import torch
    from transformers.pytorch_utils import Conv1D

    mod = model.get_submodule(layer)
    w = mod.weight.detach().float()
    return (w.T if isinstance(mod, Conv1D) else w).contiguous().clone(), torch  # (out, in)


def roundtrip_layer(model: Any, layer: str, scheme: str, *, row: int = 0) -> RoundTrip:
    """Quantize one layer's weight with ``scheme`` and measure the round-trip error.

    Args:
        model: the (cached, unchanged) model; the layer is copied first.
        layer: a name from :func:`layer_names`.
        scheme: a scheme key other than ``fp32``.
        row: the output channel whose block is returned for the histogram.

    Returns:
        The block's values before and after, its grid, and the layer's error figures.

    Raises:
        ValueError: an unknown layer, a row out of range, or ``fp32`` (nothing to round-trip).
        RuntimeError: the scheme cannot run on this machine.
    """
    sch = get_scheme(scheme)
    if scheme == "fp32":
        raise ValueError("fp32 is the reference: pick a scheme that changes the weights")
    if layer not in layer_names(model):
        raise ValueError(f"{layer!r} is not a linear layer of this model")
    reason = unsupported_reason(scheme)
    if reason:
        raise RuntimeError(reason)
    w, torch = _weight(model, layer)  # (out, in)
    n_out, n_in = w.shape
    if not 0 <= row < n_out:
        raise ValueError(f"row must be between 0 and {n_out - 1}, got {row}")
    cols = (0, n_in)
    grid = None
    if sch.family == "float":
        dt = {"fp16": torch.float16, "bf16": torch.bfloat16}[scheme]
        deq = w.to(dt).float()
        granularity = f"every weight rounded to {scheme} on its own (no scale)"
    elif sch.family == "torch-dynamic":
        from torch.ao.quantization import quantize_dynamic

        lin = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            lin.weight.copy_(w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qlin = quantize_dynamic(torch.nn.Sequential(lin), {torch.nn.Linear}, dtype=torch.qint8)
        qw = qlin[0].weight()  # a torch quantized tensor, per-tensor affine
        deq = qw.dequantize()
        scale, zp = float(qw.q_scale()), int(qw.q_zero_point())
        grid = ((torch.arange(-128, 128) - zp) * scale).tolist()
        granularity = f"one scale for the whole tensor ({scale:.3g})"
    else:
        from optimum import quanto

        lin = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            lin.weight.copy_(w)
        holder = torch.nn.Sequential(lin)
        quanto.quantize(holder, weights=quanto_qtype(scheme))
        quanto.freeze(holder)
        qw = holder[0].weight
        deq = qw.dequantize().float()  # (out, in)
        scale = qw._scale.float().flatten()
        gs = getattr(qw, "_group_size", None) or n_in
        g = row * (n_in // gs)  # the row's first group
        cols = (0, gs)
        if qw.qtype.is_floating_point:  # fp8: every finite e4m3 value, scaled
            codes = torch.arange(256, dtype=torch.uint8).view(qw.qtype.dtype).float()
            codes = codes[torch.isfinite(codes)].unique()
            grid = (codes * scale[g]).tolist()
        elif hasattr(qw, "_shift"):  # int4/int2: affine, codes 0..2^bits-1
            shift = qw._shift.float().flatten()
            k = torch.arange(2**qw.qtype.bits, dtype=torch.float32)
            grid = (scale[g] * k - shift[g]).tolist()
        else:  # int8: symmetric
            grid = (scale[g] * torch.arange(-128, 128, dtype=torch.float32)).tolist()
        granularity = (
            f"one scale per output channel ({n_out} scales)"
            if gs == n_in
            else f"one scale and shift per group of {gs} weights ({scale.numel()} groups)"
        )
    deq = deq.detach().float()
    err = deq - w  # (out, in)
    rmse = float(err.pow(2).mean().sqrt())
    signal = float(w.pow(2).mean())
    noise = float(err.pow(2).mean())
    return RoundTrip(
        layer=layer,
        scheme=scheme,
        shape=(n_out, n_in),
        row=row,
        cols=cols,
        original=tuple(w[row, cols[0] : cols[1]].tolist()),
        dequantized=tuple(deq[row, cols[0] : cols[1]].tolist()),
        grid=tuple(sorted(grid)) if grid is not None else None,
        rmse=rmse,
        max_abs_error=float(err.abs().max()),
        relative_error=float(err.norm() / w.norm().clamp(min=1e-12)),
        snr_db=10 * math.log10(signal / noise) if noise > 0 else float("inf"),
        granularity=granularity,
    )
