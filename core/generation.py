"""The one decoding loop: a causal LM continues a prompt token by token, with its KV cache.

Every page and engine that generates calls this module: the Sampling page (greedy or seeded
sampling, streamed step by step), RAG answers (greedy, optionally copying only the passage's
tokens), the LoRA exact match and prompt-shot scores (batched greedy over left-padded prompts),
quantization agreement and tiny-gpt's own report. The distribution filters and the seeding
rule are :mod:`core.sampling`'s (this module imports it, never the other way round), so

- :func:`generate` gives the token ids of ``torch.manual_seed(seed); model.generate(...,
  **config.generate_kwargs())`` (greedy, and sampled with the same seed), and the token at
  position i of a text takes draw i of the seed's stream whether it is drawn one at a time
  (:func:`core.sampling.filter_distribution` with ``draw_index=i``) or N at once;
- :func:`generate_batch` gives, row for row, the tokens of a batched greedy ``model.generate``
  over left-padded prompts (positions derived from the attention mask, as transformers does);
- :func:`library_greedy` and :func:`library_stop_ids` read what a bare ``model.generate(...,
  do_sample=False)`` takes from the model's ``generation_config`` (its repetition penalty and
  end-of-text ids), so a caller replacing such a call keeps its output.

>>> GenerationResult(SamplingConfig(temperature=0), (1, 2), (), False, 0.0).token_ids
()
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.models import context_size
from core.sampling import (
    SamplingConfig,
    SamplingResult,
    apply_repetition_penalty,
    draw_generator,
    entropy_bits,
    remember_stream,
    warp_scores,
)


@dataclass(frozen=True)
class PromptIds:
    """A prompt as token ids, cut on the left to fit the context, with a note when cut."""

    ids: tuple[int, ...]
    n_original: int
    truncated: bool
    note: str | None = None


def encode_prompt(tokenizer: Any, text: str, *, max_tokens: int, source: bool = False) -> PromptIds:
    """Tokenize ``text`` and keep its last ``max_tokens`` tokens (the model reads left to right,
    so the end of the prompt matters most for the next token).

    With ``source=True`` the text is a seq2seq model's source (its encoder's input, where the
    task prefix comes first): a long one keeps its first tokens and the tokenizer's end token,
    as ``tokenizer(text, truncation=True, max_length=max_tokens)`` cuts it.

    Raises:
        ValueError: the prompt is empty (nothing to continue from).
    """
    what = "source" if source else "prompt"
    if not (text or "").strip():
        if source:
            raise ValueError("The source is empty: type a text for the encoder to read.")
        raise ValueError("The prompt is empty: type a few words for the model to continue.")
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    ids = list(tokenizer.encode(text))
    if not ids:
        raise ValueError(f"The {what} produced no tokens: type a few words for the model.")
    n = len(ids)
    if n <= max_tokens:
        return PromptIds(tuple(ids), n, False)
    if source:
        kept = list(tokenizer(text, truncation=True, max_length=max_tokens)["input_ids"])
        note = (
            f"The source has {n} tokens but the encoder reads at most {max_tokens} here: "
            f"kept the first {len(kept)} tokens (the last {n - len(kept)} were dropped)."
        )
        return PromptIds(tuple(kept), n, True, note)
    note = (
        f"The prompt has {n} tokens but the model reads at most {max_tokens} here: "
        f"kept the last {max_tokens} tokens (the first {n - max_tokens} were dropped)."
    )
    return PromptIds(tuple(ids[-max_tokens:]), n, True, note)


def next_token_logits(
    model: Any, ids: Sequence[int], *, decoder_prefix: Sequence[int] = ()
) -> np.ndarray:
    """One forward pass: the logits of the token after ``ids``, shape (V,), float32.

    For a seq2seq model ``ids`` is the source: the encoder reads it, and the decoder reads its
    start token then ``decoder_prefix`` (the answer written so far); the logits are those of
    the decoder's next token, as ``model(input_ids=ids, decoder_input_ids=...)`` gives them.

    >>> # logits = next_token_logits(loaded.model, [464, 3290])
    """
    import torch

    if not ids:
        raise ValueError("need at least one token")
    x = torch.tensor([list(ids)], dtype=torch.long)  # (1, T)
    extra: dict[str, Any] = {}
    if is_encoder_decoder(model):
        start = int(model.config.decoder_start_token_id)
        extra["decoder_input_ids"] = torch.tensor([[start, *decoder_prefix]])  # (1, 1 + P)
    elif decoder_prefix:
        raise ValueError("decoder_prefix is for a seq2seq model; a causal LM reads one text")
    with torch.inference_mode():
        out = model(input_ids=x, attention_mask=torch.ones_like(x), use_cache=False, **extra)
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

    def swapped(self, token_id: int) -> StepRecord | None:
        """This step with alternative ``token_id`` drawn instead (None when it is not one).

        >>> s = StepRecord(5, 0.6, 0.5, ((5, 0.6, 0.5), (7, 0.0, 0.2)), 1, 0.0)
        >>> s.swapped(7).token_id, s.swapped(7).prob, s.swapped(7).raw_prob, s.swapped(9)
        (7, 0.0, 0.2, None)
        """
        alt = next((a for a in self.alternatives if a[0] == token_id), None)
        if alt is None:
            return None
        return replace(self, token_id=alt[0], prob=alt[1], raw_prob=alt[2])


@dataclass(frozen=True)
class GenerationResult:
    """A generated continuation with a record per step.

    Attributes:
        stopped_on_eos: the last token is ``eos_token_id``.
        stop_id: the stop token (end of text or one of ``stop_token_ids``) the text ended on,
            included as its last step; None when it ran to its length or the context's end.
        backend: who generated it: "in-process" (this loop) or "served" (a generation server,
            through :mod:`core.serving`).
    """

    config: SamplingConfig
    prompt_ids: tuple[int, ...]
    steps: tuple[StepRecord, ...]
    stopped_on_eos: bool
    seconds: float
    stop_id: int | None = None
    backend: str = "in-process"

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


def _device(model: Any) -> Any:
    import torch

    dev = getattr(model, "device", None)
    return dev if isinstance(dev, torch.device) else torch.device("cpu")


def _allowed_mask(allowed: Collection[int], vocab_size: int) -> Any:
    import torch

    ids = sorted({int(t) for t in allowed})
    if not ids or ids[0] < 0 or ids[-1] >= vocab_size:
        raise ValueError(f"allowed_token_ids must be ids in 0..{vocab_size - 1}, got {ids[:5]}")
    mask = torch.full((1, vocab_size), float("-inf"))  # (1, V): 0 where allowed
    mask[0, ids] = 0.0
    return mask


def is_encoder_decoder(model: Any) -> bool:
    """Whether ``model`` is a seq2seq model (T5, BART): an encoder reads the prompt once and a
    decoder writes the answer from its own start token, attending to the encoder's states.

    >>> from types import SimpleNamespace as NS
    >>> is_encoder_decoder(NS(config=NS(is_encoder_decoder=True))), is_encoder_decoder(None)
    (True, False)
    """
    return bool(getattr(getattr(model, "config", None), "is_encoder_decoder", False))


def _encode(model: Any, ids: Any, mask: Any = None) -> tuple[Any, Any]:
    """The encoder's output for ``ids`` (B, T) and its attention mask, run once per prompt."""
    import torch

    mask = torch.ones_like(ids) if mask is None else mask
    return model.get_encoder()(input_ids=ids, attention_mask=mask), mask


def _forward(
    model: Any,
    x: Any,
    length: int,
    past: Any,
    use_cache: bool,
    encoded: tuple[Any, Any] | None,
    *,
    mask: Any = None,
    position_ids: Any = None,
) -> Any:
    """One decoding step: a causal LM reads ``x`` after its cache; a seq2seq decoder reads ``x``
    after its cache while attending to the encoder's states ``encoded``."""
    import torch

    if encoded is not None:
        return model(
            encoder_outputs=encoded[0],
            attention_mask=encoded[1],
            decoder_input_ids=x,
            past_key_values=past,
            use_cache=use_cache,
        )
    if mask is None and position_ids is None:
        mask = torch.ones(1, length, dtype=torch.long, device=x.device)
    extra = {} if position_ids is None else {"position_ids": position_ids}
    return model(
        input_ids=x, attention_mask=mask, past_key_values=past, use_cache=use_cache, **extra
    )


def generate(
    model: Any,
    prompt_ids: Sequence[int],
    config: SamplingConfig,
    *,
    max_new_tokens: int,
    eos_token_id: int | None = None,
    stop_token_ids: Collection[int] = (),
    allowed_token_ids: Collection[int] | None = None,
    allow_each_once: bool = False,
    n_alternatives: int = 5,
    on_step: Callable[[int, StepRecord], None] | None = None,
    first_draw: int = 0,
    use_cache: bool = True,
    inference_mode: bool = True,
    decoder_prefix: Sequence[int] = (),
    should_stop: Callable[[Sequence[int]], bool] | None = None,
) -> GenerationResult:
    """Generate up to ``max_new_tokens`` tokens after ``prompt_ids``, like ``model.generate``.

    Same settings and seed as ``torch.manual_seed(seed); model.generate(..., **config.
    generate_kwargs())`` give the same token ids: the key/value cache is used the same way and
    the draw uses a private generator seeded with ``config.seed``. Generation stops after a
    stop token (included) and never runs past the model's context.

    Args:
        model: a transformers causal LM, or a seq2seq model (its encoder reads the prompt once,
            its decoder writes from ``decoder_start_token_id``, as ``model.generate`` does), in
            eval mode (never modified).
        prompt_ids: the prompt's token ids (a seq2seq model's encoder input).
        config: the sampling settings (temperature 0: greedy).
        max_new_tokens: how many tokens at most.
        eos_token_id: stop once this token is drawn (None: never stop early).
        stop_token_ids: more tokens that end the text (a newline, a chat model's second
            end-of-turn id...).
        allowed_token_ids: only these tokens may be drawn (after the repetition penalty, before
            temperature and filters); None = the whole vocabulary.
        allow_each_once: with ``allowed_token_ids``, a token once drawn is not allowed again.
        n_alternatives: how many top alternatives to record per step (0: none).
        on_step: called as ``on_step(i, record)`` after each token (for streaming).
        first_draw: how many tokens of the text come before ``prompt_ids``' end, i.e. the
            position of the first token generated here: it takes that draw of the seed's
            stream (:func:`core.sampling.draw_generator`), so a text continued here goes on
            exactly as if drawn one token at a time.
        use_cache: reuse the keys and values of earlier tokens (as ``model.generate`` does);
            False re-reads the whole text every step (``model.generate(use_cache=False)``), for
            a model whose numbers depend on the length read at once (dynamically quantized
            activations are scaled over the whole input).
        inference_mode: run under ``torch.inference_mode`` (the fastest); False runs under
            ``torch.no_grad`` as ``model.generate`` does, for models whose own tensor types
            cannot hold inference tensors (optimum-quanto's int4/int2 weights).
        decoder_prefix: a seq2seq decoder's answer so far (after its start token), to go on
            from (as ``model.generate(..., decoder_input_ids=[start, *prefix])``); the new
            tokens follow it. Only for a seq2seq model.
        should_stop: called with the new token ids after each token; True ends the text there
            (a stop that depends on the text so far, as ``model.generate``'s
            ``stopping_criteria`` or ``stop_strings`` do).

    Returns:
        A :class:`GenerationResult`.
    """
    import torch

    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be 0 or more, got {max_new_tokens}")
    if not prompt_ids:
        raise ValueError("the prompt needs at least one token")
    enc_dec = is_encoder_decoder(model)
    if decoder_prefix and not enc_dec:
        raise ValueError("decoder_prefix is for a seq2seq model; a causal LM reads one text")
    # a causal LM's prompt and new tokens share one context; a seq2seq decoder starts afresh
    room = context_size(model) - (1 + len(decoder_prefix) if enc_dec else len(prompt_ids))
    if len(prompt_ids) > context_size(model):
        raise ValueError(f"the prompt ({len(prompt_ids)} tokens) is longer than the context")
    max_new_tokens = min(max_new_tokens, room)
    if first_draw < 0:
        raise ValueError(f"first_draw must be 0 or more, got {first_draw}")
    if allow_each_once and allowed_token_ids is None:
        raise ValueError("allow_each_once needs allowed_token_ids")
    stops = {int(t) for t in stop_token_ids}
    if eos_token_id is not None:
        stops.add(int(eos_token_id))
    device = _device(model)
    mask = None  # (1, V) additive: -inf on tokens that may not be drawn
    gen = None  # the seed's stream, made at the first draw (its vocabulary size is known then)
    ids = torch.tensor([list(prompt_ids)], dtype=torch.long)  # (1, T)
    steps: list[StepRecord] = []
    past = None
    t0 = time.perf_counter()
    stop_id = None
    with torch.inference_mode() if inference_mode else torch.no_grad():
        encoded = _encode(model, ids.to(device)) if enc_dec else None
        if encoded is not None:  # the decoder's text so far: its start token (and prefix)
            start = int(model.config.decoder_start_token_id)
            ids = torch.tensor([[start, *decoder_prefix]], dtype=torch.long)  # (1, 1 + P)
        x = ids.to(device)
        for i in range(max_new_tokens):
            out = _forward(model, x, ids.shape[1], past, use_cache, encoded)
            past = out.past_key_values if use_cache else None
            # the draw runs on the CPU, where the seed's stream lives
            logits = out.logits[:, -1].to("cpu", torch.float32, copy=True)  # (1, V)
            raw = torch.softmax(logits, dim=-1)
            scores = apply_repetition_penalty(logits, ids[0], config.repetition_penalty)
            if allowed_token_ids is not None:
                if mask is None:
                    mask = _allowed_mask(allowed_token_ids, int(scores.shape[-1]))
                scores = scores + mask
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
                scores, _ = warp_scores(scores, config)
                probs = torch.softmax(scores, dim=-1)
                if gen is None:
                    gen = draw_generator(config.seed, first_draw, int(probs.shape[-1]))
                nxt = torch.multinomial(probs, num_samples=1, generator=gen).squeeze(1)  # (1,)
                remember_stream(config.seed, int(probs.shape[-1]), first_draw + i + 1, gen)
                tok = int(nxt[0])
                alt_final = probs[0, top_i].tolist()
                prob, n_kept = float(probs[0, tok]), int((probs[0] > 0).sum())
                entropy = entropy_bits(probs[0].numpy())
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
            if tok in stops:
                stop_id = tok
                break
            if should_stop is not None and should_stop([r.token_id for r in steps]):
                break
            if allow_each_once and mask is not None:
                mask[0, tok] = float("-inf")  # each allowed token at most once
            ids = torch.cat([ids, nxt[:, None]], dim=-1)
            x = (nxt[:, None] if use_cache else ids).to(device)
    return GenerationResult(
        config=config,
        prompt_ids=tuple(prompt_ids),
        steps=tuple(steps),
        stopped_on_eos=eos_token_id is not None and stop_id == eos_token_id,
        seconds=time.perf_counter() - t0,
        stop_id=stop_id,
    )


def generate_batch(
    model: Any,
    rows: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    pad_token_id: int,
    stop_token_ids: Collection[int] = (),
    repetition_penalty: float = 1.0,
) -> list[tuple[int, ...]]:
    """Greedy continuations of several prompts at once, as a batched ``model.generate`` makes.

    The rows are left-padded with ``pad_token_id`` and run as one batch with the KV cache; the
    positions come from the attention mask (``cumsum - 1``, as transformers derives them), so a
    row reads the same positions as alone. Rows that reached a stop token are padded on until
    every row stopped (their tokens no longer matter), as ``model.generate`` does.

    Args:
        model: a transformers causal LM (a peft model too) in eval mode.
        rows: the prompts' token ids, each non-empty and fitting the context with the new
            tokens (cut them first).
        max_new_tokens: tokens per row at most.
        pad_token_id: the padding id (its positions are masked out).
        stop_token_ids: tokens that end a row (included in its output).
        repetition_penalty: transformers' repetition penalty (1 = off) over each padded row.

    Returns:
        Per row, its new token ids up to and including its stop token.
    """
    import torch

    if not rows or any(len(r) == 0 for r in rows):
        raise ValueError("every row needs at least one token")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be 0 or more, got {max_new_tokens}")
    T = max(map(len, rows))
    enc_dec = is_encoder_decoder(model)
    if (T if enc_dec else T + max_new_tokens) > context_size(model):
        raise ValueError(f"{T} + {max_new_tokens} tokens run past the model's context")
    device = _device(model)
    ids = torch.tensor([[pad_token_id] * (T - len(r)) + list(r) for r in rows])  # (B, T)
    mask = torch.tensor([[0] * (T - len(r)) + [1] * len(r) for r in rows], device=device)
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)  # (B, T) positions of real tokens
    encoded = None
    if enc_dec:  # the encoder reads the padded prompts once; the decoders all start alike
        with torch.no_grad():
            encoded = _encode(model, ids.to(device), mask)
        start = int(model.config.decoder_start_token_id)
        ids = torch.full((len(rows), 1), start, dtype=torch.long)  # (B, 1)
    stop_set = {int(t) for t in stop_token_ids}
    stops = torch.tensor(sorted(stop_set), dtype=torch.long)
    alive = torch.ones(len(rows), dtype=torch.bool)  # (B,)
    new: list[Any] = []
    past = None
    padded = bool((mask == 0).any())  # without padding transformers drops the mask
    x = ids.to(device)
    with torch.no_grad():  # as model.generate
        for _ in range(max_new_tokens):
            out = _forward(
                model,
                x,
                x.shape[1],
                past,
                True,
                encoded,
                mask=mask if padded else None,
                position_ids=pos if past is None else pos[:, -1:],
            )
            past = out.past_key_values
            scores = out.logits[:, -1].to("cpu", torch.float32, copy=True)  # (B, V)
            scores = apply_repetition_penalty(scores, ids, repetition_penalty)
            nxt = torch.argmax(scores, dim=-1)  # (B,)
            nxt = torch.where(alive, nxt, torch.full_like(nxt, pad_token_id))
            new.append(nxt)
            alive = alive & ~torch.isin(nxt, stops)
            ids = torch.cat([ids, nxt[:, None]], dim=-1)
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=-1)
            pos = torch.cat([pos, pos[:, -1:] + 1], dim=-1)
            x = nxt[:, None].to(device)
            if not alive.any():
                break
    table = torch.stack(new, dim=1).tolist() if new else [[] for _ in rows]  # (B, new)
    result = []
    for row in table:
        end = next((j + 1 for j, t in enumerate(row) if t in stop_set), len(row))
        result.append(tuple(row[:end]))
    return result


def library_stop_ids(model: Any) -> frozenset[int]:
    """The end-of-text ids a bare ``model.generate`` stops on (its ``generation_config``'s
    ``eos_token_id``, one id or a list; chat models often list two)."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        return frozenset()
    return frozenset(int(t) for t in (eos if isinstance(eos, (list, tuple)) else [eos]))


def library_greedy(model: Any) -> SamplingConfig:
    """The greedy settings of ``model.generate(..., do_sample=False)``: temperature 0 with the
    repetition penalty of the model's ``generation_config`` (Qwen2.5's instruct models ship
    1.1; most models none)."""
    rp = getattr(getattr(model, "generation_config", None), "repetition_penalty", None)
    return SamplingConfig(temperature=0, repetition_penalty=float(rp or 1.0))


def greedy_ids(
    model: Any,
    prompt_ids: Sequence[int],
    *,
    max_new_tokens: int,
    stop_token_ids: Collection[int] | None = None,
) -> tuple[int, ...]:
    """The new ids of ``model.generate(ids, max_new_tokens=n, do_sample=False)``: greedy with
    the model's own repetition penalty, up to and including an end-of-text id (by default the
    model's ``generation_config``'s; pass ``stop_token_ids`` to stop on others).

    >>> # text = tok.decode(greedy_ids(lm.model, ids, max_new_tokens=8), skip_special_tokens=True)
    """
    stops = library_stop_ids(model) if stop_token_ids is None else stop_token_ids
    r = generate(
        model,
        prompt_ids,
        library_greedy(model),
        max_new_tokens=max_new_tokens,
        stop_token_ids=stops,
        n_alternatives=0,
    )
    return r.token_ids


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


# --- a text in progress, one token at a time (the Sampling page's step-through) ------------------
@dataclass(frozen=True)
class TextSoFar:
    """What a model reads before the next token of a text, in the arguments of
    :func:`next_token_logits` and :func:`generate`.

    Attributes:
        prompt_ids: a causal LM's prompt and generated tokens, cut on the left to fit its
            context; a seq2seq model's source (its encoder's input), whole.
        decoder_prefix: a seq2seq decoder's tokens generated so far; () for a causal LM.
        decoder_start: a seq2seq decoder's start token; None for a causal LM.

    >>> TextSoFar((5, 6), (7,), 0).ids, TextSoFar((5, 6)).ids
    ((0, 7), (5, 6))
    """

    prompt_ids: tuple[int, ...]
    decoder_prefix: tuple[int, ...] = ()
    decoder_start: int | None = None

    @property
    def ids(self) -> tuple[int, ...]:
        """The tokens the next one follows, which the repetition penalty looks at (as
        ``model.generate``'s): a causal LM's context; a seq2seq decoder's start token and
        its tokens so far (the source is not among them)."""
        if self.decoder_start is None:
            return self.prompt_ids
        return (self.decoder_start, *self.decoder_prefix)


def text_so_far(
    model: Any,
    prompt_ids: Sequence[int],
    generated: Sequence[int],
    *,
    context: int,
    new_tokens: int = 0,
) -> TextSoFar:
    """The text after ``prompt_ids`` and the ``generated`` tokens, leaving room for
    ``new_tokens`` more (0: the next token's distribution only).

    A causal LM reads prompt and generated tokens as one text: its last ``context`` tokens
    (``context - new_tokens`` when more are to come, at least one). A seq2seq model's encoder
    reads the prompt as its source, and its decoder the generated tokens after its start token.

    >>> from types import SimpleNamespace as NS
    >>> lm, t5 = NS(config=NS()), NS(config=NS(is_encoder_decoder=True, decoder_start_token_id=0))
    >>> text_so_far(lm, [1, 2, 3], [4], context=3).ids, text_so_far(t5, [1, 2, 3], [4], context=3)
    ((2, 3, 4), TextSoFar(prompt_ids=(1, 2, 3), decoder_prefix=(4,), decoder_start=0))
    """
    if is_encoder_decoder(model):
        start = int(model.config.decoder_start_token_id)
        return TextSoFar(tuple(prompt_ids), tuple(generated), start)
    keep = context if new_tokens <= 0 else max(1, context - new_tokens)
    return TextSoFar((*prompt_ids, *generated)[-keep:])
