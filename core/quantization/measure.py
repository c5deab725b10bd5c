"""Measure every scheme on the same model and data: size on disk, memory, bits per weight,
latency and quality against the fp32 reference (the llama.cpp ``quantize`` + ``perplexity`` table).

Causal LMs are scored on held-out text: perplexity, KL(fp32 || scheme) of the next-token
distributions and top-1 next-token agreement. Encoders are scored on embeddings: cosine
similarity to fp32 and the accuracy of a logistic regression trained on fp32 embeddings of a
train split, fed each scheme's embeddings of the test split.
"""

from __future__ import annotations

import copy
import csv
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from core.embeddings import embed
from core.evaluation import (
    agreement,
    causal_logits,
    fit_logistic_regression,
    mean_cosine,
    perplexity_from_logits,
    probe_accuracy,
    probe_logits,
    time_runs,
    token_windows,
)
from core.generation import generate
from core.knobs import check, knob
from core.models import context_size
from core.quantization.schemes import (
    SCHEME_NAMES,
    apply_scheme,
    conv1d_to_linear,
    get_scheme,
    quantizable_linears,
    unsupported_reason,
)
from core.sampling import SamplingConfig

DEFAULT_SCHEMES = ("fp32", "fp16", "bf16", "int8-dynamic", "int8", "fp8", "int4", "int2")
DEFAULT_PROMPT = {"causal-lm": "Once upon a time, there was a", "encoder": "The game was fun."}


@dataclass(frozen=True)
class QuantConfig:
    """What to compare.

    Args:
        model: a catalog name (``tiny-gpt``, ``minilm``) or a hub id.
        schemes: keys of :data:`SCHEMES`; fp32 is always measured as the reference.
        n_eval: held-out documents (causal LM) or test reviews (encoder) to score.
        seq_len: tokens per evaluation window (causal LM) / max tokens per text (encoder).
        latency_runs: timed forwards per scheme; the table shows their median.
        max_new_tokens: greedy tokens generated from ``prompt`` by each scheme (causal LM).
        prompt: the text every scheme answers, shown side by side.
        seed: seed of the train/test split of the reviews.
    """

    model: str = "tiny-gpt"
    schemes: tuple[str, ...] = DEFAULT_SCHEMES
    n_eval: int = knob(  # small: every scheme re-runs the whole evaluation
        40, lo=4, hi=300, step=4, help="Held-out documents (causal LM) or test reviews (encoder)."
    )
    seq_len: int = knob(64, lo=8, hi=1024)  # tiny-gpt's documents are short: one or two of them
    latency_runs: int = knob(5, lo=1, hi=50)  # median of 5 damps a busy machine's noise
    max_new_tokens: int = knob(16, lo=0, hi=128)
    prompt: str = ""  # empty: a default that suits the model kind
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.model or "").strip():
            raise ValueError("pick a model")
        if not self.schemes:
            raise ValueError("pick at least one scheme")
        bad = [s for s in self.schemes if s not in SCHEME_NAMES]
        if bad:
            raise ValueError(f"unknown scheme(s) {', '.join(bad)}; choose from {SCHEME_NAMES}")
        if len(set(self.schemes)) != len(self.schemes):
            raise ValueError("each scheme may appear once")
        check(self)

    @property
    def ordered_schemes(self) -> tuple[str, ...]:
        """fp32 first (the reference), then the chosen schemes in registry order."""
        return tuple(s for s in SCHEME_NAMES if s == "fp32" or s in self.schemes)


@dataclass(frozen=True)
class EvalData:
    """The data every scheme is scored on.

    Args:
        kind: ``causal-lm`` or ``encoder``.
        texts: held-out documents (causal LM) or the test texts (encoder).
        prompt: the text each scheme answers side by side.
        labels: the test texts' labels (encoder).
        train_texts: texts the fp32 classifier is trained on (encoder).
        train_labels: their labels.
    """

    kind: str
    texts: tuple[str, ...]
    prompt: str
    labels: tuple[str, ...] = ()
    train_texts: tuple[str, ...] = ()
    train_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("causal-lm", "encoder"):
            raise ValueError(f"only causal LMs and encoders can be compared, not {self.kind!r}")
        if not self.texts or not any(t.strip() for t in self.texts):
            raise ValueError("the evaluation texts are empty")
        if self.kind == "encoder":
            if len(self.labels) != len(self.texts) or len(self.train_labels) != len(
                self.train_texts
            ):
                raise ValueError("every text needs exactly one label")
            if len(set(self.train_labels)) < 2:
                raise ValueError("the training split needs at least two classes")


@dataclass(frozen=True)
class QuantResult:
    """Everything measured for one scheme (None where it does not apply or did not run).

    Args:
        scheme: the scheme key; ``label``, ``bits`` and ``library`` come from the registry.
        supported: False when this machine cannot run it; ``reason`` then says why.
        disk_bytes: bytes of the saved weights (``save_format`` says which format).
        param_bytes: bytes of every tensor the model holds (weights, scales, buffers).
        n_params: parameters of the fp32 model.
        bits_per_weight: ``param_bytes * 8 / n_params`` over the whole model.
        quantized_bits_per_weight: the same over the quantized layers only (scales included).
        quantized_share: share of the parameters living in layers the scheme changes.
        latency_ms: median forward latency; ``latency_runs_ms`` every timed run.
        perplexity / kl_from_fp32 / top1_agreement: causal LM quality.
        cosine_to_fp32 / accuracy: encoder quality.
        sample: the prompt's output (generated text, or the predicted label).
        seconds: wall time spent on this scheme.
    """

    scheme: str
    label: str
    bits: int
    library: str
    supported: bool
    reason: str | None = None
    disk_bytes: int | None = None
    save_format: str | None = None
    param_bytes: int | None = None
    n_params: int | None = None
    bits_per_weight: float | None = None
    quantized_bits_per_weight: float | None = None
    quantized_share: float | None = None
    latency_ms: float | None = None
    latency_runs_ms: tuple[float, ...] = ()
    perplexity: float | None = None
    kl_from_fp32: float | None = None
    top1_agreement: float | None = None
    cosine_to_fp32: float | None = None
    accuracy: float | None = None
    sample: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


# --- data -------------------------------------------------------------------------------------
def causal_eval_data(n_docs: int = 40, prompt: str = "") -> EvalData:
    """Held-out documents of tiny-gpt's grammar (never trained on) and a prompt.

    The word problems are left out: their numbers are random by construction, so a flatter,
    more damaged model can score a lower perplexity on them (measured: int2 below fp32).
    """
    from core.corpus import LANGUAGE_KINDS, CorpusConfig, corpus_documents

    drawn = corpus_documents(CorpusConfig(n_docs=2 * n_docs + 20, heldout=True))
    docs = [doc for kind, doc in drawn if kind in LANGUAGE_KINDS][:n_docs]
    return EvalData("causal-lm", tuple(docs), prompt or DEFAULT_PROMPT["causal-lm"])


def reviews_path() -> Path:
    """The shipped sentiment set (``text,label``)."""
    from core.settings import get_settings

    return get_settings().assets_dir / "datasets" / "reviews.csv"


def encoder_eval_data(n_test: int = 40, prompt: str = "", *, seed: int = 0) -> EvalData:
    """A seeded split of the shipped reviews: ``n_test`` test reviews, the next 120 train."""
    import random

    with open(reviews_path(), newline="", encoding="utf-8") as f:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(f)]
    random.Random(seed).shuffle(rows)
    n_test = min(n_test, len(rows) // 2)
    test, train = rows[:n_test], rows[n_test : n_test + 120]
    return EvalData(
        "encoder",
        tuple(t for t, _ in test),
        prompt or DEFAULT_PROMPT["encoder"],
        labels=tuple(lab for _, lab in test),
        train_texts=tuple(t for t, _ in train),
        train_labels=tuple(lab for _, lab in train),
    )


def eval_data_for(kind: str, config: QuantConfig) -> EvalData:
    """The evaluation data that suits a model kind, sized by ``config``."""
    if kind == "encoder":
        return encoder_eval_data(config.n_eval, config.prompt, seed=config.seed)
    if kind == "causal-lm":
        return causal_eval_data(config.n_eval, config.prompt)
    raise ValueError(f"only causal LMs and encoders can be compared, not a {kind} model")


# --- sizes ------------------------------------------------------------------------------------
def _tensors(value: Any):
    import torch

    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)


def state_bytes(model: Any, *, prefixes: Sequence[str] | None = None) -> int:
    """Bytes of every distinct tensor in ``model.state_dict()`` (tied weights counted once).

    Args:
        model: any module, quantized or not (quantized packed params and quanto's inner
            tensors appear in the state dict).
        prefixes: count only the entries under these module names.
    """
    seen: set[tuple[int, int]] = set()
    total = 0
    for key, value in model.state_dict().items():
        if prefixes is not None and not any(key.startswith(p + ".") for p in prefixes):
            continue
        for t in _tensors(value):
            size = t.numel() * t.element_size()
            ident = (t.data_ptr(), size)
            if ident in seen:
                continue
            seen.add(ident)
            total += size
    return total


def saved_bytes(model: Any, scheme: str) -> tuple[int, str]:
    """Save the weights to a temporary folder and measure the files.

    Float and quanto models are saved with ``safetensors.torch.save_model`` (quanto adds its
    ``quantization_map`` JSON, its documented serialization); torch's dynamic int8 modules keep
    packed params safetensors cannot hold, so they go through ``torch.save``.

    Returns:
        (bytes on disk, format description).
    """
    import torch
    from safetensors.torch import save_model

    family = get_scheme(scheme).family
    with tempfile.TemporaryDirectory(prefix="quant-") as d:
        if family == "torch-dynamic":
            torch.save(model.state_dict(), Path(d) / "model.pt")
            fmt = "torch.save"
        else:
            save_model(model, str(Path(d) / "model.safetensors"))
            fmt = "safetensors"
            if family == "quanto":
                from optimum.quanto import quantization_map

                (Path(d) / "quantization_map.json").write_text(json.dumps(quantization_map(model)))
                fmt = "safetensors + quantization map"
        return sum(p.stat().st_size for p in Path(d).iterdir()), fmt


def disk_size(model: Any, scheme: str) -> int:
    """Bytes on disk of ``model``'s weights saved after ``scheme`` (a private copy is quantized).

    Raises:
        RuntimeError: the scheme cannot run on this machine.
    """
    qm = apply_scheme(prepare_base(model), scheme)
    return saved_bytes(qm, scheme)[0]


# --- running ----------------------------------------------------------------------------------
def _greedy(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int, ctx: int) -> str:
    """Greedy text up to the end-of-text token. Without the KV cache: dynamically quantized
    activations are scaled over the whole input, so every step re-reads the text, as scored;
    under no_grad: quanto's int4/int2 tensors cannot be inference tensors."""
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] or [tokenizer.eos_token_id]
    eos = tokenizer.eos_token_id
    r = generate(
        model,
        ids[-ctx:],
        SamplingConfig(temperature=0),
        max_new_tokens=max_new_tokens,
        eos_token_id=eos,
        n_alternatives=0,
        use_cache=False,
        inference_mode=False,
    )
    return tokenizer.decode([t for t in r.token_ids if t != eos])


def prepare_base(model: Any) -> Any:
    """A private fp32 copy of ``model`` with GPT-2's Conv1D layers turned into Linear ones."""
    import torch

    base = copy.deepcopy(model).to(torch.float32).eval()
    return conv1d_to_linear(base)


def compare(
    model: Any,
    schemes: Sequence[str],
    eval_data: EvalData,
    *,
    config: QuantConfig | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
) -> list[QuantResult]:
    """Quantize private copies of ``model`` with each scheme and measure them on ``eval_data``.

    Args:
        model: a :class:`core.models.LoadedModel` (never mutated: every scheme gets a copy).
        schemes: scheme keys; fp32 is always measured first as the reference.
        eval_data: what every scheme is scored on (see :func:`eval_data_for`).
        config: sizes and runs (``seq_len``, ``latency_runs``, ``max_new_tokens``); None:
            the defaults.
        on_step: called as ``on_step(done, total, scheme)`` before each scheme and at the end.

    Returns:
        One :class:`QuantResult` per scheme, fp32 first. A scheme this machine cannot run comes
        back with ``supported=False`` and the reason, never as an exception.
    """
    import torch

    cfg = config or QuantConfig(model=model.name, schemes=tuple(schemes) or ("fp32",))
    order = [s for s in SCHEME_NAMES if s == "fp32" or s in schemes]
    for s in schemes:
        get_scheme(s)
    tok = model.tokenizer
    base = prepare_base(model.model)
    targets = quantizable_linears(base)
    n_params = sum(p.numel() for p in base.parameters())
    target_params = sum(p.numel() for t in targets for p in base.get_submodule(t).parameters())
    causal = eval_data.kind == "causal-lm"
    ctx = context_size(base)
    seq_len = min(cfg.seq_len, ctx)

    if causal:
        n_win = max(1, cfg.n_eval // 4)
        windows = token_windows(tok, eval_data.texts, seq_len, max_windows=n_win)
        lat_input = windows[:1, :-1]  # (1, T): one sequence, as a chat request

        def forward(m: Any) -> Any:
            return m(input_ids=lat_input)

    else:
        enc = tok(
            list(eval_data.texts[:1]),
            padding=True,
            truncation=True,
            max_length=seq_len,
            return_tensors="pt",
        )

        def forward(m: Any) -> Any:
            return m(**enc)

        classes = sorted(set(eval_data.train_labels))
        y_train = torch.tensor([classes.index(c) for c in eval_data.train_labels])
        y_test = torch.tensor([classes.index(c) if c in classes else -1 for c in eval_data.labels])

    ref: dict[str, Any] = {}
    results: list[QuantResult] = []
    for i, name in enumerate(order):
        if on_step:
            on_step(i, len(order), name)
        sch = get_scheme(name)
        t0 = time.perf_counter()
        reason = unsupported_reason(name)
        if reason:
            results.append(QuantResult(name, sch.label, sch.bits, sch.library, False, reason))
            continue
        try:
            qm = apply_scheme(copy.deepcopy(base), name)
            qm.eval()
            pbytes = state_bytes(qm)
            qbytes = state_bytes(qm, prefixes=targets) if targets else 0
            disk, fmt = saved_bytes(qm, name)
            with torch.no_grad():
                timings = time_runs(partial(forward, qm), cfg.latency_runs)
            q: dict[str, Any] = {}
            if causal:
                logits = causal_logits(qm, windows)  # (N, T, V)
                q["perplexity"] = perplexity_from_logits(logits, windows).perplexity
                if name == "fp32":
                    ref["logits"] = logits
                agree = agreement(ref["logits"], logits)
                q["kl_from_fp32"], q["top1_agreement"] = agree.kl, agree.top1
                sample = _greedy(qm, tok, eval_data.prompt, cfg.max_new_tokens, ctx)
            else:
                emb = embed(qm, tok, eval_data.texts, max_length=seq_len)  # (N, H)
                p_emb = embed(qm, tok, [eval_data.prompt], max_length=seq_len)  # (1, H)
                if name == "fp32":
                    ref["emb"], ref["p_emb"] = emb, p_emb
                    x_train = embed(qm, tok, eval_data.train_texts, max_length=seq_len)
                    ref["clf"] = fit_logistic_regression(x_train, y_train)
                w, b = ref["clf"]
                q["cosine_to_fp32"] = mean_cosine(emb, ref["emb"])
                q["accuracy"] = probe_accuracy(emb, y_test, w, b)
                probs = torch.softmax(probe_logits(p_emb, w, b), -1)[0]  # (C,)
                k = int(probs.argmax())
                cos_p = mean_cosine(p_emb, ref["p_emb"])
                sample = f"{classes[k]} ({float(probs[k]):.1%}), cosine to fp32 {cos_p:.5f}"
            results.append(
                QuantResult(
                    name,
                    sch.label,
                    sch.bits,
                    sch.library,
                    True,
                    disk_bytes=disk,
                    save_format=fmt,
                    param_bytes=pbytes,
                    n_params=n_params,
                    bits_per_weight=pbytes * 8 / n_params,
                    quantized_bits_per_weight=qbytes * 8 / target_params if target_params else None,
                    quantized_share=target_params / n_params if sch.family != "float" else 1.0,
                    latency_ms=timings.median,
                    latency_runs_ms=timings.samples_ms,
                    sample=sample,
                    seconds=time.perf_counter() - t0,
                    **q,
                )
            )
        except Exception as e:  # a kernel this CPU lacks, a dtype an op does not support...
            if name == "fp32":
                raise
            why = f"not supported on this machine: {type(e).__name__}: {str(e)[:300]}"
            results.append(QuantResult(name, sch.label, sch.bits, sch.library, False, why))
    if on_step:
        on_step(len(order), len(order), "done")
    return results


def run(config: QuantConfig, *, on_step: Callable[[int, int, str], None] | None = None):
    """Load ``config.model`` (cached, never mutated) and :func:`compare` the chosen schemes.

    Raises:
        core.models.ModelUnavailableError: the model cannot be loaded here.
        ValueError: a model kind that cannot be compared (a tokenizer, a seq2seq model).
    """
    from core import models

    spec = models.resolve(config.model)
    if spec.kind not in ("causal-lm", "encoder"):
        raise ValueError(f"{spec.name} is a {spec.kind}; pick a causal LM or an encoder")
    loaded = models.load_model(config.model)
    data = eval_data_for(spec.kind, config)
    return compare(loaded, config.schemes, data, config=config, on_step=on_step)
