"""Per-session knowledge bases: a read-only shared starter, private copies, idle cleanup."""

from __future__ import annotations

import pytest

from core.rag import (
    ChunkConfig,
    Document,
    ReadOnlyError,
    SessionKnowledgeBases,
    session_collection,
    starter_documents,
)

SECRET = Document("zorblax.md", "The zorblax password is kumquat-42. Zorblax is a planet.")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def kbs(tmp_path):
    clock = Clock()
    kbs = SessionKnowledgeBases(tmp_path, idle_minutes=30, clock=clock)
    kbs.clock_ = clock  # type: ignore[attr-defined]
    return kbs


def sources(kbs, owner: str) -> set[str]:
    return {d.source for d in kbs.view(owner).kb.documents()}


def test_every_session_starts_on_the_read_only_starter(kbs):
    starter = {d.source for d in starter_documents()}
    view = kbs.view("alice")
    assert view.shared and view.kb is kbs.starter and sources(kbs, "alice") == starter
    assert view.label.startswith("Shared starter notes (read-only)")
    with pytest.raises(ReadOnlyError, match="shared and read-only"):
        kbs.starter.add_documents([SECRET])
    with pytest.raises(ReadOnlyError):
        kbs.starter.remove_document(kbs.starter.documents()[0].doc_id)
    with pytest.raises(ReadOnlyError):
        kbs.starter.reindex(ChunkConfig(64, 0))


def test_what_one_session_adds_removes_or_rechunks_no_other_sees(kbs):
    starter = {d.source for d in starter_documents()}
    alice = kbs.writable("alice")
    assert alice.count() == kbs.starter.count()  # the copy holds every starter chunk
    alice.add_documents([SECRET])
    lora = next(d for d in alice.documents() if d.source == "lora.md")
    alice.remove_document(lora.doc_id)
    view = kbs.view("alice")
    assert not view.shared and view.added == ("zorblax.md",) and view.removed == ("lora.md",)
    assert view.label.startswith("Yours: 1 document added, 1 starter note removed")
    assert sources(kbs, "alice") == (starter - {"lora.md"}) | {"zorblax.md"}
    # bob: the starter as shipped, and retrieval never reaches alice's document
    assert kbs.view("bob").shared and sources(kbs, "bob") == starter
    hits = kbs.view("bob").kb.query("What is the zorblax password?", 10)
    assert all("zorblax" not in h.text.lower() for h in hits)
    assert kbs.view("alice").kb.query("What is the zorblax password?", 1)[0].source == "zorblax.md"
    # carol re-chunks: only her view changes
    carol = kbs.writable("carol")
    carol.reindex(ChunkConfig(64, 8))
    assert kbs.view("carol").rechunked and "re-chunked (size 64" in kbs.view("carol").label
    assert kbs.starter.chunking == alice.chunking == ChunkConfig()
    assert kbs.view("carol").kb.count() != kbs.starter.count()
    assert sources(kbs, "carol") == starter
    # a second process (a server restart) finds alice's knowledge base again
    again = SessionKnowledgeBases(kbs.client, idle_minutes=30, clock=kbs.clock_)
    assert sources(again, "alice") == sources(kbs, "alice")


def test_collection_names_hide_the_owner_and_differ():
    a, b = session_collection("alice-session-1"), session_collection("alice-session-2")
    assert a != b and "alice" not in a and a.startswith("s-")
    with pytest.raises(ValueError, match="owner id"):
        session_collection("  ")


def test_idle_session_collections_are_deleted_and_used_ones_kept(kbs):
    kbs.writable("alice").add_documents([SECRET])
    kbs.writable("bob")
    assert set(kbs.owners()) == {session_collection("alice"), session_collection("bob")}
    kbs.clock_.now += 20 * 60
    kbs.view("bob")  # bob keeps using his (the use is recorded at most once a minute)
    kbs.clock_.now += 15 * 60  # alice idle 35 min > 30, bob 15 min
    assert kbs.cleanup() == [session_collection("alice")]
    assert kbs.view("alice").shared and sources(kbs, "alice") == {
        d.source for d in starter_documents()
    }
    assert not kbs.view("bob").shared
    assert kbs.maybe_cleanup() == []  # ran less than a minute ago


def test_reset_goes_back_to_the_shared_starter(kbs):
    kbs.writable("alice").add_documents([SECRET])
    assert kbs.reset("alice") and kbs.view("alice").shared
    assert not kbs.reset("alice")  # nothing left to delete
    assert session_collection("alice") not in kbs.owners()


def test_an_interrupted_copy_is_redone(kbs):
    """A kill between creating a session collection and finishing the copy: the next open
    copies again instead of leaving a half copy of the starter notes."""
    from core.rag import KnowledgeBase

    name = session_collection("dave")
    half = KnowledgeBase(kbs.client, collection=name, metadata={"forked": False, "touched": 0})
    half.add_documents([starter_documents()[0]])
    kbs._own.clear()
    assert kbs.writable("dave").count() == kbs.starter.count()


def test_idle_time_comes_from_the_settings():
    from core.settings import settings_from_env

    assert settings_from_env({}).kb_idle_minutes == 120
    assert settings_from_env({"GENAI_KB_IDLE_MINUTES": "5"}).kb_idle_minutes == 5
    with pytest.raises(ValueError, match="GENAI_KB_IDLE_MINUTES"):
        settings_from_env({"GENAI_KB_IDLE_MINUTES": "0"})
