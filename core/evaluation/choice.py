"""Downstream accuracy: multiple choice scored by the summed log-probability of each
continuation (the lm-evaluation-harness way), and exact match of a generated answer.

A causal LM scores a choice as the continuation of the prompt; an encoder-decoder (T5) scores
it as the decoder's whole answer to the prompt, its source: log p(choice tokens and the end
token | source), read by :func:`seq2seq_logprobs`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChoiceCase:
    """One multiple-choice item.

    Args:
        prompt: the text before the answer.
        choices: candidate continuations (each scored after a space).
        gold: the right one.
    """

    prompt: str
    choices: tuple[str, ...]
    gold: str

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError("a choice case needs at least one choice")


def choice_scores(model: Any, tokenizer: Any, case: ChoiceCase, *, max_tokens: int) -> list[float]:
    """Summed log-probability (nats) of each choice as the continuation of ``case.prompt``.

    The prompt is cut from the left so that prompt + choice fit ``max_tokens``. For an
    encoder-decoder the prompt is the source (cut on the right to ``max_tokens``, as
    ``tokenizer(truncation=True)`` does) and each choice the decoder's answer, as the model
    was trained: the choice's own tokens (no leading space) and the end token.
    """
    import torch

    from core.generation import is_encoder_decoder

    if is_encoder_decoder(model):
        src = tokenizer(case.prompt, truncation=True, max_length=max_tokens)["input_ids"]
        targets = [list(tokenizer(c)["input_ids"]) for c in case.choices]
        return seq2seq_logprobs(model, [src], [targets])[0]
    scores = []
    for c in case.choices:
        c_ids = tokenizer(" " + c)["input_ids"]
        p_ids = tokenizer(case.prompt)["input_ids"][-(max_tokens - len(c_ids)) :]  # keep the end
        ids = torch.tensor([p_ids + c_ids])  # (1, T)
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0, :-1].float(), -1)  # (T-1, V)
        tgt = ids[0, 1:]  # (T-1,)
        scores.append(logp[len(p_ids) - 1 :].gather(1, tgt[len(p_ids) - 1 :, None]).sum().item())
    return scores


def seq2seq_logprobs(
    model: Any,
    sources: Sequence[Sequence[int]],
    targets: Sequence[Sequence[Sequence[int]]],
    *,
    chunk: int = 64,
    on_chunk: Callable[[int, int], None] | None = None,
) -> list[list[float]]:
    """Summed log p(target | source) under an encoder-decoder, for each source's targets.

    The encoder reads a chunk of sources once (right-padded, with an attention mask); its states
    are repeated for every target of their source, and the decoder reads its start token then
    the target but its last token (right-padded: its causal mask never lets a pad reach an
    earlier token), scoring every target token, as ``model(input_ids, labels=target)`` does.

    Args:
        model: a transformers encoder-decoder (``T5ForConditionalGeneration``...) in eval mode.
        sources: the encoder's inputs (token ids, each non-empty, end token included).
        targets: per source, the decoder answers to score (each non-empty; the end token
            included when it should count).
        chunk: sources per encoder batch.
        on_chunk: called as ``on_chunk(done, total)`` in targets scored, after each chunk.

    Returns:
        ``scores[i][j]`` = sum of log p(target j of source i), in nats.
    """
    import torch

    if len(sources) != len(targets):
        raise ValueError("give one list of targets per source")
    if any(not s for s in sources) or any(not t for ts in targets for t in ts):
        raise ValueError("every source and every target needs at least one token")
    device = next(model.parameters()).device
    start = int(model.config.decoder_start_token_id)
    pad = int(getattr(model.config, "pad_token_id", None) or 0)
    scores: list[list[float]] = [[0.0] * len(ts) for ts in targets]
    total, done = sum(len(ts) for ts in targets), 0
    with torch.no_grad():
        for lo in range(0, len(sources), chunk):
            idx = range(lo, min(lo + chunk, len(sources)))
            width = max(len(sources[i]) for i in idx)
            src = torch.full((len(idx), width), pad, dtype=torch.long)  # (B, S)
            mask = torch.zeros_like(src)
            for b, i in enumerate(idx):
                src[b, : len(sources[i])] = torch.tensor(list(sources[i]))
                mask[b, : len(sources[i])] = 1
            states = model.get_encoder()(
                input_ids=src.to(device), attention_mask=mask.to(device)
            ).last_hidden_state  # (B, S, D)
            rows = [(b, i, j) for b, i in enumerate(idx) for j in range(len(targets[i]))]
            if not rows:
                continue
            t_len = max(len(targets[i][j]) for _, i, j in rows)
            dec = torch.full((len(rows), t_len), pad, dtype=torch.long)  # (R, T)
            labels = torch.full((len(rows), t_len), pad, dtype=torch.long)  # (R, T)
            for r, (_, i, j) in enumerate(rows):
                t = list(targets[i][j])
                dec[r, : len(t)] = torch.tensor([start, *t[:-1]])
                labels[r, : len(t)] = torch.tensor(t)
            which = torch.tensor([b for b, _, _ in rows], device=device)
            out = model(
                encoder_outputs=(states[which],),
                attention_mask=mask.to(device)[which],
                decoder_input_ids=dec.to(device),
            )
            logp = torch.log_softmax(out.logits.float(), -1)  # (R, T, V)
            picked = logp.gather(2, labels.to(device)[:, :, None])[:, :, 0].cpu()  # (R, T)
            for r, (_, i, j) in enumerate(rows):
                scores[i][j] = picked[r, : len(targets[i][j])].sum().item()
            done += len(rows)
            if on_chunk is not None:
                on_chunk(done, total)
    return scores


def choice_accuracy(
    model: Any, tokenizer: Any, cases: Sequence[ChoiceCase], *, max_tokens: int
) -> float:
    """Share of cases whose gold choice has the highest summed log-probability (first wins ties).

    Args:
        model: a causal LM, or an encoder-decoder (each choice scored as its answer to the
            prompt: see :func:`choice_scores`).
        tokenizer: its tokenizer.
        cases: the items.
        max_tokens: the model's context length.
    """
    right = 0
    for case in cases:
        scores = choice_scores(model, tokenizer, case, max_tokens=max_tokens)
        right += case.choices[max(range(len(scores)), key=scores.__getitem__)] == case.gold
    return right / max(1, len(cases))


def normalize_answer(text: str) -> str:
    """Whitespace collapsed, lower case.

    >>> normalize_answer("  Oslo\\n IS  ")
    'oslo is'
    """
    return " ".join(text.split()).lower()


def exact_match(output: str, target: str) -> bool:
    """Exact match after whitespace and case folding; a one-line target is compared with the
    output's first line (what follows is the model carrying on, not its answer).

    >>> exact_match("Oslo\\nQuestion: next", "oslo"), exact_match("Oslo, Norway", "Oslo")
    (True, False)
    """
    if "\n" not in target.strip():
        output = output.strip().split("\n", 1)[0] if output.strip() else ""
    return normalize_answer(output) == normalize_answer(target)


def accuracy(hits: Sequence[bool | float]) -> float:
    """Share of hits (0.0 for none).

    >>> accuracy([True, False, True, True]), accuracy([])
    (0.75, 0.0)
    """
    return sum(hits) / max(1, len(hits))
