"""Where knowledge bases live: the chromadb client, collection names and the write locks.

One lock per store and collection is shared by every writer in this process, whatever
:class:`~core.rag.store.KnowledgeBase` object it goes through.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from core.settings import get_settings

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,46}[A-Za-z0-9]$")


def validate_collection_name(name: str) -> str:
    """The name, stripped, if chromadb and this app accept it.

    Raises:
        ValueError: with the rule that was broken, in plain words.
    """
    name = (name or "").strip()
    if "/" in name or "\\" in name:
        raise ValueError(f"{name!r}: a collection name cannot contain slashes.")
    if "__" in name:
        raise ValueError(f"{name!r}: a double underscore is reserved (the app uses it internally).")
    if not _NAME.match(name):
        raise ValueError(
            f"{name!r} is not a valid collection name: use 3 to 48 letters, digits, '-' or '_', "
            "starting and ending with a letter or digit."
        )
    return name


def make_client(path: str | Path | None = None) -> Any:
    """A chromadb client with telemetry off.

    Args:
        path: a folder for a ``PersistentClient``. ``None``: a Chroma server (``HttpClient``)
            when ``GENAI_CHROMA_HOST`` is set, else ``<data dir>/chroma``.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    s = get_settings()
    if path is None and s.chroma_host:
        return chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=chroma_settings)
    folder = Path(path) if path is not None else s.data_dir / "chroma"
    folder.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(folder), settings=chroma_settings)


_locks_guard = threading.Lock()
_write_locks: dict[str, threading.RLock] = {}


def _store_key(client: Any) -> str:
    try:
        s = client.get_settings()
        return f"{s.chroma_server_host}:{s.chroma_server_http_port}|{s.persist_directory}"
    except Exception:  # a client without settings (a test double)
        return f"client-{id(client)}"


def write_lock(client: Any, collection: str) -> threading.RLock:
    """The lock every writer of ``collection`` in this store takes (one per process)."""
    key = f"{_store_key(client)}|{collection}"
    with _locks_guard:
        return _write_locks.setdefault(key, threading.RLock())
