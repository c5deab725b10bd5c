"""Benchmark of the Embeddings page, against the raw library call measured in the same run.

    python bench/bench_embeddings.py [--tokens 5000] [--repeats 10]

1. Projection of ``--tokens`` MiniLM token vectors (384 numbers each) to 2-D and 3-D by
   ``core.embeddings.project`` against scikit-learn's ``PCA(svd_solver="full").fit_transform``
   on the same rows. Goal: < 1 s at 5k tokens.
2. ``core.forward.walk`` (every step read with hooks) against a raw ``model(ids)`` forward pass
   of tiny-gpt, on a short prompt and on the full context, called in turn. Goal: <= 1.2x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from bench.timing import median_seconds  # noqa: E402
from core import embeddings as emb  # noqa: E402
from core import forward as fw  # noqa: E402
from core import generation as gen  # noqa: E402
from core import models  # noqa: E402
from core.embeddings import space  # noqa: E402

PROMPT = "Once upon a time, there was a little cat named"
LONG = "Tom liked to play in the park with his red ball. " * 40


def projection(n_tokens: int, repeats: int) -> list[tuple[int, float, float]]:
    """(dims, ours s, sklearn s) for the first ``n_tokens`` rows of MiniLM's table."""
    from sklearn.decomposition import PCA

    table = emb.token_table(models.load_encoder("minilm").model)
    x = table[1000 : 1000 + n_tokens].astype(np.float64)  # past [PAD], [unused...] and specials
    rows = []
    for dims in (2, 3):
        ours = median_seconds(lambda d=dims: space.project(x, dims=d), repeats)
        raw = median_seconds(
            lambda d=dims: PCA(n_components=d, svd_solver="full").fit_transform(x), repeats
        )
        ref = PCA(n_components=dims, svd_solver="full").fit_transform(x)
        got = space.project(x, dims=dims).coords
        signs = np.sign((got * ref).sum(axis=0))  # PCA axes are defined up to a sign
        assert np.allclose(got * signs, ref, atol=1e-6), "the projection differs from sklearn's"
        rows.append((dims, ours, raw))
    return rows


def interleaved(a, b, repeats: int) -> tuple[float, float]:
    """Median seconds of ``a`` and of ``b``, called in turn (after one warm-up each), so that a
    busy machine slows both alike."""
    a(), b()
    ta, tb = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a()
        t1 = time.perf_counter()
        b()
        ta.append(t1 - t0)
        tb.append(time.perf_counter() - t1)
    return statistics.median(ta), statistics.median(tb)


def walk_vs_forward(repeats: int) -> list[tuple[str, int, float, float]]:
    """(label, tokens, walk s, raw forward s) on a short prompt and on the full context."""
    lm = models.load_causal_lm("tiny-gpt")
    ctx = models.context_size(lm.model, lm.tokenizer)
    rows = []
    for label, text in (("short prompt", PROMPT), ("full context", LONG)):
        ids = gen.encode_prompt(lm.tokenizer, text, max_tokens=ctx).ids
        x = torch.tensor([list(ids)])

        def raw(x=x):
            with torch.inference_mode():
                return lm.model(input_ids=x, attention_mask=torch.ones_like(x), use_cache=False)

        walked = fw.walk(lm.model, lm.tokenizer, ids)
        assert np.allclose(walked.logits, raw().logits[0].numpy(), atol=1e-5)
        t_walk, t_raw = interleaved(
            lambda ids=ids: fw.walk(lm.model, lm.tokenizer, ids), raw, repeats
        )
        rows.append((label, len(ids), t_walk, t_raw))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=5000, help="token vectors projected")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # numpy's BLAS too: the SVD must not fight a busy machine
    print(
        f"bench_embeddings: torch and BLAS threads {torch.get_num_threads()}, "
        f"repeats {args.repeats}"
    )

    print(f"\n1. projection of {args.tokens:,} MiniLM token vectors (384-D), median of runs")
    for dims, ours, raw in projection(args.tokens, args.repeats):
        print(
            f"  {dims}-D: core.embeddings.project {ours * 1e3:8.1f} ms | sklearn PCA "
            f"{raw * 1e3:8.1f} ms | ratio {ours / raw:.2f}x | goal < 1 s: "
            f"{'yes' if ours < 1 else 'no'}"
        )

    print(
        "\n2. the forward-pass walk (hooks on every step) vs a raw model(ids), tiny-gpt, median of",
        args.repeats * 10,
        "runs",
    )
    for label, n, walk, raw in walk_vs_forward(args.repeats * 10):  # short runs: more of them
        print(
            f"  {label:13s} ({n:3d} tokens): forward {raw * 1e3:7.2f} ms | walk "
            f"{walk * 1e3:7.2f} ms | ratio {walk / raw:.2f}x (goal <= 1.2x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
