"""Benchmark of the Tokenizer page's engine against the raw library call, in the same run.

    python bench/bench_tokenizer.py [--kb 100] [--repeats 20]

For each offline tokenizer, on a ~100 kB mixed text (prose, code, numbers, CJK, Arabic, emoji):

- raw: ``Encoding.encode(text, allowed_special="all")`` (tiktoken) or ``tokenizer(text)``
  (transformers), ids only;
- ``tokenize``: ``core.tokenizers.tokenize`` (ids + character spans + kinds; the ids are checked
  equal to raw);
- ``+ tokens``: the same plus building every ``Token`` row (id, text, bytes, span), which the
  page only does for the chips it draws (at most 1,500).

Goal: ``tokenize`` <= 1.1x raw.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import models  # noqa: E402
from core import tokenizers as tk  # noqa: E402


def _paired(fns, repeats: int) -> list[tuple[float, float]]:
    """Per function: best-of-``repeats`` seconds (timeit's rule: the minimum is the least
    disturbed by other processes) and the median of its per-run ratio to the first function.
    The functions run interleaved, so a busy machine hits every one alike."""
    for fn in fns:
        fn()  # warm-up
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return [
        (min(ts), statistics.median(t / r for t, r in zip(ts, times[0], strict=True)))
        for ts in times
    ]


def bench_text(kb: int) -> str:
    """Mixed text of about ``kb`` kilobytes of UTF-8."""
    ex = tk.examples()
    block = "\n\n".join([*ex["examples"].values(), *ex["parallel"]["languages"].values()])
    reps = kb * 1000 // len(block.encode()) + 1
    text = (block + "\n\n") * reps
    return text.encode()[: kb * 1000].decode("utf-8", "ignore")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    logging.getLogger("transformers").setLevel(logging.ERROR)  # "longer than 512" warnings
    text = bench_text(args.kb)
    print(
        f"text: {len(text.encode()):,} bytes, {len(text):,} characters; best of "
        f"{args.repeats} interleaved runs\n"
    )
    print(
        f"{'tokenizer':<12} {'tokens':>8} {'raw ms':>8} {'tokenize ms':>12} {'best':>6} "
        f"{'median':>7} {'+tokens ms':>11} {'best':>6}"
    )
    print("(best: ratio of the best times; median: median of the per-run ratios)")
    for name in ("cl100k_base", "minilm", "tiny-gpt"):
        try:
            lib = models.load_tokenizer(name)
        except models.ModelUnavailableError as e:
            print(f"{name:<12} skipped: {e}")
            continue
        if name == "cl100k_base":
            raw = lambda lib=lib: lib.encode(text, allowed_special="all")  # noqa: E731
        else:
            raw = lambda lib=lib: lib(text)["input_ids"]  # noqa: E731
        ours = tk.tokenize(text, name, parse_special=True)  # as raw: typed specials parsed
        assert list(ours.ids) == list(raw()), f"{name}: ids differ from the library's"
        (t_raw, _), (t_tok, r_tok), (t_all, r_all) = _paired(
            [
                raw,
                lambda name=name: tk.tokenize(text, name, parse_special=True),
                lambda name=name: tk.tokenize(text, name, parse_special=True).tokens,
            ],
            args.repeats,
        )
        print(
            f"{name:<12} {ours.n_tokens:>8,} {t_raw * 1e3:>8.1f} {t_tok * 1e3:>12.1f} "
            f"{t_tok / t_raw:>5.2f}x {r_tok:>6.2f}x {t_all * 1e3:>11.1f} "
            f"{t_all / t_raw:>5.2f}x"
        )
    print("\ngoal: tokenize <= 1.10x raw")


if __name__ == "__main__":
    main()
