"""How a causal LM turns next-token logits into one token: penalty, temperature, filters, a draw.

The pipeline follows the order of transformers' ``generate`` (``_get_logits_processor`` in
transformers 5): **repetition penalty -> temperature -> top-k -> top-p -> min-p -> sample**.
Temperature 0 means greedy decoding: only the repetition penalty applies, then the argmax.
Every step copies the tensor operations of the matching transformers ``LogitsProcessor``, so
:func:`core.generation.generate`, the one decoding loop, built on these filters, reproduces
``model.generate`` token for token (greedy, and sampled with the same seed: a private
``torch.Generator`` seeded with ``seed`` draws what ``torch.manual_seed`` followed by
``generate`` draws). This module knows nothing of models; generation imports it, never the
other way round.

One rule for the randomness of a text (:func:`draw_generator`): a text is drawn from ONE random
stream, seeded once with the seed at its first generated token; the token at position i (0 =
the first after the prompt) takes the stream's i-th draw. Drawing one token at a time
(:func:`filter_distribution` with ``draw_index=i``) and :func:`core.generation.generate` (with
``first_draw``) follow it, so "sample one token" N times, "generate N" and transformers'
``generate`` give the same tokens for the same seed.

>>> SamplingConfig(temperature=0.7, top_k=40).top_k
40
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
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

    @property
    def removed_counts(self) -> dict[str, int]:
        """How many tokens each stage removed, in pipeline order (greedy last), zeros included."""
        return {f: int((self.removed_by == f).sum()) for f in (*FILTERS, GREEDY)}

    def top(self, n: int, *, by: str = "raw") -> np.ndarray:
        """Ids of the ``n`` most likely tokens by ``raw``, ``scaled`` or ``final`` probability."""
        probs = {"raw": self.raw_probs, "scaled": self.scaled_probs, "final": self.final_probs}[by]
        n = min(n, probs.shape[0])
        idx = np.argpartition(-probs, n - 1)[:n]
        return idx[np.argsort(-probs[idx], kind="stable")]


def entropy_bits(p: np.ndarray) -> float:
    nz = p[p > 0].astype(np.float64)
    return max(0.0, float(-(nz * np.log2(nz)).sum()))  # never -0.0


def apply_repetition_penalty(scores: Any, context_ids: Any, penalty: float) -> Any:
    """transformers' RepetitionPenaltyLogitsProcessor on scores (B, V) for the context ids
    (T,) or (B, T) of each row (padding included, as transformers does)."""
    import torch

    if penalty == 1.0 or context_ids is None or context_ids.numel() == 0:
        return scores
    ids = context_ids.clamp(max=scores.shape[-1] - 1).view(scores.shape[0], -1)  # (B, T)
    score = torch.gather(scores, 1, ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, ids, score)


def warp_scores(scores: Any, config: SamplingConfig) -> tuple[Any, dict[str, Any]]:
    """Temperature, top-k, top-p and min-p exactly as transformers' warpers, on scores (B, V).

    Returns:
        The processed scores (removed tokens at -inf) and each filter's removal mask (B, V).
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


def remember_stream(seed: int, vocab_size: int, n_drawn: int, gen: Any) -> None:
    """Remember ``gen``'s state after ``n_drawn`` draws of ``seed``'s stream (see
    :func:`draw_generator`), so the next draw from there needs no replay."""
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
    :func:`core.generation.generate` and of this function is remembered).

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
        remember_stream(seed, vocab_size, k, gen)
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
    penalized = apply_repetition_penalty(scores, ctx, config.repetition_penalty)
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
        warped, removed = warp_scores(penalized, config)
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
        entropy_raw_bits=entropy_bits(raw.numpy()),
        entropy_final_bits=entropy_bits(final_np),
        n_kept=int((removed_by == KEPT).sum()),
        notes=tuple(notes),
        draw_index=draw_index,
    )


def token_label(tokenizer: Any, token_id: int) -> str:
    """A token as readable text: decoded, with spaces and newlines made visible."""
    text = tokenizer.decode([int(token_id)])
    if text == "":
        return f"<{token_id}>"
    return text.replace(" ", "\u2423").replace("\n", "\u21b5").replace("\t", "\u21e5")
