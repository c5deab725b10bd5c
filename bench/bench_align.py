"""DPO throughput and the default recipe's wall time, for the Align page's card.

1. Steps/s of core.align.train_dpo against a plain torch loop on the same LoRA policy (same
   base, rank, targets, seed), the same batches of the shipped pairs and the same loss, in the
   same process, alternating rounds so that load from other processes hits both alike (goal:
   core >= 0.9x). Core's loop also computes, per step, the KL to the reference and TRL's
   metrics (margins, accuracies, log-probs) that the page plots; the plain loop computes only
   the loss.
2. The default recipe as the page runs it (DPOConfig() on the 240 shipped pairs, then the
   before/after answers and perplexities): wall time and held-out preference accuracy before
   and after (goal: under 2 minutes on 2 cores, at least +20 points). The figures are written
   to assets/align/recipe_card.json, which the page's card shows.

    python bench/bench_align.py [--rounds 3] [--threads 1] [--epochs 1] [--no-card]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import align  # noqa: E402
from core.align import DPOConfig  # noqa: E402

CARD = Path(__file__).resolve().parents[1] / "assets" / "align" / "recipe_card.json"


def plain_loop(config: DPOConfig, data: align.PreferenceSet) -> float:
    """steps/s of the textbook DPO loop on the same policy and batches: reference pass with the
    adapter off, policy pass, sigmoid loss, backward, clip, AdamW step."""
    import torch
    import torch.nn.functional as F

    from core.align.logps import encode_pairs, token_logps
    from core.lora.batches import epoch_batches

    model, tok = align.build_policy(config)
    train = encode_pairs(tok, data.train, config.max_tokens)
    plan = epoch_batches(len(data.train), config.batch_size, config.epochs, config.seed)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    model.train()
    t0 = time.perf_counter()
    for _, idx in plan:
        b = train.take(idx)
        n = b.n_pairs
        with torch.no_grad(), model.disable_adapter():
            ref = token_logps(
                model(input_ids=b.input_ids, attention_mask=b.attention_mask).logits, b
            )
            ref = ref.sum(-1)
        pi = token_logps(model(input_ids=b.input_ids, attention_mask=b.attention_mask).logits, b)
        pi = pi.sum(-1)
        loss = -F.logsigmoid(config.beta * ((pi[:n] - ref[:n]) - (pi[n:] - ref[n:]))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return len(plan) / (time.perf_counter() - t0)


def core_loop(config: DPOConfig, data: align.PreferenceSet) -> float:
    """steps/s of core.align.train_dpo over its optimiser steps (held-out checks excluded)."""
    return align.train_dpo(config, data).steps_per_s


def default_recipe() -> dict:
    """The page's default DPO run, timed end to end as its job runs it (load, train, compare)."""
    data = align.preference_set()
    t0 = time.perf_counter()
    res = align.train_dpo(DPOConfig(), data)
    ba = align.before_after(res.model, res.tokenizer, data.heldout[:12])
    wall = time.perf_counter() - t0
    return {
        "wall_s": round(wall, 1),
        "accuracy_before": res.before.reward_accuracy,
        "accuracy_after": res.after.reward_accuracy,
        "likelihood_before": res.before.accuracy,
        "likelihood_after": res.after.accuracy,
        "kl": round(res.after.kl, 4),
        "ppl_reference": round(ba.reference_ppl, 3),
        "ppl_policy": round(ba.policy_ppl, 3),
        "steps": len(res.steps),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1, help="epochs of the throughput runs")
    ap.add_argument("--no-card", action="store_true", help="do not write the page's card")
    args = ap.parse_args()
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} alternating rounds")
    data = align.preference_set()
    config = DPOConfig(epochs=args.epochs, eval_every=10_000)
    plain, ours = [], []
    for _ in range(args.rounds):
        plain.append(plain_loop(config, data))
        ours.append(core_loop(config, data))
    p, c = statistics.median(plain), statistics.median(ours)
    print(
        f"\nDPO on tiny-gpt + LoRA r={config.r}, batch {config.batch_size}, {len(data.train)} pairs"
    )
    print(f"  plain torch loop          {p:7.2f} steps/s")
    print(f"  core.align.train_dpo      {c:7.2f} steps/s   ratio {c / p:.2f}x")
    card = default_recipe()
    print(f"\nDefault recipe ({DPOConfig()}):")
    print(f"  wall time {card['wall_s']:.1f} s ({card['steps']} steps, then the before/after)")
    print(
        f"  held-out preference accuracy {card['accuracy_before']:.0%} -> "
        f"{card['accuracy_after']:.0%} (policy's own log-prob preference "
        f"{card['likelihood_before']:.0%} -> {card['likelihood_after']:.0%})"
    )
    print(f"  KL {card['kl']:.3f}, perplexity {card['ppl_reference']} -> {card['ppl_policy']}")
    if not args.no_card:
        card.update(
            measured_at=time.strftime("%Y-%m-%d", time.gmtime()),
            threads=args.threads,
            steps_ratio=round(c / p, 3),
        )
        CARD.parent.mkdir(parents=True, exist_ok=True)
        CARD.write_text(json.dumps(card, indent=2) + "\n")
        print(f"  written to {CARD.relative_to(CARD.parents[2])}")


if __name__ == "__main__":
    main()
