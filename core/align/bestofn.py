"""Best-of-n: sample n completions from the model, keep the one the reward model likes best.

No weight changes, yet the kept text moves away from what the model itself would write: its
KL to the model is at most ``log n - (n - 1) / n`` (the best-of-n bound). At large n, with the
reward as the only judge (no leash), the pick drifts to whatever the reward model
over-rewards; the curve measures the reward of the pick, how likely the model finds it per
token, and how repetitive it is, for n = 1, 2, 4, ... on the same samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.knobs import check, knob


@dataclass(frozen=True)
class BestOfNConfig:
    n: int = knob(16, lo=1, hi=64, help="Completions sampled per prompt")
    temperature: float = knob(1.0, lo=0.1, hi=2.5, step=0.05, help="1: the model's own mix")
    max_new_tokens: int = knob(12, lo=1, hi=48, label="max new tokens")
    seed: int = knob(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class Sample:
    text: str
    reward: float
    logprob: float  # mean log-prob per token under the sampling model (its own fluency)
    distinct: float  # distinct tokens / tokens


@dataclass(frozen=True)
class CurvePoint:
    """Best-of-k over the first k samples of every prompt (means over prompts)."""

    n: int
    reward: float
    logprob: float
    distinct: float
    kl_bound: float  # log k - (k - 1) / k


@dataclass(frozen=True)
class BestOfNResult:
    config: BestOfNConfig
    prompts: tuple[str, ...]
    samples: tuple[tuple[Sample, ...], ...]  # per prompt, in drawing order
    curve: tuple[CurvePoint, ...]

    def best(self, i: int, k: int | None = None) -> Sample:
        """The highest-reward sample of prompt ``i`` among its first ``k`` (all by default)."""
        pool = self.samples[i][: k or len(self.samples[i])]
        return max(pool, key=lambda s: s.reward)


def kl_bound(n: int) -> float:
    """The best-of-n KL bound to the sampling model, in nats.

    >>> kl_bound(1), round(kl_bound(16), 3)
    (0.0, 1.835)
    """
    return math.log(n) - (n - 1) / n


def best_of_n(
    model: Any,
    tok: Any,
    reward: tuple[Any, Any],
    prompts: Sequence[str],
    config: BestOfNConfig,
) -> BestOfNResult:
    """Sample ``config.n`` completions of each prompt (seeds ``seed, seed + 1, ...``), score
    each with the reward model, and measure best-of-k for k = 1, 2, 4, ... up to n.

    Raises:
        ValueError: no prompts.
    """
    from core.align.compare import distinct_share
    from core.align.reward import score_texts
    from core.generation import encode_prompt, generate
    from core.models import context_size
    from core.sampling import SamplingConfig

    if not prompts:
        raise ValueError("best-of-n needs at least one prompt")
    rm, rtok = reward
    stops = {tok.eos_token_id, *tok("\n")["input_ids"]}
    room = context_size(model) - config.max_new_tokens
    out = []
    for prompt in prompts:
        ids = encode_prompt(tok, prompt, max_tokens=room).ids
        drawn = [
            generate(
                model,
                ids,
                SamplingConfig(temperature=config.temperature, seed=config.seed + k),
                max_new_tokens=config.max_new_tokens,
                stop_token_ids=stops,
                n_alternatives=0,
            )
            for k in range(config.n)
        ]
        texts = [
            tok.decode(list(g.token_ids), skip_special_tokens=True).rstrip("\n") for g in drawn
        ]
        scores = score_texts(rm, rtok, prompt, texts)
        out.append(
            tuple(
                Sample(t, s, g.mean_logprob, distinct_share([g.token_ids]))
                for t, s, g in zip(texts, scores, drawn, strict=True)
            )
        )
    ks = sorted({*(2**j for j in range(7) if 2**j <= config.n), config.n})
    result = BestOfNResult(config, tuple(prompts), tuple(out), ())
    curve = []
    for k in ks:
        picks = [result.best(i, k) for i in range(len(prompts))]
        curve.append(
            CurvePoint(
                k,
                sum(p.reward for p in picks) / len(picks),
                sum(p.logprob for p in picks) / len(picks),
                sum(p.distinct for p in picks) / len(picks),
                kl_bound(k),
            )
        )
    return BestOfNResult(config, tuple(prompts), tuple(out), tuple(curve))
