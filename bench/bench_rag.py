"""RAG benchmark: indexing throughput vs raw sentence-transformers, query latency at 1k/10k chunks,
and the page's server time per interaction (AppTest).

    python bench/bench_rag.py [--chunks 256] [--queries 60]
    python bench/bench_rag.py --page [--repeats 5]

Indexing: ``KnowledgeBase.add_documents`` (chunking + embedding + chromadb writes) against
``SentenceTransformer.encode`` of the same chunk texts, in the same run (goal >= 0.9x).
Query: ``KnowledgeBase.query`` (embed the question + HNSW search) with 1k and 10k chunks in the
index, p50/p95, against the raw encode of the question alone (goal p50 < 50 ms at 10k). The
extra chunks are filled with random unit vectors: search cost depends on the index size, not on
where the vectors came from.

Page (``--page``): the RAG page under AppTest in a fresh data folder; first load, warm load and
each control change (median of ``--repeats``), full script reruns (AppTest reruns the whole page,
a browser reruns only the chat fragment), printed next to the engine call the change would cost
without the retrieval cache (``KnowledgeBase.query`` + the extractive answer).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.timing import median_seconds  # noqa: E402
from core.rag import (  # noqa: E402
    ChunkConfig,
    Document,
    KnowledgeBase,
    chunk_text,
    labelled_questions,
    starter_documents,
)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def corpus(n_chunks: int, cfg: ChunkConfig) -> list[Document]:
    """Copies of the starter notes (renamed) until they make ``n_chunks`` chunks."""
    base = starter_documents()
    per = [len(chunk_text(d.text, cfg)) for d in base]
    docs, total, i = [], 0, 0
    while total < n_chunks:
        d = base[i % len(base)]
        docs.append(Document(f"copy{i}-{d.source}", d.text))
        total += per[i % len(base)]
        i += 1
    return docs


def page(repeats: int) -> None:
    """Server time of the RAG page per interaction, under AppTest."""
    from streamlit.testing.v1 import AppTest

    from core import settings
    from core.rag.answering import extractive_answer
    from core.rag.embedding import MiniLMEmbeddingFunction

    root = Path(__file__).resolve().parents[1]
    tmp = tempfile.mkdtemp(prefix="bench-rag-page-")
    os.environ["GENAI_DATA_DIR"] = tmp
    settings.get_settings.cache_clear()

    def opened() -> AppTest:
        at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
        at.session_state["rag_owner"] = "bench-browser"
        at.run()
        at.switch_page("pages/rag.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    t0 = time.perf_counter()
    at = opened()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    at = opened()
    warm = time.perf_counter() - t0
    print(f"page first load {first:6.2f} s (starter notes indexed, models loaded)")
    print(f"page warm load  {warm * 1000:6.0f} ms (a new session)")

    from core.rag import SessionKnowledgeBases

    kb = SessionKnowledgeBases().view("bench-browser").kb  # the page's store, opened again
    q = "Where does Tom live?"

    def engine() -> None:  # what a threshold change cost before: embed, search, rank sentences
        fresh = MiniLMEmbeddingFunction()  # the registry's model, no remembered vectors
        hits = kb.query(q, 4, threshold=0.3, query_embedding=fresh.encode([q])[0])
        extractive_answer(q, hits, fresh)

    engine_s = median_seconds(engine, repeats)

    def timed(label: str, act) -> None:
        times = []
        for i in range(repeats):
            t0 = time.perf_counter()
            act(i)
            times.append(time.perf_counter() - t0)
            assert not at.exception, [e.value for e in at.exception]
        print(
            f"{label:<34} median {statistics.median(times) * 1000:6.0f} ms, "
            f"max {max(times) * 1000:6.0f} ms | uncached query + extractive answer "
            f"{engine_s * 1000:6.0f} ms"
        )

    thresholds = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
    timed(
        "threshold slider step",
        lambda i: at.slider(key="rag_threshold").set_value(thresholds[i % 6]).run(),
    )
    timed(
        "top-k slider step (4 <-> 5)", lambda i: at.slider(key="rag_k").set_value(4 + i % 2).run()
    )
    timed("hybrid toggle", lambda i: at.toggle(key="rag_hybrid").set_value(i % 2 == 0).run())
    timed("rerun, nothing changed", lambda i: at.run())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=256, help="chunks indexed for throughput")
    ap.add_argument("--queries", type=int, default=60, help="queries per latency point")
    ap.add_argument("--page", action="store_true", help="time the page's interactions instead")
    ap.add_argument("--repeats", type=int, default=5, help="repeats per page interaction")
    args = ap.parse_args()
    if args.page:
        page(args.repeats)
        return
    from sentence_transformers import SentenceTransformer

    from core import models

    cfg = ChunkConfig()
    model = SentenceTransformer(models.model_path("minilm"), device="cpu")  # the reference
    model.encode(["warm up"] * 8)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(tmp, collection="bench", chunking=cfg)
        kb.add_documents(["Warm-up: the collection and its index exist before timing."])
        docs = corpus(args.chunks, cfg)
        texts = [c.text for d in docs for c in chunk_text(d.text, cfg)]
        t0 = time.perf_counter()
        model.encode(texts, batch_size=32, normalize_embeddings=True)
        raw_s = time.perf_counter() - t0
        rep = kb.add_documents(docs)
        ours_s = rep.seconds
        print(
            f"indexing {len(texts)} chunks: raw encode {len(texts) / raw_s:7.1f} chunks/s, "
            f"KnowledgeBase.add_documents {rep.n_chunks / ours_s:7.1f} chunks/s, "
            f"ratio {raw_s / ours_s:.2f}x (goal >= 0.9x)"
        )

        questions = [q["question"] for q in labelled_questions()]
        qs = (questions * (args.queries // len(questions) + 1))[: args.queries]
        rng = np.random.default_rng(0)
        for target in (1_000, 10_000):
            missing = target - kb.count()
            for i in range(0, max(0, missing), 1000):
                n = min(1000, missing - i)
                vecs = rng.normal(size=(n, 384)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                filler, version = Document(f"filler-{target}-{i}", "filler"), f"fill{target}-{i}"
                kb._chunks.add(
                    ids=[f"{filler.doc_id}:{version}:{j:04d}" for j in range(n)],
                    embeddings=vecs,
                    documents=["filler"] * n,
                    metadatas=[
                        {
                            "source": filler.source,
                            "doc_id": filler.doc_id,
                            "version": version,
                            "index": j,
                            "start": 0,
                            "end": 6,
                            "n_tokens": 1,
                        }
                        for j in range(n)
                    ],
                )
                kb._commit([(filler, version, n)], None)  # committed: searchable
            raw, ours, hyb = [], [], []
            for q in qs:
                t = time.perf_counter()
                model.encode([q], normalize_embeddings=True)
                raw.append(time.perf_counter() - t)
                t = time.perf_counter()
                kb.query(q, 4)
                ours.append(time.perf_counter() - t)
            kb.query(qs[0], 4, hybrid=True)  # builds the BM25 index once
            for q in qs[:20]:
                t = time.perf_counter()
                kb.query(q, 4, hybrid=True)
                hyb.append(time.perf_counter() - t)
            p50, p95, r50 = pct(ours, 50) * 1e3, pct(ours, 95) * 1e3, pct(raw, 50) * 1e3
            print(
                f"query at {kb.count():>6} chunks: p50 {p50:6.1f} ms, p95 {p95:6.1f} ms"
                f" | raw encode p50 {r50:6.1f} ms | ratio raw/ours {r50 / p50:.2f}x"
                f" | hybrid p50 {pct(hyb, 50) * 1e3:6.1f} ms"
                f" | goal p50 < 50 ms: {'met' if p50 < 50 else 'missed'}"
            )


if __name__ == "__main__":
    main()
