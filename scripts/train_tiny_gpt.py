"""Train tiny-gpt from scratch into assets/models/tiny-gpt/ (about 10 minutes on 2 cores).

python scripts/train_tiny_gpt.py [--out assets/models/tiny-gpt] [--steps N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.corpus import heldout_tasks, review_dataset  # noqa: E402
from core.tinygpt import TinyGPTConfig, reevaluate, train_tiny_gpt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="assets/models/tiny-gpt")
    ap.add_argument("--steps", type=int, default=TinyGPTConfig.steps)
    ap.add_argument("--tasks-out", default="assets/tasks")
    ap.add_argument(
        "--eval-only", action="store_true", help="re-score the trained model, rewrite its card"
    )
    args = ap.parse_args()

    import json

    tasks_dir = Path(args.tasks_out)
    tasks_dir.mkdir(parents=True, exist_ok=True)
    for name, task in heldout_tasks().items():
        (tasks_dir / f"{name}.json").write_text(json.dumps(task, indent=1, ensure_ascii=False))

    import csv

    data_dir = Path(args.tasks_out).parent / "datasets"
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "reviews.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"])
        w.writeheader()
        w.writerows(review_dataset())

    if args.eval_only:
        r = reevaluate(args.out)
        print(f"shots {r.shot_accuracy}  context EM {r.context_exact_match}")
        return

    t0 = time.perf_counter()

    def on_step(step: int, loss: float) -> None:
        if step % 50 == 0:
            print(f"step {step:5d}  loss {loss:.3f}  {time.perf_counter() - t0:6.0f}s", flush=True)

    r = train_tiny_gpt(TinyGPTConfig(steps=args.steps), args.out, on_step=on_step)
    print(f"params {r.n_params:,}  val ppl {r.val_perplexity}  unigram ppl {r.unigram_perplexity}")
    print(f"shots {r.shot_accuracy}  context EM {r.context_exact_match}  {r.seconds:.0f}s")


if __name__ == "__main__":
    main()
