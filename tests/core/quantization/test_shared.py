"""core.quantization.shared: one process-wide store of finished comparisons."""

from __future__ import annotations

from core import quantization as q
from core.cache import SharedResults


def test_one_shared_store_for_every_session():
    assert isinstance(q.shared_results(), SharedResults)
    assert q.shared_results() is q.shared_results()
