"""Benchmark the prompt-shot scoring against the plain way: one full forward per prompt + choice.

    python bench/bench_prompting.py [--task translation] [--seeds 3] [--repeats 2]

``evaluate_shots`` runs the token prefix shared by a (k, seed) group once and reuses its KV
cache for every item and choice, batched. The baseline calls ``model(ids)`` on each
prompt + choice, as lm-evaluation-harness' simplest loop does. Both are timed in the same run,
their log-probabilities compared, and the speed-up printed as a ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import models  # noqa: E402
from core.prompting import SWEEP_KS, evaluate_shots, load_task  # noqa: E402
from core.prompting.prompts import (  # noqa: E402
    _bos_ids,
    _choice_ids,
    _encode,
    _prompt_segments,
    shot_order,  # noqa: E402
)


def naive(task, lm, ks, seeds) -> list[list[float]]:
    """Summed choice log-probabilities, one full forward per prompt + choice."""
    import torch

    tok, model = lm.tokenizer, lm.model
    out = []
    for k in ks:
        for seed in seeds[:1] if k == 0 else seeds:
            shots = shot_order(len(task.examples), seed)[:k]
            for it in task.items:
                text = "".join(s.text for s in _prompt_segments(task, shots, it, False))
                p = _bos_ids(tok) + _encode(tok, text)
                row = []
                for c in task.choices_for(it):
                    cids = _choice_ids(tok, c)
                    ids = torch.tensor([p + cids])
                    with torch.no_grad():
                        logp = torch.log_softmax(model(ids).logits[0].float(), -1)  # (T, V)
                    row.append(sum(logp[len(p) - 1 + t, cids[t]].item() for t in range(len(cids))))
                out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="translation")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    lm = models.load_causal_lm("tiny-gpt")
    task = load_task(a.task)
    seeds = tuple(range(a.seeds))
    ks = tuple(k for k in SWEEP_KS if k <= len(task.examples))
    fast, slow = [], []
    for _ in range(a.repeats):
        t = time.perf_counter()
        res = evaluate_shots(task, lm, ks, seeds, instruction=False)
        fast.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = naive(task, lm, ks, seeds)
        slow.append(time.perf_counter() - t)
    got = [list(s.logprobs) for r in res.runs for s in r.items]
    err = max(abs(x - y) for g, r in zip(got, ref, strict=True) for x, y in zip(g, r, strict=True))
    n = sum(len(r) for r in ref)
    print(
        f"task {a.task}: {len(res.runs)} (k, seed) prompts x {len(task.items)} items, "
        f"{n} prompt+choice scores"
    )
    print(f"evaluate_shots (shared prefix, KV cache, batched): {min(fast):.2f} s")
    print(f"raw model(ids) per prompt+choice:                  {min(slow):.2f} s")
    print(f"speed-up: {min(slow) / min(fast):.1f}x   (largest log-prob difference {err:.1e})")


if __name__ == "__main__":
    main()
