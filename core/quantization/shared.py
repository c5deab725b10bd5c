"""Finished comparisons shared by every session of a server, each computed once.

A comparison is the same for everyone who asks it with the same :class:`QuantConfig` and takes
tens of seconds: :func:`shared_results` is the process-wide single-flight store
(:class:`core.cache.SharedResults`) that keeps the last few.
"""

from __future__ import annotations

import threading
from typing import Any

from core.cache import Progress, Report, SharedResults

__all__ = ["Progress", "Report", "SharedResults", "shared_results"]

_STORE: SharedResults[Any] | None = None
_STORE_LOCK = threading.Lock()


def shared_results() -> SharedResults[Any]:
    """The process-wide store of finished comparisons (every session of a server shares it)."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = SharedResults(max_entries=12)
        return _STORE
