"""Knowledge bases per browser session over one shared, read-only starter corpus.

Every session starts on the shared starter notes (``assets/rag/corpus``, collection
``playground``), which nobody can change. The first change a session makes (an added, replaced
or removed document, a re-index with other chunk settings) copies the starter notes, vectors
included, into a collection of its own, ``s-<hash of the owner id>``, and applies the change
there; from then on the session reads only its own collection. Nothing of one session reaches
another: the owner id is hashed into the collection name and only its owner asks for it.

A session collection records when it was last used; one unused for ``idle_minutes``
(``GENAI_KB_IDLE_MINUTES``) is deleted, checked at most once a minute as sessions come and go.

>>> session_collection("browser-42")
's-6f025d8950fdd146e10c249d'
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.rag.documents import Document
from core.settings import get_settings

STARTER_COLLECTION = "playground"
SESSION_PREFIX = "s-"
TOUCH_EVERY_S = 60.0  # a used session collection rewrites its last-use time at most this often
CLEANUP_EVERY_S = 60.0  # idle collections are looked for at most this often


def session_collection(owner: str) -> str:
    """The collection name of ``owner``'s own knowledge base (a hash: the id is not stored).

    Raises:
        ValueError: an empty owner id.
    """
    owner = (owner or "").strip()
    if not owner:
        raise ValueError("A session knowledge base needs an owner id.")
    return SESSION_PREFIX + hashlib.sha256(owner.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class KbView:
    """The knowledge base a session reads, and how it differs from the starter notes.

    Args:
        kb: the store to query (the shared starter, or the session's own copy).
        shared: ``True`` while the session reads the shared, read-only starter notes.
        added: sources the session added or replaced.
        removed: starter notes the session removed.
        rechunked: the session's chunk settings differ from the starter's.
    """

    kb: Any
    shared: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rechunked: bool = False

    @property
    def label(self) -> str:
        """One line saying which knowledge base is active."""
        n = len(self.kb.documents())
        if self.shared:
            return f"Shared starter notes (read-only): {n} documents"
        parts = [f"{len(self.added)} document{'' if len(self.added) == 1 else 's'} added"]
        if self.removed:
            parts.append(
                f"{len(self.removed)} starter note{'s' * (len(self.removed) != 1)} removed"
            )
        if self.rechunked:
            c = self.kb.chunking
            parts.append(f"re-chunked (size {c.size}, overlap {c.overlap})")
        return f"Yours: {', '.join(parts)} ({n} documents in all)"


class SessionKnowledgeBases:
    """The shared starter knowledge base and every session's own, in one chromadb store.

    Args:
        path_or_client: a folder, a chromadb client, or ``None`` for the configured store
            (``GENAI_CHROMA_HOST`` or ``<data dir>/chroma``, see :func:`~core.rag.make_client`).
        idle_minutes: delete a session collection unused this long (default: the setting).
        embedding: the embedding function shared by every collection (default: MiniLM).
        starter: the documents of the shared knowledge base (default: the starter notes).
        clock: wall-clock seconds (tests move time forward).
    """

    def __init__(
        self,
        path_or_client: str | Path | Any = None,
        *,
        idle_minutes: float | None = None,
        embedding: Any = None,
        starter: Callable[[], list[Document]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from core.rag.documents import starter_documents
        from core.rag.embedding import MiniLMEmbeddingFunction
        from core.rag.store import make_client

        if path_or_client is None or isinstance(path_or_client, (str, Path)):
            self.client = make_client(path_or_client)
        else:
            self.client = path_or_client
        minutes = get_settings().kb_idle_minutes if idle_minutes is None else idle_minutes
        if not minutes > 0:
            raise ValueError(f"idle_minutes must be positive, got {minutes}")
        self.idle_s = 60.0 * minutes
        self.embedding = embedding or MiniLMEmbeddingFunction()
        self.clock = clock
        self._own: dict[str, Any] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.RLock()
        self._last_cleanup = float("-inf")
        self.starter = self._open_starter((starter or starter_documents)())
        self.cleanup()

    def _open_starter(self, docs: list[Document]) -> Any:
        """The shared collection, brought in line with the starter documents, then read-only."""
        from core.rag.store import KnowledgeBase

        kb = KnowledgeBase(self.client, collection=STARTER_COLLECTION, embedding=self.embedding)
        have = {d.doc_id: d.sha for d in kb.documents()}
        stale = [d for d in docs if have.get(d.doc_id) != d.sha]
        if stale:
            kb.add_documents(stale)
        for doc_id in set(have) - {d.doc_id for d in docs}:  # left by an older, shared version
            kb.remove_document(doc_id)
        kb.read_only = True
        return kb

    # --- one session ------------------------------------------------------------------------------
    def _exists(self, name: str) -> bool:
        from core.rag.store import DOCS_SUFFIX

        try:
            self.client.get_collection(name + DOCS_SUFFIX)
        except Exception:  # chromadb raises NotFoundError (ValueError before 1.0)
            return False
        return True

    def _own_kb(self, owner: str, *, create: bool) -> Any:
        from core.rag.store import KnowledgeBase

        name = session_collection(owner)
        with self._lock:
            kb = self._own.get(name)
            if kb is not None:
                return kb
            if not create and not self._exists(name):
                return None
            now = self.clock()
            kb = KnowledgeBase(
                self.client,
                collection=name,
                embedding=self.embedding,
                chunking=self.starter.chunking,
                metadata={"owner": "session", "touched": now, "forked": False},
            )
            if not kb.metadata.get("forked"):  # new, or a copy a kill interrupted: (re)do it
                kb.copy_from(self.starter)
                kb.update_metadata(forked=True, touched=now)
            self._own[name] = kb
            self._touched[name] = now
            return kb

    def _touch(self, kb: Any) -> None:
        now = self.clock()
        if now - self._touched.get(kb.name, float("-inf")) >= TOUCH_EVERY_S:
            kb.update_metadata(touched=now)
            self._touched[kb.name] = now

    def view(self, owner: str) -> KbView:
        """What ``owner`` reads: its own knowledge base if it made one, else the shared starter."""
        self.maybe_cleanup()
        kb = self._own_kb(owner, create=False)
        if kb is None:
            return KbView(self.starter, shared=True)
        self._touch(kb)
        starter = {d.doc_id: d for d in self.starter.documents()}
        mine = kb.documents()
        ids = {d.doc_id for d in mine}
        return KbView(
            kb,
            shared=False,
            added=tuple(
                d.source for d in mine if d.doc_id not in starter or starter[d.doc_id].sha != d.sha
            ),
            removed=tuple(d.source for d in starter.values() if d.doc_id not in ids),
            rechunked=kb.chunking != self.starter.chunking,
        )

    def writable(self, owner: str) -> Any:
        """``owner``'s own knowledge base, made from a copy of the starter notes if needed."""
        self.maybe_cleanup()
        kb = self._own_kb(owner, create=True)
        self._touch(kb)
        return kb

    def reset(self, owner: str) -> bool:
        """Delete ``owner``'s own knowledge base (back to the shared starter notes).

        Returns:
            Whether there was one.
        """
        name = session_collection(owner)
        with self._lock:
            existed = self._exists(name)
            self._drop(name)
            return existed

    def _drop(self, name: str) -> None:
        from core.rag.store import DOCS_SUFFIX, write_lock

        with write_lock(self.client, name):  # not while one of its writes is under way
            for n in (name + DOCS_SUFFIX, name):
                try:
                    self.client.delete_collection(n)
                except Exception:  # already gone
                    pass
        self._own.pop(name, None)
        self._touched.pop(name, None)

    # --- cleaning up ------------------------------------------------------------------------------
    def owners(self) -> dict[str, float]:
        """Every session collection in the store with its last-use time (seconds)."""
        from core.rag.store import DOCS_SUFFIX

        out = {}
        for c in self.client.list_collections():
            name = getattr(c, "name", c)
            if name.startswith(SESSION_PREFIX) and name.endswith(DOCS_SUFFIX):
                meta = getattr(c, "metadata", None)
                if meta is None:
                    meta = self.client.get_collection(name).metadata
                out[name.removesuffix(DOCS_SUFFIX)] = float((meta or {}).get("touched", 0.0))
        return out

    def cleanup(self) -> list[str]:
        """Delete the session collections unused for longer than the idle time.

        Returns:
            The names deleted.
        """
        with self._lock:
            now = self.clock()
            self._last_cleanup = now
            gone = [n for n, t in self.owners().items() if now - t > self.idle_s]
            for name in gone:
                self._drop(name)
            return gone

    def maybe_cleanup(self) -> list[str]:
        """:meth:`cleanup`, unless it ran less than a minute ago."""
        if self.clock() - self._last_cleanup < CLEANUP_EVERY_S:
            return []
        return self.cleanup()
