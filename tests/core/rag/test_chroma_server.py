"""The Chroma-server path of the RAG store: ``chroma run`` on loopback, knowledge bases built
through GENAI_CHROMA_HOST/PORT (``KnowledgeBase(None)``), shared between clients, persisted
across a server restart."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.rag import Document, KnowledgeBase
from core.settings import get_settings
from tests.conftest import ROOT, free_port

CHROMA = shutil.which("chroma")
START_DEADLINE_S = 60.0

pytestmark = [
    pytest.mark.skipif(CHROMA is None, reason="chromadb's `chroma` CLI is not installed"),
    pytest.mark.slow,  # two server starts and MiniLM embeddings: about 13 s
]


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port P``, startable again on the same DIR."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        assert CHROMA is not None
        log = open(self.path.parent / "chroma.log", "ab")  # noqa: SIM115 (lives with the server)
        cmd = [CHROMA, "run", "--path", str(self.path), "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        import chromadb

        t0 = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"chroma run exited with {self.proc.returncode}; see {log.name}")
            try:
                chromadb.HttpClient(host="127.0.0.1", port=self.port).heartbeat()
                return
            except Exception:
                if time.monotonic() - t0 > START_DEADLINE_S:
                    pytest.fail(f"chroma run did not answer within {START_DEADLINE_S:g} s")
                time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.proc = None


@pytest.fixture
def chroma_server(tmp_path, monkeypatch) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data", free_port())
    monkeypatch.setenv("GENAI_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("GENAI_CHROMA_PORT", str(server.port))
    get_settings.cache_clear()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        get_settings.cache_clear()  # the next test reads its own environment again


DOCS = [
    Document("paris.txt", "Paris is the capital of France. The Seine flows through Paris."),
    Document("tokens.txt", "A tokenizer splits text into tokens; the model reads token ids."),
]


def test_knowledge_base_shared_through_the_server_and_kept_across_restarts(chroma_server):
    kb = KnowledgeBase(None, collection="class-notes")
    settings = kb.client.get_settings()  # the server's client, not a local folder
    assert settings.chroma_api_impl.endswith("FastAPI")
    assert settings.chroma_server_http_port == chroma_server.port
    kb.add_documents(DOCS)
    assert kb.count() == 2

    # a second client in another process (another app server of the class) sees them
    code = (
        "from core.rag import KnowledgeBase\n"
        "kb = KnowledgeBase(None, collection='class-notes')\n"
        "print(sorted(d.source for d in kb.documents()))\n"
        "print(kb.query('What is the capital of France?', k=1)[0].source)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["['paris.txt', 'tokens.txt']", "paris.txt"]

    chroma_server.stop()
    chroma_server.start()  # same folder, same port: the data came from disk
    again = KnowledgeBase(None, collection="class-notes")
    assert again.count() == 2 and again.stored_chunks() == kb.stored_chunks()
    assert again.query("How does a model read text?", k=1)[0].source == "tokens.txt"
