"""How a causal LM turns next-token logits into one token: penalty, temperature, filters, a draw.

The pipeline follows the order of transformers' ``generate`` (``_get_logits_processor`` in
transformers 5): **repetition penalty -> temperature -> top-k -> top-p -> min-p -> sample**.
Temperature 0 means greedy decoding: only the repetition penalty applies, then the argmax.
Every step copies the tensor operations of the matching transformers ``LogitsProcessor``, so
:func:`generate` reproduces ``model.generate`` token for token (greedy, and sampled with the
same seed: a private ``torch.Generator`` seeded with ``seed`` draws what ``torch.manual_seed``
followed by ``generate`` draws).

One rule for the randomness of a text (:func:`draw_generator`): a text is drawn from ONE random
stream, seeded once with the seed at its first generated token; the token at position i (0 =
the first after the prompt) takes the stream's i-th draw. Drawing one token at a time
(:func:`filter_distribution` with ``draw_index=i``) and :func:`generate` (with ``first_draw``)
follow it, so "sample one token" N times, "generate N" and transformers' ``generate`` give the
same tokens for the same seed.

>>> SamplingConfig(temperature=0.7, top_k=40).top_k
40
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.knobs import check, knob

# Stage names, in the order they run; "kept" marks tokens that reach the draw.
PENALTY, TEMPERATURE, TOP_K, TOP_P, MIN_P = (
    "repetition penalty",
    "temperature",
    "top-k",
    "top-p",
    "min-p",
)
GREEDY = "greedy (temperature 0)"
KEPT = "kept"
FILTERS = (TOP_K, TOP_P, MIN_P)
PIPELINE = (PENALTY, TEMPERATURE, TOP_K, TOP_P, MIN_P, "sample")


@dataclass(frozen=True)
class SamplingConfig:
    """Every knob of the sampling pipeline (transformers' names and meanings).

    Each field's range is the one the Sampling page offers; its widgets and link read it here.

    Args:
        temperature: divides the logits; 0 = greedy (argmax), 1 = the model's own distribution.
        top_k: keep the k most likely tokens (ties at the k-th value are kept); 0 = off.
        top_p: keep the smallest set of most likely tokens whose mass reaches p; 1 = off,
            0 = keep only the most likely token.
        min_p: drop tokens less likely than ``min_p`` x the top token's probability; 0 = off.
        repetition_penalty: > 1 makes tokens already in the context less likely (divides a
            positive logit, multiplies a negative one); 1 = off.
        seed: seeds the private random generator of the draw; same seed, same tokens.
    """

    temperature: float = knob(  # 1: the model's own distribution
        1.0,
        lo=0,
        hi=2.5,
        step=0.05,
        help="Divides the logits: below 1 sharpens, above 1 flattens.",
    )
    top_k: int = knob(  # 0: off
        0, lo=0, hi=100_000, step=1, label="top-k", help="Keep only the k most likely tokens."
    )
    top_p: float = knob(  # 1: off
        1.0,
        lo=0,
        hi=1,
        step=0.01,
        label="top-p",
        help="Keep the fewest top tokens whose probabilities reach p.",
    )
    min_p: float = knob(  # 0: off
        0.0,
        lo=0,
        hi=1,
        step=0.01,
        label="min-p",
        help="Drop tokens below min-p × the top token's probability.",
    )
    repetition_penalty: float = knob(  # 1: off
        1.0,
        lo=0.5,
        hi=2,
        step=0.05,
        label="repetition penalty",
        help="Above 1, tokens already in the context become less likely.",
    )
    seed: int = knob(
        0, lo=0, hi=2**31, step=1, help="Seeds the random draw: same seed, same tokens."
    )

    def __post_init__(self) -> None:
        check(self)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def generate_kwargs(self) -> dict[str, Any]:
        """The same settings as keyword arguments of transformers' ``model.generate``.

        ``top_k=0`` is passed explicitly: otherwise transformers' default of 50 would apply.
        """
        if self.greedy:
            return {"do_sample": False, "repetition_penalty": self.repetition_penalty}
        return {
            "do_sample": True,
            "temperature": float(self.temperature),
            "top_k": int(self.top_k),
            "top_p": float(self.top_p),
            "min_p": float(self.min_p) if self.min_p > 0 else None,
            "repetition_penalty": float(self.repetition_penalty),
        }


@dataclass(frozen=True)
class SamplingResult:
    """Every intermediate of one pass through the pipeline, over the whole vocabulary (V,).

    Attributes:
        raw_probs: softmax of the model's logits.
        penalized_probs: softmax after the repetition penalty (equals raw_probs when off).
        scaled_probs: softmax after penalty and temperature (one-hot on the argmax when greedy).
        kept: for each filter (top-k, top-p, min-p), the tokens still in the running after it
            (cumulative masks; all True for a filter that is off).
        removed_by: per token, the first stage that removed it, or ``"kept"``.
        final_probs: the distribution the token is drawn from (sums to 1; 0 where removed).
        chosen_id: the token drawn with ``config.seed`` (the argmax when greedy).
        entropy_raw_bits / entropy_final_bits: Shannon entropy of raw and final distributions.
        n_kept: how many tokens survive every filter (a survivor's probability may still
            round to 0 in float32 at a very low temperature).
        notes: plain-language remarks on the settings (e.g. top-k larger than the vocabulary).
        draw_index: which draw of the seed's stream chose ``chosen_id`` (the token's position
            in the generated text, counted from 0); see :func:`draw_generator`.
    """

    config: SamplingConfig
    raw_probs: np.ndarray
    penalized_probs: np.ndarray
    scaled_probs: np.ndarray
    kept: dict[str, np.ndarray]
    removed_by: np.ndarray
    final_probs: np.ndarray
    chosen_id: int
    entropy_raw_bits: float
    entropy_final_bits: float
    n_kept: int
    notes: tuple[str, ...] = ()
    draw_index: int = 0

    @property
    def vocab_size(self) -> int:
        return int(self.raw_probs.shape[0])

    def top(self, n: int, *, by: str = "raw") -> np.ndarray:
        """Ids of the ``n`` most likely tokens by ``raw``, ``scaled`` or ``final`` probability."""
        probs = {"raw": self.raw_probs, "scaled": self.scaled_probs, "final": self.final_probs}[by]
        n = min(n, probs.shape[0])
        idx = np.argpartition(-probs, n - 1)[:n]
        return idx[np.argsort(-probs[idx], kind="stable")]


def _entropy_bits(p: np.ndarray) -> float:
    nz = p[p > 0].astype(np.float64)
    return max(0.0, float(-(nz * np.log2(nz)).sum()))  # never -0.0


def _apply_penalty(scores, context_ids, penalty: float):
    """transformers' RepetitionPenaltyLogitsProcessor on scores (1, V)."""
    import torch

    if penalty == 1.0 or context_ids is None or context_ids.numel() == 0:
        return scores
    ids = context_ids.clamp(max=scores.shape[-1] - 1).view(1, -1)  # (1, T)
    score = torch.gather(scores, 1, ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, ids, score)


def _warp(scores, config: SamplingConfig) -> tuple[Any, dict[str, Any]]:
    """Temperature, top-k, top-p and min-p exactly as transformers' warpers, on scores (1, V).

    Returns:
        The processed scores (removed tokens at -inf) and each filter's removal mask (1, V).
    """
    import torch

    neg_inf = -float("inf")
    removed: dict[str, Any] = {}
    if config.temperature != 1.0:
        scores = scores / config.temperature
    if config.top_k != 0:
        k = min(max(config.top_k, 1), scores.size(-1))
        rm = scores < torch.topk(scores, k)[0][..., -1, None]
        scores = scores.masked_fill(rm, neg_inf)
        removed[TOP_K] = rm
    if config.top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        sorted_rm = cumulative <= (1 - config.top_p)
        sorted_rm[..., -1:] = 0  # at least one token survives
        rm = sorted_rm.scatter(1, sorted_indices, sorted_rm)
        scores = scores.masked_fill(rm, neg_inf)
        removed[TOP_P] = rm
    if config.min_p > 0:
        probs = torch.softmax(scores, dim=-1)
        rm = probs < config.min_p * probs.amax(dim=-1, keepdim=True)
        rm.scatter_(-1, torch.topk(probs, 1, dim=-1).indices, False)
        scores = scores.masked_fill(rm, neg_inf)
        removed[MIN_P] = rm
    return scores, removed


SEED_RULE = (
    "One random stream per text, seeded once with the seed at the first generated token; "
    "draw i of the stream picks the token at position i (as transformers' generate does after "
    "torch.manual_seed(seed)), so sampling one token at a time and generating N at once give "
    "the same text."
)
_STREAM_LOCK = threading.Lock()
_STREAM_STATES: OrderedDict[tuple[int, int, int], Any] = OrderedDict()
_STREAM_MAX = 2048  # generator states kept (5 KB each)


def _remember_stream(seed: int, vocab_size: int, n_drawn: int, gen: Any) -> None:
    with _STREAM_LOCK:
        _STREAM_STATES[(seed, vocab_size, n_drawn)] = gen.get_state()
        _STREAM_STATES.move_to_end((seed, vocab_size, n_drawn))
        while len(_STREAM_STATES) > _STREAM_MAX:
            _STREAM_STATES.popitem(last=False)


def draw_generator(seed: int, n_drawn: int, vocab_size: int) -> Any:
    """The random stream of a text seeded with ``seed``, after ``n_drawn`` draws.

    Each draw over a vocabulary of ``vocab_size`` tokens (``torch.multinomial`` of one sample,
    as transformers samples) advances the stream by the same amount whatever the
    probabilities, so the state after n draws depends only on (seed, n, vocabulary size). It
    is rebuilt by replaying draws from the nearest state remembered (each draw of
    :func:`generate` and of this function is remembered).

    Args:
        seed: the seed the learner set.
        n_drawn: how many tokens of the text were already drawn (its position).
        vocab_size: the size of the distributions drawn from.

    Returns:
        A ``torch.Generator`` ready for draw ``n_drawn``.

    >>> g = draw_generator(0, 0, 10)
    >>> int(g.initial_seed())
    0
    """
    import torch

    if n_drawn < 0 or vocab_size < 1:
        raise ValueError("n_drawn must be 0 or more and vocab_size positive")
    gen = torch.Generator().manual_seed(seed)
    start = 0
    with _STREAM_LOCK:
        for k in range(n_drawn, 0, -1):
            state = _STREAM_STATES.get((seed, vocab_size, k))
            if state is not None:
                gen.set_state(state)
                start = k
                break
    uniform = torch.full((1, vocab_size), 1.0 / vocab_size)  # (1, V)
    for k in range(start + 1, n_drawn + 1):
        torch.multinomial(uniform, 1, generator=gen)
        _remember_stream(seed, vocab_size, k, gen)
    return gen


def filter_distribution(
    logits: Any,
    config: SamplingConfig,
    *,
    context_ids: Sequence[int] | None = None,
    draw_index: int = 0,
) -> SamplingResult:
    """Run one next-token distribution through the pipeline and draw a token.

    Args:
        logits: the model's next-token logits, shape (V,) (a numpy array or a torch tensor).
        config: the sampling settings.
        context_ids: the tokens already in the context, for the repetition penalty.
        draw_index: the position of the token in the generated text (0 = the first after the
            prompt): the draw uses the seed's stream at that position (:func:`draw_generator`).

    Returns:
        A :class:`SamplingResult` with every intermediate distribution and the chosen id.

    >>> r = filter_distribution([2.0, 1.0, 0.0], SamplingConfig(top_k=2))
    >>> r.n_kept, r.removed_by.tolist(), round(float(r.final_probs.sum()), 6)
    (2, ['kept', 'kept', 'top-k'], 1.0)
    """
    import torch

    scores = torch.as_tensor(np.asarray(logits, dtype=np.float32)).reshape(1, -1)  # (1, V)
    if scores.shape[-1] == 0:
        raise ValueError("the logits are empty")
    if not torch.isfinite(scores).all():
        raise ValueError("the logits contain NaN or infinite values")
    V = scores.shape[-1]
    ctx = torch.as_tensor(list(context_ids or []), dtype=torch.long)
    notes: list[str] = []

    raw = torch.softmax(scores, dim=-1)[0]
    penalized = _apply_penalty(scores, ctx, config.repetition_penalty)
    pen_probs = torch.softmax(penalized, dim=-1)[0]
    removed_by = np.full(V, KEPT, dtype=object)
    kept: dict[str, np.ndarray] = {}
    if config.greedy:
        chosen = int(torch.argmax(penalized, dim=-1)[0])
        final = torch.zeros(V)
        final[chosen] = 1.0
        scaled = final.clone()
        removed_by[:] = GREEDY
        removed_by[chosen] = KEPT
        only = np.zeros(V, dtype=bool)
        only[chosen] = True
        kept = {f: only for f in FILTERS}
        notes.append(
            "Temperature 0 is greedy decoding: the most likely token always wins, "
            "so top-k, top-p, min-p and the seed have no effect."
        )
    else:
        warped, removed = _warp(penalized, config)
        scaled = torch.softmax(penalized / config.temperature, dim=-1)[0]
        final = torch.softmax(warped, dim=-1)[0]
        alive = np.ones(V, dtype=bool)
        for f in FILTERS:
            if f in removed:
                rm = removed[f][0].numpy() & alive
                removed_by[rm] = f
                alive = alive & ~rm
            kept[f] = alive.copy()
        gen = draw_generator(config.seed, draw_index, V)
        chosen = int(torch.multinomial(final.view(1, -1), 1, generator=gen)[0, 0])
        if config.top_k >= V:
            notes.append(
                f"top-k {config.top_k} is not smaller than the vocabulary ({V} tokens): "
                "it removes nothing."
            )
        if config.top_p == 0:
            notes.append("top-p 0 keeps only the most likely token (one token always survives).")
        if config.min_p == 1:
            notes.append("min-p 1 keeps only the tokens as likely as the top one.")
    final_np = final.numpy().astype(np.float32)
    return SamplingResult(
        config=config,
        raw_probs=raw.numpy(),
        penalized_probs=pen_probs.numpy(),
        scaled_probs=scaled.numpy(),
        kept=kept,
        removed_by=removed_by,
        final_probs=final_np,
        chosen_id=chosen,
        entropy_raw_bits=_entropy_bits(raw.numpy()),
        entropy_final_bits=_entropy_bits(final_np),
        n_kept=int((removed_by == KEPT).sum()),
        notes=tuple(notes),
        draw_index=draw_index,
    )


# --- the model side --------------------------------------------------------------------------
def context_size(model: Any, tokenizer: Any = None) -> int:
    """The longest context the model accepts (position embeddings), in tokens."""
    cfg = getattr(model, "config", None)
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        v = getattr(cfg, attr, None)
        if isinstance(v, int) and v > 0:
            return v
    v = getattr(tokenizer, "model_max_length", None)
    return v if isinstance(v, int) and 0 < v < 1_000_000 else 1024


@dataclass(frozen=True)
class PromptIds:
    """A prompt as token ids, cut on the left to fit the context, with a note when cut."""

    ids: tuple[int, ...]
    n_original: int
    truncated: bool
    note: str | None = None


def encode_prompt(tokenizer: Any, text: str, *, max_tokens: int) -> PromptIds:
    """Tokenize ``text`` and keep its last ``max_tokens`` tokens (the model reads left to right,
    so the end of the prompt matters most for the next token).

    Raises:
        ValueError: the prompt is empty (nothing to continue from).
    """
    if not (text or "").strip():
        raise ValueError("The prompt is empty: type a few words for the model to continue.")
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    ids = list(tokenizer.encode(text))
    if not ids:
        raise ValueError("The prompt produced no tokens: type a few words for the model.")
    n = len(ids)
    if n <= max_tokens:
        return PromptIds(tuple(ids), n, False)
    note = (
        f"The prompt has {n} tokens but the model reads at most {max_tokens} here: "
        f"kept the last {max_tokens} tokens (the first {n - max_tokens} were dropped)."
    )
    return PromptIds(tuple(ids[-max_tokens:]), n, True, note)


def next_token_logits(model: Any, ids: Sequence[int]) -> np.ndarray:
    """One forward pass: the logits of the token after ``ids``, shape (V,), float32.

    >>> # logits = next_token_logits(loaded.model, [464, 3290])
    """
    import torch

    if not ids:
        raise ValueError("need at least one token")
    x = torch.tensor([list(ids)], dtype=torch.long)  # (1, T)
    with torch.inference_mode():
        out = model(input_ids=x, attention_mask=torch.ones_like(x), use_cache=False)
    return out.logits[0, -1].to(torch.float32).numpy().copy()  # (V,)


@dataclass(frozen=True)
class StepRecord:
    """One generated token and the distribution it came from.

    Attributes:
        token_id: the token drawn.
        prob: its probability in the final (filtered) distribution.
        raw_prob: its probability under the model's own distribution.
        alternatives: the model's most likely tokens at this step (by raw probability) as
            (id, final prob, raw prob); a final prob of 0 means a filter removed it.
        n_kept: how many tokens could have been drawn.
        entropy_bits: entropy of the final distribution at this step.
    """

    token_id: int
    prob: float
    raw_prob: float
    alternatives: tuple[tuple[int, float, float], ...]
    n_kept: int
    entropy_bits: float


@dataclass(frozen=True)
class GenerationResult:
    """A generated continuation with a record per step."""

    config: SamplingConfig
    prompt_ids: tuple[int, ...]
    steps: tuple[StepRecord, ...]
    stopped_on_eos: bool
    seconds: float

    @property
    def token_ids(self) -> tuple[int, ...]:
        return tuple(s.token_id for s in self.steps)

    @property
    def tokens_per_second(self) -> float:
        return len(self.steps) / self.seconds if self.seconds > 0 else float("inf")

    @property
    def mean_logprob(self) -> float:
        """Mean natural-log probability of the drawn tokens under the model's own distribution."""
        if not self.steps:
            return 0.0
        return float(np.mean([math.log(max(s.raw_prob, 1e-45)) for s in self.steps]))


def generate(
    model: Any,
    prompt_ids: Sequence[int],
    config: SamplingConfig,
    *,
    max_new_tokens: int,
    eos_token_id: int | None = None,
    n_alternatives: int = 5,
    on_step: Callable[[int, StepRecord], None] | None = None,
    first_draw: int = 0,
) -> GenerationResult:
    """Generate up to ``max_new_tokens`` tokens after ``prompt_ids``, like ``model.generate``.

    Same settings and seed as ``torch.manual_seed(seed); model.generate(..., **config.
    generate_kwargs())`` give the same token ids: the key/value cache is used the same way and
    the draw uses a private generator seeded with ``config.seed``. Generation stops after
    ``eos_token_id`` (included) and never runs past the model's context.

    Args:
        model: a transformers causal LM in eval mode (never modified).
        prompt_ids: the prompt's token ids.
        config: the sampling settings.
        max_new_tokens: how many tokens at most.
        eos_token_id: stop once this token is drawn (None: never stop early).
        n_alternatives: how many top alternatives to record per step.
        on_step: called as ``on_step(i, record)`` after each token (for streaming).
        first_draw: how many tokens of the text come before ``prompt_ids``' end, i.e. the
            position of the first token generated here: it takes that draw of the seed's
            stream (:func:`draw_generator`), so a text continued here goes on exactly as if
            drawn one token at a time.

    Returns:
        A :class:`GenerationResult`.
    """
    import torch

    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be 0 or more, got {max_new_tokens}")
    if not prompt_ids:
        raise ValueError("the prompt needs at least one token")
    room = context_size(model) - len(prompt_ids)
    if room < 0:
        raise ValueError(f"the prompt ({len(prompt_ids)} tokens) is longer than the context")
    max_new_tokens = min(max_new_tokens, room)
    if first_draw < 0:
        raise ValueError(f"first_draw must be 0 or more, got {first_draw}")
    gen = None  # the seed's stream, made at the first draw (its vocabulary size is known then)
    ids = torch.tensor([list(prompt_ids)], dtype=torch.long)  # (1, T)
    steps: list[StepRecord] = []
    past = None
    x = ids
    t0 = time.perf_counter()
    eos_hit = False
    with torch.inference_mode():
        for i in range(max_new_tokens):
            out = model(
                input_ids=x,
                attention_mask=torch.ones(1, ids.shape[1], dtype=torch.long),
                past_key_values=past,
                use_cache=True,
            )
            past = out.past_key_values
            logits = out.logits[:, -1].to(copy=True, dtype=torch.float32)  # (1, V)
            raw = torch.softmax(logits, dim=-1)
            scores = _apply_penalty(logits, ids[0], config.repetition_penalty)
            k = min(n_alternatives, raw.shape[-1])
            top_p, top_i = torch.topk(raw[0], k)  # the model's favourites, filtered or not
            alt_ids, alt_raw = top_i.tolist(), top_p.tolist()
            if config.greedy:
                nxt = torch.argmax(scores, dim=-1)  # (1,)
                tok = int(nxt[0])
                # all the mass on one token: final prob 1 there, 0 elsewhere, entropy 0
                alt_final = [1.0 if j == tok else 0.0 for j in alt_ids]
                prob, n_kept, entropy = 1.0, 1, 0.0
            else:
                scores, _ = _warp(scores, config)
                probs = torch.softmax(scores, dim=-1)
                if gen is None:
                    gen = draw_generator(config.seed, first_draw, int(probs.shape[-1]))
                nxt = torch.multinomial(probs, num_samples=1, generator=gen).squeeze(1)  # (1,)
                _remember_stream(config.seed, int(probs.shape[-1]), first_draw + i + 1, gen)
                tok = int(nxt[0])
                alt_final = probs[0, top_i].tolist()
                prob, n_kept = float(probs[0, tok]), int((probs[0] > 0).sum())
                entropy = _entropy_bits(probs[0].numpy())
            rec = StepRecord(
                token_id=tok,
                prob=prob,
                raw_prob=float(raw[0, tok]),
                alternatives=tuple(zip(alt_ids, alt_final, alt_raw, strict=True)),
                n_kept=n_kept,
                entropy_bits=entropy,
            )
            steps.append(rec)
            if on_step is not None:
                on_step(i, rec)
            ids = torch.cat([ids, nxt[:, None]], dim=-1)
            x = nxt[:, None]
            if eos_token_id is not None and tok == eos_token_id:
                eos_hit = True
                break
    return GenerationResult(
        config=config,
        prompt_ids=tuple(prompt_ids),
        steps=tuple(steps),
        stopped_on_eos=eos_hit,
        seconds=time.perf_counter() - t0,
    )


def step_from_result(
    result: SamplingResult, token_id: int | None = None, n_alternatives: int = 5
) -> StepRecord:
    """The :class:`StepRecord` of drawing ``token_id`` (default: the chosen one) from ``result``,
    so a token appended one at a time carries the same breakdown as one from :func:`generate`."""
    tok = result.chosen_id if token_id is None else int(token_id)
    alts = tuple(
        (int(j), float(result.final_probs[j]), float(result.raw_probs[j]))
        for j in result.top(n_alternatives, by="raw")
    )
    return StepRecord(
        token_id=tok,
        prob=float(result.final_probs[tok]),
        raw_prob=float(result.raw_probs[tok]),
        alternatives=alts,
        n_kept=result.n_kept,
        entropy_bits=result.entropy_final_bits,
    )


def token_label(tokenizer: Any, token_id: int) -> str:
    """A token as readable text: decoded, with spaces and newlines made visible."""
    text = tokenizer.decode([int(token_id)])
    if text == "":
        return f"<{token_id}>"
    return text.replace(" ", "\u2423").replace("\n", "\u21b5").replace("\t", "\u21e5")


@dataclass(frozen=True)
class CompareRun:
    """One column of the compare panel: a setting and what it generated."""

    label: str
    result: GenerationResult
    distinct_ratio: float = field(default=0.0)


def compare(
    model: Any,
    prompt_ids: Sequence[int],
    configs: Sequence[tuple[str, SamplingConfig]],
    *,
    max_new_tokens: int,
    eos_token_id: int | None = None,
) -> list[CompareRun]:
    """Generate from the same prompt under several settings (temperatures or seeds).

    Returns:
        One :class:`CompareRun` per setting, with the share of distinct tokens generated
        (1.0 = no repeats), a quick measure of how repetitive the text is.
    """
    runs = []
    for label, cfg in configs:
        r = generate(
            model,
            prompt_ids,
            cfg,
            max_new_tokens=max_new_tokens,
            eos_token_id=eos_token_id,
            n_alternatives=3,
        )
        ids = r.token_ids
        runs.append(CompareRun(label, r, len(set(ids)) / len(ids) if ids else 0.0))
    return runs
