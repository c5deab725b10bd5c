"""Train tiny-t5 from scratch into assets/models/tiny-t5/ (a few minutes on 2 cores).

python scripts/train_tiny_t5.py [--out assets/models/tiny-t5] [--steps N] [--eval-only]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.tinyt5 import TinyT5Config, reevaluate, train_tiny_t5  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="assets/models/tiny-t5")
    ap.add_argument("--steps", type=int, default=TinyT5Config.steps)
    ap.add_argument(
        "--eval-only", action="store_true", help="re-score the trained model, rewrite its card"
    )
    args = ap.parse_args()
    if args.eval_only:
        r = reevaluate(args.out)
    else:
        t0 = time.perf_counter()

        def on_step(step: int, loss: float) -> None:
            if step % 50 == 0:
                print(
                    f"step {step:5d}  loss {loss:.3f}  {time.perf_counter() - t0:6.0f}s", flush=True
                )

        r = train_tiny_t5(TinyT5Config(steps=args.steps), args.out, on_step=on_step)
        print(f"params {r.n_params:,}  val loss {r.val_loss}  {r.seconds:.0f}s")
    for task, s in r.scores.items():
        bleu = "n/a" if s["bleu"] is None else f"{s['bleu']:.1f}"
        print(f"{task:15s} EM {s['exact_match']:.2f}  BLEU {bleu}")


if __name__ == "__main__":
    main()
