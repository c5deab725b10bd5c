"""Train the project's own encoder-decoder (`tiny-t5`) on the grammar's seq2seq formats.

The third family beside tiny-gpt (decoder only) and MiniLM (encoder only): a
``T5ForConditionalGeneration`` whose encoder reads the whole source bidirectionally and whose
decoder writes the answer causally while cross-attending to the encoder. It learns the corpus
grammar's translation, context-question, summarization and sentiment formats
(:func:`core.corpus.seq2seq_pairs`). ``scripts/train_tiny_t5.py`` writes
``assets/models/tiny-t5/`` with ``save_pretrained``, a model card (README.md) and
``training_report.json`` holding every figure the card quotes; ``--eval-only`` re-measures them.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.corpus import SEQ2SEQ_TASKS, CorpusConfig, heldout_seq2seq, seq2seq_pairs
from core.generation import generate_batch
from core.knobs import check, knob
from core.training.loop import optimise, warmup_cosine

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"  # ids 0, 1, 2, as in T5's own vocabulary
MAX_SOURCE = 192  # tokens of a source (a toy story is about 90)
MAX_TARGET = 32  # tokens of a target (a summary is about 16)


@dataclass(frozen=True)
class TinyT5Config:
    """Architecture, data and optimisation settings of a tiny-t5 run.

    >>> TinyT5Config(d_model=130, n_head=4)
    Traceback (most recent call last):
    ...
    ValueError: d_model (130) must be divisible by n_head (4)
    """

    n_layer: int = knob(3, lo=1, help="Blocks in the encoder, and as many in the decoder.")
    n_head: int = knob(4, lo=1, help="Attention heads per block (they split d_model).")
    d_model: int = knob(128, lo=8, help="Width of the residual stream; a multiple of n_head.")
    d_ff: int = knob(512, lo=8, help="Width of each block's feed-forward layer.")
    vocab_size: int = knob(
        2048, lo=300, help="Upper bound of the BPE: 256 bytes + merges + 3 special tokens."
    )
    n_pairs: int = knob(40_000, lo=10, help="Training (source, target) pairs.")
    steps: int = knob(3_000, lo=1, help="Optimiser steps.")
    batch_size: int = knob(32, lo=1, help="Pairs per step.")
    lr: float = knob(1e-3, help="Peak learning rate (after the warm-up, then a cosine decay).")
    warmup: int = knob(50, help="Steps of linear warm-up.")
    weight_decay: float = knob(0.01, help="AdamW weight decay of the matrices.")
    seed: int = knob(1337, help="Seed of the pairs, the initial weights and the batches.")
    eval_items: int = knob(60, lo=0, help="Held-out items per task scored for the card.")

    def __post_init__(self) -> None:
        check(self)
        if self.d_model % self.n_head:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head})"
            )


@dataclass(frozen=True)
class TaskScore:
    """How tiny-t5 did on one held-out task: greedy exact match, corpus BLEU and examples."""

    n_items: int
    exact_match: float
    bleu: float | None  # corpus BLEU (sacrebleu, 13a); None where every answer is one word
    examples: tuple[tuple[str, str, str], ...] = ()  # (source, target, output), a few


@dataclass(frozen=True)
class TinyT5RunResult:
    """What a run measured; the model card is written from this."""

    out_dir: str
    n_params: int
    tokenizer_size: int
    train_pairs: int
    train_tokens: int  # source + target tokens of the training pairs
    seconds: float
    cpu_seconds: float
    threads: int
    losses: list[float]
    val_loss: float
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # task -> TaskScore fields
    config: dict[str, Any] = field(default_factory=dict)


def train_tokenizer(texts: list[str], vocab_size: int) -> Any:
    """A byte-level BPE over ``texts`` as a transformers fast tokenizer that ends every text
    with ``</s>`` (T5's convention; ``<pad>`` is the decoder's start token)."""
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts, vocab_size=vocab_size, min_frequency=2, special_tokens=[PAD, EOS, UNK]
    )
    bpe._tokenizer.post_processor = TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        model_max_length=MAX_SOURCE,
    )


def build_model(config: TinyT5Config, vocab_size: int) -> Any:
    """An untrained ``T5ForConditionalGeneration`` of ``config``'s shape (seeded by the caller)."""
    from transformers import T5Config, T5ForConditionalGeneration

    shape: dict[str, Any] = {  # n_positions: the longest source the catalog's readers assume
        "vocab_size": vocab_size,
        "d_model": config.d_model,
        "d_kv": config.d_model // config.n_head,
        "d_ff": config.d_ff,
        "num_layers": config.n_layer,
        "num_decoder_layers": config.n_layer,
        "num_heads": config.n_head,
        "dropout_rate": 0.0,
        "feed_forward_proj": "relu",
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
        "n_positions": MAX_SOURCE,
        "tie_word_embeddings": True,
    }
    return T5ForConditionalGeneration(T5Config(**shape))


def _batch(tok: Any, pairs: list[tuple[str, str, str]]) -> dict[str, Any]:
    src = tok(
        [s for _, s, _ in pairs],
        padding=True,
        truncation=True,
        max_length=MAX_SOURCE,
        return_tensors="pt",
    )
    tgt = tok(
        [t for _, _, t in pairs],
        padding=True,
        truncation=True,
        max_length=MAX_TARGET,
        return_tensors="pt",
    )
    labels = tgt["input_ids"].masked_fill(tgt["attention_mask"] == 0, -100)  # no loss on pads
    return {
        "input_ids": src["input_ids"],
        "attention_mask": src["attention_mask"],
        "labels": labels,
    }


def translate(model: Any, tok: Any, sources: list[str], *, batch_size: int = 32) -> list[str]:
    """Greedy outputs of ``model`` for ``sources``, batched (:func:`core.generation.generate_batch`,
    token for token what ``model.generate`` writes)."""
    out: list[str] = []
    for i in range(0, len(sources), batch_size):
        rows = [
            tok(s, truncation=True, max_length=MAX_SOURCE)["input_ids"]
            for s in sources[i : i + batch_size]
        ]
        new = generate_batch(
            model,
            rows,
            max_new_tokens=MAX_TARGET,
            pad_token_id=tok.pad_token_id,
            stop_token_ids=(tok.eos_token_id,),
        )
        out.extend(tok.decode(list(ids), skip_special_tokens=True).strip() for ids in new)
    return out


def score_tasks(model: Any, tok: Any, n_items: int = 60) -> dict[str, TaskScore]:
    """Greedy exact match and corpus BLEU (sacrebleu, 13a; None for one-word answers) on the
    held-out items of every task."""
    from core.metrics.scores import BleuConfig, bleu_metric

    scores = {}
    for task, items in heldout_seq2seq(n_items=n_items).items():
        items = items[:n_items] if task != "heldout_word" else items
        outs = translate(model, tok, [it["source"] for it in items])
        refs = [it["target"] for it in items]
        em = sum(o == r for o, r in zip(outs, refs, strict=True)) / max(1, len(items))
        # BLEU's 2- to 4-grams do not exist in one-word answers: it would read 0 whatever the model
        bleu = (
            round(float(bleu_metric(BleuConfig()).corpus_score(outs, [refs]).score), 1)
            if any(len(r.split()) > 1 for r in refs)
            else None
        )
        examples = tuple(
            (it["source"], it["target"], o) for it, o in zip(items[:3], outs, strict=False)
        )
        scores[task] = TaskScore(len(items), round(em, 3), bleu, examples)
    return scores


def _mean_loss(model: Any, tok: Any, pairs: list[tuple[str, str, str]]) -> float:
    import torch

    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(pairs), 64):
            b = _batch(tok, pairs[i : i + 64])
            n = int((b["labels"] != -100).sum())
            total += model(**b).loss.item() * n
            count += n
    return total / max(1, count)


def train_tiny_t5(
    config: TinyT5Config,
    out_dir: str | Path,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> TinyT5RunResult:
    """Write the pairs, train tokenizer and model, evaluate, and ``save_pretrained``.

    Args:
        config: the run's settings; the same config gives the same weights on the same machine.
        out_dir: folder the model, tokenizer, card and report are written to.
        on_step: called as ``on_step(step, loss)`` after every optimiser step.
    """
    import torch

    t0, cpu0 = time.perf_counter(), time.process_time()
    torch.manual_seed(config.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    pairs = seq2seq_pairs(CorpusConfig(n_docs=config.n_pairs, seed=config.seed))
    val = seq2seq_pairs(
        CorpusConfig(n_docs=max(10, config.n_pairs // 40), seed=config.seed, heldout=True)
    )
    tok = train_tokenizer([s for _, s, _ in pairs] + [t for _, _, t in pairs], config.vocab_size)
    model = build_model(config, len(tok))
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    gen = torch.Generator().manual_seed(config.seed)

    def batch_at(step: int) -> dict[str, Any]:
        idx = torch.randint(0, len(pairs), (config.batch_size,), generator=gen).tolist()
        return _batch(tok, [pairs[i] for i in idx])

    def lr_at(step: int) -> float:
        return warmup_cosine(
            step, peak=config.lr, warmup=config.warmup, steps=config.steps, floor=0.05
        )

    losses = optimise(model, opt, config.steps, batch_at, lr_at, on_step=on_step)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0

    model.eval()
    model.generation_config.max_new_tokens = MAX_TARGET
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    n_tokens = sum(
        len(x) for x in tok([s for _, s, _ in pairs] + [t for _, _, t in pairs])["input_ids"]
    )
    scores = score_tasks(model, tok, config.eval_items) if config.eval_items else {}
    result = TinyT5RunResult(
        out_dir=str(out),
        n_params=n_params,
        tokenizer_size=len(tok),
        train_pairs=len(pairs),
        train_tokens=n_tokens,
        seconds=round(seconds, 1),
        cpu_seconds=round(cpu_seconds, 1),
        threads=torch.get_num_threads(),
        losses=[round(x, 4) for x in losses],
        val_loss=round(_mean_loss(model, tok, val), 4),
        scores={k: asdict(v) for k, v in scores.items()},
        config=asdict(config),
    )
    _write(out, result)
    return result


def _write(out: Path, result: TinyT5RunResult) -> None:
    (out / "training_report.json").write_text(json.dumps(asdict(result), indent=1))
    (out / "README.md").write_text(model_card(result))


def reevaluate(out_dir: str | Path) -> TinyT5RunResult:
    """Re-measure a trained tiny-t5's held-out scores (no training); rewrite card and report."""
    from transformers import AutoTokenizer, T5ForConditionalGeneration

    out = Path(out_dir)
    old = TinyT5RunResult(**json.loads((out / "training_report.json").read_text()))
    model = T5ForConditionalGeneration.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    n = int(old.config.get("eval_items", 60)) or 60
    scores = {k: asdict(v) for k, v in score_tasks(model, tok, n).items()}
    result = replace(old, scores=scores)
    _write(out, result)
    return result


_TASK_NAMES = {
    "translation": "translation, new word lists",
    "heldout_word": "translation, the six held-out words",
    "context_qa": "context questions",
    "summarization": "story summaries",
    "sentiment": "review sentiment",
}


def model_card(r: TinyT5RunResult) -> str:
    """The model card (README.md) of a run, every figure taken from the run itself."""
    c = r.config
    threads = f"{r.threads} thread{'s' if r.threads > 1 else ''}"
    rows = "\n".join(
        f"| {_TASK_NAMES.get(task, task)} | {s['n_items']} | {s['exact_match']:.2f} "
        f"| {'n/a' if s['bleu'] is None else format(s['bleu'], '.1f')} |"
        for task, s in r.scores.items()
    )
    table = (
        "| task | items | exact match | BLEU |\n|---|---|---|---|\n" + rows
        if rows
        else "(not evaluated in this run)"
    )
    examples = "\n".join(
        f"- `{src[:70]}` -> `{got}` (reference `{ref}`)"
        for s in r.scores.values()
        for src, ref, got in s["examples"][:1]
    )
    return f"""---
license: mit
library_name: transformers
pipeline_tag: text2text-generation
---
# tiny-t5

An encoder-decoder (`T5ForConditionalGeneration`) trained by GenAI Playground on
(source, target) pairs its corpus grammar writes (`core/corpus.py`, `seq2seq_pairs`), so the
playground has all three transformer families offline: MiniLM (encoder), tiny-gpt (decoder)
and this one. Reproduce with `python scripts/train_tiny_t5.py` (seed {c["seed"]}); re-measure the
table below with `python scripts/train_tiny_t5.py --eval-only`.

## Model
- encoder {c["n_layer"]} blocks + decoder {c["n_layer"]} blocks, {c["n_head"]} heads,
  d_model {c["d_model"]}, d_ff {c["d_ff"]} (ReLU), T5 relative position buckets
- **{r.n_params:,} parameters** (input and output embeddings tied),
  byte-level BPE tokenizer with {r.tokenizer_size:,} entries (`<pad>` 0 = decoder start,
  `</s>` 1 ends every text, `<unk>` 2)

## Data
{r.train_pairs:,} pairs ({r.train_tokens:,} tokens), task prefixes as T5's:
`translate English to French: cat dog` -> `chat chien` (one to four words, French, Spanish or
German; the six words moon, milk, door, horse, flower and cheese are taught only as
`The French word for moon is` -> `lune`), `question: ... context: ...` -> a span of the passage,
`summarize: <toy story>` -> one sentence, `sentiment: <review>` -> positive / negative.
Held-out items come from another seed ({", ".join(SEQ2SEQ_TASKS)}).

## Training
{c["steps"]} AdamW steps, batch {c["batch_size"]} pairs, lr {c["lr"]} (warm-up, cosine decay),
weight decay {c["weight_decay"]}: **{r.seconds / 60:.1f} minutes** wall clock
({r.cpu_seconds / 60:.1f} CPU-minutes over {threads}) on a {platform.machine()} CPU,
tokenizer included. Final training loss {r.losses[-1]:.3f}; held-out loss {r.val_loss:.3f}.

## Evaluation (held out, greedy decoding)
{table}

BLEU is corpus BLEU (sacrebleu, 13a); n/a where every answer is one word (BLEU's 2- to 4-grams
do not exist there). Translation errors are mostly word order: T5's relative position bias sits
in self-attention only, so the decoder must track which source word comes next from content.

{examples}

## Limits
A toy: it knows the grammar's world (a few hundred words) and its four formats, nothing else.
"""
