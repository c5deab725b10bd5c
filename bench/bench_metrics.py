"""Benchmark of the ROUGE / BLEU page's engine against the raw libraries, in the same run.

    python bench/bench_metrics.py [--pairs 1000] [--refs 2] [--repeats 5]

For each metric, pairs scored per second by ``core.metrics`` and by the raw library call with
the same options (rouge_score's ``RougeScorer.score_multi`` loop, sacrebleu's ``BLEU`` /
``CHRF.corpus_score`` on one reused object), the scores checked identical, and the ratio
core / raw. Times are CPU time (``time.process_time``), the best of interleaved runs, because
the machine is shared and wall time is noisy.
Goal: >= 0.9x raw. Also the seeded bootstrap interval's cost (1000 resamples), and the page's
whole report (``score_pairs``) against the same calls made one by one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rouge_score import rouge_scorer  # noqa: E402
from sacrebleu.metrics import BLEU, CHRF  # noqa: E402

from core import metrics as M  # noqa: E402

WORDS = (
    "the a cat dog model token attention layer sat ran on under mat sofa reads writes quickly "
    "slowly big small red blue learns predicts text word sentence because while after before"
).split()


def make_pairs(n: int, refs: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """Seeded synthetic pairs: references of 8-30 words, candidates edited copies of them."""
    rng = random.Random(seed)
    preds, groups = [], []
    for _ in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(8, 30))]
        cand = [w if rng.random() > 0.3 else rng.choice(WORDS) for w in ref]
        cand = cand[: max(1, len(cand) - rng.randint(0, 4))]
        preds.append(" ".join(cand).capitalize() + ".")
        groups.append(
            [" ".join(ref).capitalize() + "."]
            + [" ".join(rng.sample(ref, len(ref))) + "." for _ in range(refs - 1)]
        )
    return preds, groups


def _best_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()  # CPU time: the machine is shared, wall time is noisy
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--refs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    preds, refs = make_pairs(args.pairs, args.refs)
    streams = [[g[k] for g in refs] for k in range(args.refs)]
    n = len(preds)
    types = list(M.ROUGE_TYPES)

    scorers = {s: rouge_scorer.RougeScorer(types, use_stemmer=s) for s in (False, True)}

    def raw_rouge(stem: bool):
        scorer = scorers[stem]
        return [scorer.score_multi(g, p) for p, g in zip(preds, refs, strict=True)]

    cases = []
    for stem in (False, True):
        core = M.rouge(preds, refs, use_stemmer=stem)
        raw = raw_rouge(stem)
        assert all(
            core.per_pair[i][t].fmeasure == raw[i][t].fmeasure for i in range(n) for t in types
        )
        cases.append(
            (
                f"ROUGE-1/2/L/Lsum stem={stem}",
                lambda s=stem: M.rouge(preds, refs, use_stemmer=s),
                lambda s=stem: raw_rouge(s),
            )
        )
    for opts in ({}, {"tokenize": "intl", "lowercase": True}, {"tokenize": "char"}):
        assert M.bleu(preds, refs, **opts).score == BLEU(**opts).corpus_score(preds, streams).score
        raw_b = BLEU(**opts)  # one object, like core's registry: both keep sacrebleu's caches
        cases.append(
            (
                f"BLEU {opts or 'defaults'}",
                lambda o=opts: M.bleu(preds, refs, **o),
                lambda m=raw_b: m.corpus_score(preds, streams),
            )
        )
    for opts in ({}, {"word_order": 2}):
        assert M.chrf(preds, refs, **opts).score == CHRF(**opts).corpus_score(preds, streams).score
        raw_c = CHRF(**opts)
        cases.append(
            (
                f"chrF {opts or 'defaults'}",
                lambda o=opts: M.chrf(preds, refs, **o),
                lambda m=raw_c: m.corpus_score(preds, streams),
            )
        )

    print(f"{n} pairs x {args.refs} references, best of {args.repeats} runs (scores identical)")
    print(f"{'metric':44s} {'core pairs/s':>13s} {'raw pairs/s':>12s} {'ratio':>7s}")
    ratios = []
    for name, core_fn, raw_fn in cases:
        # interleave core and raw so both see the same machine load
        tc, tr = [], []
        core_fn(), raw_fn()  # warm-up: imports and each side's caches
        for _ in range(args.repeats):
            tc.append(_best_s(core_fn, 1))
            tr.append(_best_s(raw_fn, 1))
        c, r = n / min(tc), n / min(tr)
        ratios.append(c / r)
        print(f"{name:44s} {c:13,.0f} {r:12,.0f} {c / r:6.2f}x")
    print(f"geometric mean ratio: {statistics.geometric_mean(ratios):.2f}x (goal >= 0.9x)")

    b, rg = M.bleu(preds, refs), M.rouge(preds, refs)
    M.bootstrap_ci(b, n_resamples=1000, seed=0)
    t_b = _best_s(lambda: M.bootstrap_ci(b, n_resamples=1000, seed=0), 3)
    t_r = _best_s(lambda: M.bootstrap_ci(rg, n_resamples=1000, seed=0), 3)
    t_raw = _best_s(lambda: BLEU().corpus_score(preds, streams), 3)
    print(
        f"bootstrap 1000 resamples: BLEU {t_b * 1000:.0f} ms ({t_b / t_raw:.1f}x one raw BLEU "
        f"corpus_score), ROUGE {t_r * 1000:.0f} ms"
    )
    report(preds, refs, max(2, args.repeats // 2))


def report(preds: list[str], refs: list[list[str]], repeats: int) -> None:
    """``score_pairs`` (the page's one cached call) against the calls it makes, one by one."""
    pairs = M.Pairs(tuple(preds), tuple(tuple(g) for g in refs))
    cfg = M.MetricsConfig()

    def separate():
        r = M.rouge(preds, refs, split_sentences=True)
        b, c = M.bleu(preds, refs), M.chrf(preds, refs)
        for result in (r, b, c):
            M.bootstrap_ci(result, seed=0)
        M.diagnose(pairs, bleu_lengths=[s[0] for s in b.stats])
        b.sentence_scores, b.per_sentence(effective_order=False)
        b.per_sentence(smooth_method="floor"), c.sentence_scores

    one, sep = [], []
    M.score_pairs(pairs, cfg), separate()  # warm-up
    for _ in range(repeats):
        one.append(_best_s(lambda: M.score_pairs(pairs, cfg), 1))
        sep.append(_best_s(separate, 1))
    t_one, t_sep = min(one), min(sep)
    print(
        f"score_pairs (report: 3 metrics, 3 intervals, diagnostics, per-pair tables) "
        f"{t_one * 1000:.0f} ms | the same calls one by one {t_sep * 1000:.0f} ms | "
        f"ratio {t_sep / t_one:.2f}x (goal >= 0.9x)"
    )


if __name__ == "__main__":
    main()
