"""The schemes and the short run shared by the core.quantization tests."""

from __future__ import annotations

from core import quantization as q

ALL = q.DEFAULT_SCHEMES


TINY_RUN = q.QuantConfig(n_eval=4, seq_len=32, latency_runs=1, max_new_tokens=1)
