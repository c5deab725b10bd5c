"""Quantization comparison: the same model in fp32, fp16, bf16, int8, fp8, int4 and int2,
measured side by side (size on disk, memory, bits per weight, latency, quality vs fp32).

The llama.cpp ``quantize``/``perplexity`` table, on CPU, offline, with torch's dynamic int8 and
optimum-quanto's weight-only schemes. Heavy imports happen inside the functions.

>>> cfg = QuantConfig(model="tiny-gpt", schemes=("fp32", "int4"))
>>> cfg.ordered_schemes
('fp32', 'int4')
"""

from __future__ import annotations

from core.evaluation import LatencyComparison, compare_latency, kl_top1
from core.quantization.measure import (
    DEFAULT_PROMPT,
    DEFAULT_SCHEMES,
    EvalData,
    QuantConfig,
    QuantResult,
    causal_eval_data,
    compare,
    disk_size,
    encoder_eval_data,
    eval_data_for,
    prepare_base,
    run,
    saved_bytes,
    state_bytes,
)
from core.quantization.memory import PRECISION_BYTES, MemoryEstimate, estimate_memory
from core.quantization.roundtrip import RoundTrip, layer_names, roundtrip_layer
from core.quantization.schemes import (
    SCHEME_NAMES,
    SCHEMES,
    Scheme,
    apply_scheme,
    conv1d_to_linear,
    get_scheme,
    list_schemes,
    unsupported_reason,
)
from core.quantization.shared import SharedResults, shared_results
from core.quantization.verdicts import QualityRanking, disk_ratio, latency_vs_fp32, rank_quality

__all__ = [
    "DEFAULT_PROMPT",
    "DEFAULT_SCHEMES",
    "EvalData",
    "LatencyComparison",
    "MemoryEstimate",
    "PRECISION_BYTES",
    "QuantConfig",
    "QualityRanking",
    "QuantResult",
    "RoundTrip",
    "SCHEMES",
    "SCHEME_NAMES",
    "Scheme",
    "SharedResults",
    "apply_scheme",
    "causal_eval_data",
    "compare",
    "compare_latency",
    "conv1d_to_linear",
    "disk_ratio",
    "disk_size",
    "encoder_eval_data",
    "estimate_memory",
    "eval_data_for",
    "get_scheme",
    "kl_top1",
    "latency_vs_fp32",
    "layer_names",
    "list_schemes",
    "prepare_base",
    "rank_quality",
    "roundtrip_layer",
    "run",
    "saved_bytes",
    "shared_results",
    "state_bytes",
    "unsupported_reason",
]
