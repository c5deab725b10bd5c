"""Crash-safe, serialized indexing: a SIGKILL mid-add leaves no debris, concurrent adds of one
document name leave exactly one whole version, and readers never see a half-written document."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from core.rag import ChunkConfig, Document, KnowledgeBase, chunk_text
from core.rag.store import DOCS_SUFFIX
from tests.conftest import ROOT

CFG = ChunkConfig(32, 0)


def fact_text(tag: str, n: int) -> str:
    """``n`` distinct sentences about ``tag`` (about one 32-token chunk per three sentences)."""
    return " ".join(
        f"Fact {i} of the {tag} series says the {tag} value {i} is {i * 7}." for i in range(n)
    )


def chunk_versions(kb: KnowledgeBase, doc_id: str) -> set[str]:
    got = kb._chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
    return {m["version"] for m in got["metadatas"]}


CHILD = textwrap.dedent(
    """
    import sys, time
    import torch
    torch.set_num_threads(1)
    from core.rag import store
    from core.rag import ChunkConfig, Document, KnowledgeBase
    from tests.core.rag.test_store_safety import fact_text

    store.EMBED_BATCH, store.WRITE_BATCH = 16, 32  # many small batches: kill between them
    kb = KnowledgeBase(sys.argv[1], collection="crash", chunking=ChunkConfig(32, 0))
    old = [Document("big.txt", fact_text("old", 40)), Document("small.txt", "A small note.")]
    kb.add_documents(old)
    print("COMMITTED", flush=True)

    def step(done, total):
        print(f"STEP {done} {total}", flush=True)
        if done >= 80:  # two write batches (64 chunks) are in chromadb by now
            time.sleep(120)  # the parent kills us here

    new = [Document("big.txt", fact_text("new", 300)), Document("new.txt", fact_text("zz", 60))]
    kb.add_documents(new, on_step=step)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_mid_indexing_leaves_no_orphans_and_no_half_document(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = []
    deadline = time.time() + 240
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line.strip())
            if line.startswith("STEP") and int(line.split()[1]) >= 80:
                break
            assert time.time() < deadline, seen
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert "COMMITTED" in seen and "FINISHED" not in seen, seen

    from core.rag import make_client

    raw = make_client(tmp_path)
    rows = raw.get_collection("crash" + DOCS_SUFFIX).get(include=["metadatas"])
    committed = sum(m["n_chunks"] for m in rows["metadatas"])
    debris = raw.get_collection("crash").count() - committed
    assert debris >= 64, "the child was killed before it stored any pending batch"

    kb = KnowledgeBase(tmp_path, collection="crash")  # opening sweeps
    assert kb.swept == debris
    assert kb.stored_chunks() == kb.count() == committed
    assert [d.source for d in kb.documents()] == ["big.txt", "small.txt"]  # no new.txt
    big = Document("big.txt", "")
    assert kb.get_document(big.doc_id).text == fact_text("old", 40)  # the old version, whole
    assert len(chunk_versions(kb, big.doc_id)) == 1
    assert kb.count() == len(chunk_text(fact_text("old", 40), CFG)) + 1
    hits = kb.query("What does the new series say about value 250?", 10)
    assert all("new series" not in h.text and h.source != "new.txt" for h in hits)


def test_a_pending_document_is_invisible_to_readers(tmp_path, monkeypatch):
    from core.rag import store

    monkeypatch.setattr(store, "EMBED_BATCH", 8)
    monkeypatch.setattr(store, "WRITE_BATCH", 8)
    kb = KnowledgeBase(tmp_path, collection="pending", chunking=CFG)
    kb.add_documents([Document("old.txt", fact_text("old", 12))])
    before = (kb.count(), [d.source for d in kb.documents()], kb.revision())
    reader = KnowledgeBase(tmp_path, collection="pending")  # another object, same store
    views = []

    def step(done, total):
        if done >= 16:  # two batches of the new document are stored, uncommitted
            views.append(
                (
                    reader.count(),
                    [d.source for d in reader.documents()],
                    reader.revision(),
                    {h.source for h in reader.query("fact of the fresh series", 10)},
                    {h.source for h in reader.query("fresh", 10, hybrid=True)},
                    kb.stored_chunks(),
                )
            )

    kb.add_documents([Document("fresh.txt", fact_text("fresh", 40))], on_step=step)
    assert views, "the callback never ran"
    for count, sources, rev, vec, hyb, stored in views:
        assert (count, sources, rev) == before
        assert vec == hyb == {"old.txt"}
        assert stored > count  # the pending chunks were there, just invisible
    assert {d.source for d in kb.documents()} == {"old.txt", "fresh.txt"}
    assert kb.stored_chunks() == kb.count()


def test_concurrent_adds_of_one_name_leave_one_whole_version(tmp_path, monkeypatch):
    from core.rag import store

    monkeypatch.setattr(store, "EMBED_BATCH", 4)  # many writes: the two adds would interleave
    monkeypatch.setattr(store, "WRITE_BATCH", 4)
    kb = KnowledgeBase(tmp_path, collection="race", chunking=CFG)
    kb.add_documents([Document("other.txt", "Another document stays as it is.")])
    texts = {"long": fact_text("long", 90), "short": fact_text("short", 6)}
    barrier = threading.Barrier(2)
    finished: list[str] = []
    errors: list[BaseException] = []

    def add(name: str) -> None:
        try:
            mine = KnowledgeBase(tmp_path, collection="race")  # each thread its own object
            barrier.wait()
            mine.add_documents([Document("same.txt", texts[name])])
            finished.append(name)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=add, args=(n,)) for n in ("long", "short")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(finished) == 2, errors
    same = Document("same.txt", "")
    winner = finished[-1]  # serialized: the add that finished last is the one stored
    assert kb.get_document(same.doc_id).text == texts[winner]
    assert len(chunk_versions(kb, same.doc_id)) == 1  # no stale chunks of the other version
    n_same = len(chunk_text(texts[winner], CFG))
    assert kb.count() == kb.stored_chunks() == n_same + 1
    assert [d.source for d in kb.documents()] == ["other.txt", "same.txt"]


def test_reindex_keeps_the_old_chunks_visible_until_the_new_ones_commit(tmp_path, monkeypatch):
    from core.rag import store

    monkeypatch.setattr(store, "EMBED_BATCH", 8)
    monkeypatch.setattr(store, "WRITE_BATCH", 8)
    kb = KnowledgeBase(tmp_path, collection="rechunk", chunking=CFG)
    kb.add_documents([Document("a.txt", fact_text("a", 30))])
    old = kb.count()
    seen = []
    kb.reindex(ChunkConfig(64, 8), on_step=lambda d, t: seen.append((kb.count(), kb.chunking)))
    assert seen and all(s == (old, CFG) for s in seen)
    assert kb.chunking == ChunkConfig(64, 8)
    assert (
        kb.count() == kb.stored_chunks() == len(chunk_text(fact_text("a", 30), ChunkConfig(64, 8)))
    )
