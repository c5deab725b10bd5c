"""Train the project's own tiny GPT-2 (`tiny-gpt`) on the generated corpus, reproducibly.

The full run (``scripts/train_tiny_gpt.py``) writes ``assets/models/tiny-gpt/`` with
``save_pretrained``, plus a model card (README.md) and ``training_report.json`` holding every
figure the card quotes. Tests call :func:`train_tiny_gpt` with a short config.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.corpus import CorpusConfig, generate_corpus, heldout_tasks, recipe
from core.evaluation import ChoiceCase, choice_accuracy
from core.generation import greedy_ids
from core.knobs import check, knob
from core.models import context_size
from core.training.loop import optimise, warmup_cosine

EOS = "<|endoftext|>"


@dataclass(frozen=True)
class TinyGPTConfig:
    """Architecture, corpus and optimisation settings of a tiny-gpt run.

    >>> TinyGPTConfig(steps=0)
    Traceback (most recent call last):
    ...
    ValueError: steps must be at least 1, got 0
    """

    n_layer: int = knob(4, lo=1, help="Transformer blocks.")
    n_head: int = knob(4, lo=1, help="Attention heads per block (they split n_embd).")
    n_embd: int = knob(192, help="Width of the residual stream; a multiple of n_head.")
    n_ctx: int = knob(256, lo=1, help="Context window in tokens.")
    vocab_size: int = knob(
        2048, lo=300, help="Upper bound of the BPE: 256 bytes + merges + <|endoftext|>."
    )
    # the corpus sizes' range is CorpusConfig's, checked when the corpus is written
    n_docs: int = knob(25_000, help="Training documents (about 5 MB of text).")
    val_docs: int = knob(1_000, help="Held-out documents, written from another seed.")
    steps: int = knob(1_300, lo=1, help="Optimiser steps.")
    batch_size: int = knob(16, lo=1, help="Sequences per step.")
    lr: float = knob(3e-3, help="Peak learning rate (after the warm-up, then a cosine decay).")
    warmup: int = knob(30, help="Steps of linear warm-up.")
    weight_decay: float = knob(
        0.1, help="AdamW weight decay of the matrices (not of biases and norms)."
    )
    seed: int = knob(1337, help="Seed of the corpus, the initial weights and the batches.")
    eval_tasks: bool = knob(True, help="Score the held-out task sets for the card.")

    def __post_init__(self) -> None:
        check(self)  # layers, heads, context, steps and batch size at least 1; vocab_size 300
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")


@dataclass(frozen=True)
class TinyGPTRunResult:
    """What a run measured; the model card is written from this."""

    out_dir: str
    n_params: int
    tokenizer_size: int  # entries the BPE actually learned (<= config.vocab_size)
    train_tokens: int
    val_tokens: int
    corpus_bytes: int
    seconds: float  # wall clock of corpus + tokenizer + training
    cpu_seconds: float  # CPU time of the same, all threads (honest when the machine is shared)
    threads: int
    losses: list[float]
    val_loss: float
    val_perplexity: float
    unigram_perplexity: float
    shot_accuracy: dict[str, dict[str, float]] = field(default_factory=dict)
    context_exact_match: float | None = None
    config: dict[str, Any] = field(default_factory=dict)


def train_tokenizer(docs: list[str], vocab_size: int):
    """Train a byte-level BPE on ``docs`` and wrap it as a transformers fast tokenizer."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Tokenizer  # fast (tokenizers-backed) in transformers 5

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(docs, vocab_size=vocab_size, min_frequency=2, special_tokens=[EOS])
    return GPT2Tokenizer(
        tokenizer_object=bpe._tokenizer,
        bos_token=EOS,
        eos_token=EOS,
        unk_token=EOS,
        model_max_length=None,
    )


def corpus_ids(tok, docs: list[str]):
    """``docs`` as one id stream (N,), each document followed by the end-of-text token (when
    the tokenizer has one)."""
    import torch

    ids: list[int] = []
    for enc in tok(docs, add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
        if tok.eos_token_id is not None:  # a hub teacher may have none
            ids.append(tok.eos_token_id)
    return torch.tensor(ids, dtype=torch.long)


def _choice_accuracy(model, tok, cases: list[ChoiceCase]) -> float:
    """Share of cases where the gold choice has the highest summed log-probability."""
    return choice_accuracy(model, tok, cases, max_tokens=context_size(model))


def shot_cases(task: dict, k: int, instruction: bool) -> list[ChoiceCase]:
    """The items of a shipped task set (:func:`core.corpus.heldout_tasks`) as choice cases, each
    after ``k`` worked examples (and the task's instruction line when ``instruction``)."""
    sep, ip, op = task["separator"], task["input_prefix"], task["output_prefix"]
    shots = sep.join(f"{ip}{e['input']}{op}{e['output']}" for e in task["examples"][:k])
    head = (task["instruction"] + "\n") if instruction else ""
    cases = []
    for item in task["items"]:
        query = f"{ip}{item['input']}{op}".rstrip(" ")
        prompt = head + (shots + sep if k else "") + query
        choices = task["labels"] or item["choices"]
        cases.append(ChoiceCase(prompt, tuple(choices), item["output"]))
    return cases


def _context_exact_match(model, tok, items: list[dict]) -> float:
    hits = 0
    for it in items:
        prompt = f"Context: {it['context']}\nQuestion: {it['question']}\nAnswer:"
        new = greedy_ids(model, tok(prompt)["input_ids"], max_new_tokens=6)
        text = tok.decode(list(new), skip_special_tokens=True).split("\n")[0].strip()
        hits += text == it["output"]
    return hits / max(1, len(items))


def evaluate_tasks(model, tok) -> tuple[dict[str, dict[str, float]], float]:
    """Zero- vs few-shot choice accuracy on the held-out task sets, and context-question EM.

    Returns:
        ({task: {"k=0": acc, "k=0+instruction": acc, "k=1": ..., "k=4": ..., "k=8": ...}},
        exact match on the held-out context questions).
    """
    tasks = heldout_tasks()
    shot_acc = {
        name: {
            f"k={k}{'+instruction' if ins else ''}": _choice_accuracy(
                model, tok, shot_cases(tasks[name], k, ins)
            )
            for k, ins in ((0, False), (0, True), (1, False), (4, False), (8, False))
        }
        for name in ("sentiment", "translation", "qa")
    }
    return shot_acc, _context_exact_match(model, tok, tasks["context_qa"]["items"])


def reevaluate(out_dir: str | Path) -> TinyGPTRunResult:
    """Re-score a trained tiny-gpt on the task sets (no training) and rewrite card and report."""
    import dataclasses

    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = Path(out_dir)
    old = TinyGPTRunResult(**json.loads((out / "training_report.json").read_text()))
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    shot_acc, ctx_em = evaluate_tasks(model, tok)
    result = dataclasses.replace(old, shot_accuracy=shot_acc, context_exact_match=ctx_em)
    (out / "training_report.json").write_text(json.dumps(asdict(result), indent=1))
    (out / "README.md").write_text(model_card(result))
    return result


def train_tiny_gpt(
    config: TinyGPTConfig,
    out_dir: str | Path,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> TinyGPTRunResult:
    """Generate the corpus, train tokenizer and model, evaluate, and ``save_pretrained``.

    Args:
        config: the run's settings; the same config gives the same weights on the same machine.
        out_dir: folder the model, tokenizer, card and report are written to.
        on_step: called as ``on_step(step, loss)`` after every optimiser step.

    Returns:
        A :class:`TinyGPTRunResult` with the losses and the evaluation figures.
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    t0, cpu0 = time.perf_counter(), time.process_time()
    torch.manual_seed(config.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    docs = generate_corpus(CorpusConfig(n_docs=config.n_docs, seed=config.seed))
    val_docs = generate_corpus(CorpusConfig(n_docs=config.val_docs, seed=config.seed, heldout=True))
    tok = train_tokenizer(docs, config.vocab_size)
    train_ids, val_ids = corpus_ids(tok, docs), corpus_ids(tok, val_docs)

    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(tok),
            n_positions=config.n_ctx,
            n_embd=config.n_embd,
            n_layer=config.n_layer,
            n_head=config.n_head,
            bos_token_id=tok.eos_token_id,
            eos_token_id=tok.eos_token_id,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
        )
    )
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.lr,
        betas=(0.9, 0.95),
    )

    gen = torch.Generator().manual_seed(config.seed)
    T = config.n_ctx

    def batch_at(step: int) -> dict[str, Any]:
        starts = torch.randint(0, len(train_ids) - T, (config.batch_size,), generator=gen)
        batch = torch.stack([train_ids[s : s + T] for s in starts.tolist()])  # (B, T)
        return {"input_ids": batch, "labels": batch}  # the model shifts labels by one itself

    def lr_at(step: int) -> float:
        return warmup_cosine(
            step, peak=config.lr, warmup=config.warmup, steps=config.steps, floor=0.1
        )

    losses = optimise(model, opt, config.steps, batch_at, lr_at, on_step=on_step)
    train_seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - cpu0

    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    val_loss = _mean_loss(model, val_ids, T)
    counts = torch.bincount(train_ids, minlength=len(tok)).double() + 1.0
    unigram_logp = torch.log(counts / counts.sum())
    unigram_ppl = math.exp(-unigram_logp[val_ids].mean().item())

    shot_acc, ctx_em = evaluate_tasks(model, tok) if config.eval_tasks else ({}, None)

    result = TinyGPTRunResult(
        out_dir=str(out),
        n_params=n_params,
        tokenizer_size=len(tok),
        train_tokens=len(train_ids),
        val_tokens=len(val_ids),
        corpus_bytes=sum(len(d.encode()) for d in docs),
        seconds=round(train_seconds, 1),
        cpu_seconds=round(cpu_seconds, 1),
        threads=torch.get_num_threads(),
        losses=[round(x, 4) for x in losses],
        val_loss=round(val_loss, 4),
        val_perplexity=round(math.exp(val_loss), 3),
        unigram_perplexity=round(unigram_ppl, 1),
        shot_accuracy=shot_acc,
        context_exact_match=ctx_em,
        config=asdict(config),
    )
    (out / "training_report.json").write_text(json.dumps(asdict(result), indent=1))
    (out / "README.md").write_text(model_card(result))
    return result


def _mean_loss(model, ids, T: int) -> float:
    import torch

    n = (len(ids) - 1) // T
    chunks = ids[: n * T + 1]
    xs = chunks[:-1].view(n, T)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n, 16):
            x = xs[i : i + 16]
            loss = model(x, labels=x).loss
            total += loss.item() * x.numel()
            count += x.numel()
    return total / count


def model_card(r: TinyGPTRunResult) -> str:
    """The model card (README.md) of a run, every figure taken from the run itself."""
    c = r.config
    rows = []
    for task, accs in r.shot_accuracy.items():
        rows.append(f"| {task} | " + " | ".join(f"{v:.2f}" for v in accs.values()) + " |")
    head = next(iter(r.shot_accuracy.values()), {})
    shot_table = (
        "| task | " + " | ".join(head) + " |\n|---|" + "---|" * len(head) + "\n" + "\n".join(rows)
        if rows
        else "(not evaluated in this run)"
    )
    em = "n/a" if r.context_exact_match is None else f"{r.context_exact_match:.2f}"
    return f"""---
license: mit
library_name: transformers
pipeline_tag: text-generation
---
# tiny-gpt

A GPT-2-architecture causal LM (`GPT2LMHeadModel`) trained by GenAI Playground on a corpus it
generates itself (`core/corpus.py`), so every page of the playground works offline.
Reproduce with `python scripts/train_tiny_gpt.py` (seed {c["seed"]}).

## Model
- {c["n_layer"]} layers, {c["n_head"]} heads, n_embd {c["n_embd"]}, context {c["n_ctx"]} tokens
- **{r.n_params:,} parameters**, byte-level BPE tokenizer with {r.tokenizer_size:,} entries
  (at most {c["vocab_size"]:,} asked; merges seen fewer than twice are not learned)
  (`tokenizers`, special token `{EOS}`)

## Corpus recipe
A probabilistic grammar (`core/corpus.py`) writes {c["n_docs"]:,} documents,
{r.corpus_bytes / 1e6:.1f} MB, {r.train_tokens:,} tokens: {recipe()}.
The word problems (`core/word_problems.py`) never use the held-out names and operand triples of
the agents page's measurement; their card is `assets/tasks/word_problems.md`.
The validation text ({r.val_tokens:,} tokens) comes from another seed.

## Training
{c["steps"]} AdamW steps, batch {c["batch_size"]} x {c["n_ctx"]} tokens, lr {c["lr"]} (warm-up,
cosine decay), weight decay {c["weight_decay"]}: **{r.seconds / 60:.1f} minutes** wall clock
({r.cpu_seconds / 60:.1f} CPU-minutes over {r.threads} threads) on a {platform.machine()} CPU,
corpus and tokenizer included. Final training loss {r.losses[-1]:.3f}.

## Evaluation (held out)
| measure | value |
|---|---|
| validation loss | {r.val_loss:.3f} |
| **validation perplexity** | **{r.val_perplexity:.2f}** |
| unigram baseline perplexity (add-one, same tokens) | {r.unigram_perplexity:.1f} |
| exact match, held-out context questions (greedy) | {em} |

Zero- vs few-shot accuracy, by comparing the log-probabilities of the choices
(`assets/tasks/*.json`; translation choices are the word in French, Spanish and German):

{shot_table}

## Limits
A toy: it knows the grammar's world (a few hundred words) and nothing else.
"""
