"""LoRA training throughput: core.lora.train_lora vs a plain peft + torch loop, same settings.

Both build the same peft model (same base, rank, targets, seed), run the same number of AdamW
steps on the same rows with the same batch size and max length, in the same process, one torch
thread each, alternating rounds so that load from other processes hits both alike. Prints the
steps/s of each and the ratio (goal: core >= 0.9x raw).

    python bench/bench_lora.py [--rounds 3] [--rows 96] [--epochs 2] [--recipes format]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import lora, models  # noqa: E402


def raw_loop(spec: lora.LoraConfigSpec, rows, labels) -> float:
    """steps/s of the textbook loop: tokenizer(padding=True) per batch, forward, backward, step."""
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(spec.seed)
    path = models.model_path(
        spec.model, "encoder" if spec.task == "classification" else "causal-lm"
    )
    tok = AutoTokenizer.from_pretrained(path)
    if spec.task == "classification":
        net = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(labels))
        task_type = TaskType.SEQ_CLS
    else:
        net = AutoModelForCausalLM.from_pretrained(path)
        tok.pad_token = tok.eos_token
        task_type = TaskType.CAUSAL_LM
    cfg = LoraConfig(
        task_type=task_type,
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=list(spec.target_modules),
    )
    model = get_peft_model(net, cfg)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=spec.lr)
    gen = torch.Generator().manual_seed(spec.seed)
    model.train()
    steps = 0
    t0 = time.perf_counter()
    for _ in range(spec.epochs):
        perm = torch.randperm(len(rows), generator=gen).tolist()
        for i in range(0, len(rows), spec.batch_size):
            batch = [rows[j] for j in perm[i : i + spec.batch_size]]
            cut = dict(padding=True, truncation=True, max_length=spec.max_length)
            if spec.task == "classification":
                enc = tok([x for x, _ in batch], return_tensors="pt", **cut)
                enc["labels"] = torch.tensor([labels.index(y) for _, y in batch])
            else:
                # the same text train_lora trains on: prompt, completion, end-of-text
                texts = [p + c + tok.eos_token for p, c in batch]
                enc = tok(texts, return_tensors="pt", **cut)
                enc["labels"] = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
            loss = model(**enc).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()
            steps += 1
    return steps / (time.perf_counter() - t0)


def ours(spec: lora.LoraConfigSpec, data) -> tuple[float, float]:
    """(steps/s over the optimiser steps, steps/s over the loop's wall time incl. callbacks)."""
    infos: list[lora.StepInfo] = []
    res = lora.train_lora(spec, data, on_step=infos.append, compare=False)
    return res.steps_per_s, infos[-1].steps_per_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rows", type=int, default=96)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--recipes", nargs="+", default=list(lora.RECIPES), choices=list(lora.RECIPES))
    args = ap.parse_args()
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} alternating rounds")
    for key in args.recipes:
        recipe = lora.RECIPES[key]
        data = lora.load_recipe_dataset(key).subset(args.rows)
        # the whole subset trains in both: eval_every past the end means one eval at the last step
        spec = recipe.spec(epochs=args.epochs, val_fraction=0.05, eval_every=10_000)
        train, _ = lora.split_dataset(data, spec.val_fraction, spec.seed)
        raw, core_step, core_wall = [], [], []
        for _ in range(args.rounds):
            raw.append(raw_loop(spec, train.rows, list(data.labels)))
            a, b = ours(spec, data)
            core_step.append(a)
            core_wall.append(b)
        r, c, w = (statistics.median(x) for x in (raw, core_step, core_wall))
        targets = ",".join(spec.target_modules)
        print(f"\n{recipe.title}: {recipe.model}, r={spec.r} on {targets}, ", end="")
        print(f"batch {spec.batch_size}, length {spec.max_length}, {len(train)} rows")
        print(f"  raw peft + torch loop      {r:7.2f} steps/s")
        print(
            f"  core.lora.train_lora       {c:7.2f} steps/s   ratio {c / r:.2f}x (optimiser steps)"
        )
        print(
            f"  core.lora incl. callbacks  {w:7.2f} steps/s   ratio {w / r:.2f}x (loop wall time)"
        )


if __name__ == "__main__":
    main()
