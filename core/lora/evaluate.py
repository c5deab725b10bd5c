"""After a run: base vs adapter, merge-and-compare, forgetting check, save and reload.

Every figure compares the same peft model with its adapter switched off (``disable_adapter``,
the base weights untouched underneath) and on, on the same inputs.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.lora.spec import LoraConfigSpec, Task, validate_run_name
from core.settings import get_settings

MAX_NEW_TOKENS = 24
GEN_ROWS = 40  # causal LM: rows generated for exact match (generation is the slow part)
META = "lora_run.json"


def _switch(model, adapter: bool):
    return contextlib.nullcontext() if adapter else model.disable_adapter()


def generate_completions(
    model, tok, prompts, *, max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 32
) -> list[str]:
    """Greedy continuations of ``prompts`` up to EOS or a blank line, prompts left out.

    Rows are left-padded and run as one batch (generation derives the positions from the
    attention mask), so 40 prompts cost ~``max_new_tokens`` forward passes, not 40 times that.
    """
    import torch

    limit = getattr(model.config, "n_positions", None) or getattr(
        model.config, "max_position_embeddings", 1024
    )
    eos = tok.eos_token_id
    out_texts: list[str] = []
    for i in range(0, len(prompts), batch_size):
        rows = [
            ids[-(limit - max_new_tokens) :] or [eos]
            for ids in tok(list(prompts[i : i + batch_size]), add_special_tokens=False)["input_ids"]
        ]
        T = max(map(len, rows))
        ids = torch.tensor([[eos] * (T - len(r)) + r for r in rows])  # (B, T) left-padded
        mask = torch.tensor([[0] * (T - len(r)) + [1] * len(r) for r in rows])  # (B, T)
        with torch.no_grad():
            out = model.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens,
                do_sample=False, pad_token_id=eos, eos_token_id=eos,
            )  # fmt: skip
        for row in out[:, T:]:  # (B, new)
            text = tok.decode(row, skip_special_tokens=True)
            out_texts.append(text.split("\n\n")[0].rstrip())
    return out_texts


def generate_completion(model, tok, prompt: str, *, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """Greedy continuation of one prompt (see :func:`generate_completions`)."""
    return generate_completions(model, tok, [prompt], max_new_tokens=max_new_tokens)[0]


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _same_answer(output: str, target: str) -> bool:
    """Exact match after whitespace and case folding; a one-line target is compared with the
    output's first line (what follows is the model carrying on, not its answer)."""
    if "\n" not in target.strip():
        output = output.strip().split("\n", 1)[0] if output.strip() else ""
    return _norm(output) == _norm(target)


def outputs_for(
    model, tok, task: Task, inputs, labels=(), max_length: int = 64, *, adapter: bool = True
) -> list[str]:
    """What the model answers for each input: a label (with its probability) or a completion."""
    import torch

    with _switch(model, adapter), torch.no_grad():
        if task == "classification":
            enc = tok(
                list(inputs),
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            probs = torch.softmax(model(**enc).logits.float(), -1)  # (B, C)
            conf, pred = probs.max(-1)
            return [f"{labels[int(p)]} ({float(c):.0%})" for p, c in zip(pred, conf, strict=True)]
        return generate_completions(model, tok, list(inputs))


def compare_base_adapter(model, tok, task: Task, rows, labels=(), max_length: int = 64):
    """Score the base (adapter off) and the adapter on the same held-out ``rows``.

    Returns:
        A :class:`core.lora.train.Comparison`: losses, accuracies (exact match of the completion
        for a causal LM, on the first ``GEN_ROWS`` rows) and the outputs side by side.
    """
    from core.lora.train import Comparison, encode, mean_loss

    enc = encode(rows, tok, task, max_length, labels)
    pad = tok.pad_token_id
    shown = list(rows) if task == "classification" else list(rows)[:GEN_ROWS]
    inputs = [x for x, _ in shown]
    out: dict[bool, tuple[float, float, list[str]]] = {}
    for adapter in (False, True):
        with _switch(model, adapter):
            loss = mean_loss(model, enc, pad, task)
        outs = outputs_for(model, tok, task, inputs, labels, max_length, adapter=adapter)
        if task == "classification":
            hits = [o.rsplit(" (", 1)[0] == y for o, (_, y) in zip(outs, shown, strict=True)]
        else:
            hits = [_same_answer(o, y) for o, (_, y) in zip(outs, shown, strict=True)]
        out[adapter] = (loss, sum(hits) / max(1, len(hits)), outs)
    return Comparison(
        inputs=tuple(inputs),
        targets=tuple(y for _, y in shown),
        base_outputs=tuple(out[False][2]),
        adapter_outputs=tuple(out[True][2]),
        base_loss=out[False][0],
        adapter_loss=out[True][0],
        base_accuracy=out[False][1],
        adapter_accuracy=out[True][1],
    )


# --- merge -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MergeCheck:
    """The adapter folded into the weights (``merge_and_unload`` on a copy) vs kept apart."""

    max_abs_diff: float  # largest logit difference over the checked inputs
    same_outputs: bool  # same predicted label / same greedy next token everywhere
    n_inputs: int
    params_adapter: int  # parameters of the peft model (base + A, B)
    params_merged: int  # parameters after merging: the base model's count again
    ms_adapter: float  # one forward pass, milliseconds
    ms_merged: float


def merge_check(model, tok, task: Task, inputs, max_length: int = 64) -> MergeCheck:
    """Merge a deep copy of the adapter into its base weights and compare the logits.

    The trained model itself is never changed.
    """
    import torch

    merged = copy.deepcopy(model).merge_and_unload()
    merged.eval()
    model.eval()
    enc = tok(
        list(inputs), truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    enc = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    times = {}
    logits = {}
    with torch.no_grad():
        for name, net in (("adapter", model), ("merged", merged)):
            net(**enc)  # warm-up
            t = time.perf_counter()
            logits[name] = net(**enc).logits.float()  # (B, C) or (B, T, V)
            times[name] = 1000 * (time.perf_counter() - t)
    a, m = logits["adapter"], logits["merged"]
    if task == "classification":
        same = bool((a.argmax(-1) == m.argmax(-1)).all())
    else:
        mask = enc["attention_mask"].bool()  # (B, T)
        same = bool((a.argmax(-1)[mask] == m.argmax(-1)[mask]).all())
    return MergeCheck(
        max_abs_diff=float((a - m).abs().max()),
        same_outputs=same,
        n_inputs=len(inputs),
        params_adapter=sum(p.numel() for p in model.parameters()),
        params_merged=sum(p.numel() for p in merged.parameters()),
        ms_adapter=times["adapter"],
        ms_merged=times["merged"],
    )


# --- forgetting --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForgettingCheck:
    """The base model's original skill measured with the adapter off and on."""

    metric: str
    higher_is_better: bool
    base: float
    adapter: float
    n_items: int
    explanation: str
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def change(self) -> float:
        return self.adapter - self.base


def _corpus_perplexity(model, tok, texts, block: int) -> float:
    import torch

    eos = tok.eos_token_id
    ids: list[int] = []
    for t in tok(list(texts), add_special_tokens=False)["input_ids"]:
        ids += [*t, eos]
    x = torch.tensor(ids)
    n = (len(x) - 1) // block
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n, 8):
            chunk = torch.stack(
                [x[j * block : j * block + block + 1] for j in range(i, min(n, i + 8))]
            )
            out = model(input_ids=chunk[:, :-1], labels=chunk[:, :-1])  # shifts labels itself
            w = chunk.shape[0] * (block - 1)
            total, count = total + out.loss.item() * w, count + w
    return math.exp(total / max(1, count))


def _embed(encoder, tok, texts, max_length: int):
    import torch

    enc = tok(
        list(texts), truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        h = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])[0]  # (B,T,D)
    m = enc["attention_mask"].unsqueeze(-1).float()  # (B, T, 1)
    e = (h * m).sum(1) / m.sum(1).clamp(min=1)  # (B, D) mean pooling, as sentence-transformers
    return torch.nn.functional.normalize(e, dim=-1)


def forgetting_check(model, tok, task: Task, *, n_items: int = 40) -> ForgettingCheck:
    """Does the adapter damage what the base model could already do?

    Causal LM: perplexity on held-out text of the kind it was pretrained on (for tiny-gpt, the
    held-out split of its own corpus). Encoder: the sentence-embedding skill MiniLM was trained
    for, as top-1 retrieval of the right passage for a question, plus how far the embeddings
    moved (cosine between the embeddings before and after).
    """
    import torch

    from core.corpus import CorpusConfig, generate_corpus, heldout_tasks

    model.eval()
    if task == "causal-lm":
        texts = generate_corpus(CorpusConfig(n_docs=n_items, seed=1337, heldout=True))
        limit = getattr(model.config, "n_positions", None) or getattr(
            model.config, "max_position_embeddings", 256
        )
        block = min(128, limit)
        ppl = {}
        for adapter in (False, True):
            with _switch(model, adapter):
                ppl[adapter] = _corpus_perplexity(model, tok, texts, block)
        return ForgettingCheck(
            "perplexity on held-out pretraining-style text",
            False,
            ppl[False],
            ppl[True],
            len(texts),
            "Lower is better. A small rise is the price of the new skill; a big one means the "
            "adapter overwrote general knowledge (catastrophic forgetting).",
        )
    items = heldout_tasks()["context_qa"]["items"][:n_items]
    questions = [it["question"] for it in items]
    passages = [it["context"] for it in items]
    inner = model.get_base_model()
    encoder = getattr(inner, inner.base_model_prefix, inner)
    res: dict[bool, tuple[float, Any]] = {}
    for adapter in (False, True):
        with _switch(model, adapter):
            q, p = _embed(encoder, tok, questions, 64), _embed(encoder, tok, passages, 128)
        sims = q @ p.T  # (N, N) cosine similarity, question x passage
        acc = float((sims.argmax(-1) == torch.arange(len(items))).float().mean())
        res[adapter] = (acc, q)
    drift = float((res[False][1] * res[True][1]).sum(-1).mean())
    return ForgettingCheck(
        "question -> passage retrieval accuracy (top-1)",
        True,
        res[False][0],
        res[True][0],
        len(items),
        "MiniLM was trained to embed sentences for search. If the adapter had wrecked that, "
        "questions would stop finding their passage.",
        {"embedding cosine before/after": drift},
    )


# --- save and reload ---------------------------------------------------------------------------
def run_dir(name: str, runs_dir: str | Path | None = None) -> Path:
    """The folder of a run: ``runs_dir / name`` with ``name`` validated (no path tricks)."""
    base = Path(runs_dir) if runs_dir is not None else get_settings().runs_dir
    path = (base / validate_run_name(name)).resolve()
    if path.parent != base.resolve():
        raise ValueError(f"{name!r} would leave the runs folder")
    return path


def save_run(result, out_dir: str | Path) -> Path:
    """``save_pretrained`` the adapter into ``out_dir`` plus ``lora_run.json`` (spec, labels,
    metrics) so the run can be listed and rebuilt later."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.model.save_pretrained(str(out))
    cmp = result.comparison
    meta = {
        "spec": asdict(result.spec),
        "dataset": result.dataset_name,
        "labels": list(result.labels),
        "n_train": result.n_train,
        "n_val": result.n_val,
        "steps_done": result.steps_done,
        "total_steps": result.total_steps,
        "stopped": result.stopped,
        "trainable": result.params.trainable,
        "total": result.params.total,
        "seconds": round(result.seconds, 2),
        "final_train_loss": result.train_losses[-1] if result.train_losses else None,
        "base_accuracy": cmp.base_accuracy if cmp else None,
        "adapter_accuracy": cmp.adapter_accuracy if cmp else None,
        "saved_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    (out / META).write_text(json.dumps(meta, indent=1))
    return out


@dataclass(frozen=True)
class SavedRun:
    """A saved adapter folder and what ``lora_run.json`` says about it."""

    name: str
    path: str
    meta: dict

    @property
    def spec(self) -> LoraConfigSpec:
        s = dict(self.meta["spec"])
        s["target_modules"] = tuple(s["target_modules"])
        return LoraConfigSpec(**s)


def list_runs(runs_dir: str | Path | None = None) -> list[SavedRun]:
    """Saved LoRA runs, newest first (folders without a readable ``lora_run.json`` skipped)."""
    base = Path(runs_dir) if runs_dir is not None else get_settings().runs_dir
    if not base.is_dir():
        return []
    out = []
    for d in sorted(base.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            meta = json.loads((d / META).read_text())
            run = SavedRun(d.name, str(d), meta)
            run.spec  # noqa: B018 - validates the stored spec
        except (OSError, ValueError, KeyError, TypeError):
            continue
        out.append(run)
    return out


def load_run(name: str, runs_dir: str | Path | None = None):
    """Rebuild a saved run: a fresh base model with the adapter loaded on top.

    Returns:
        ``(saved_run, peft_model, tokenizer)``, the model in eval mode.

    Raises:
        ValueError: bad name, or no saved LoRA run of that name.
    """
    import torch
    from peft import PeftModel

    from core.lora.train import load_base

    path = run_dir(name, runs_dir)
    run = next((r for r in list_runs(path.parent) if r.name == path.name), None)
    if run is None:
        raise ValueError(f"there is no saved LoRA run named {name!r}")
    spec = run.spec
    torch.manual_seed(spec.seed)  # the base's new classification head, as in the run
    base, tok = load_base(spec.model, spec.task, run.meta.get("labels", ()))
    model = PeftModel.from_pretrained(base, str(path))
    model.eval()
    return run, model, tok
