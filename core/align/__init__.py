"""Aligning a model with preferences: pairs, a reward model, best-of-n and DPO with a KL leash.

- :mod:`~core.align.pairs` the shipped preference set (from the corpus grammar) and rankings
  turned into pairs; :mod:`~core.align.uploads` a learner's own file of pairs;
- :mod:`~core.align.loss` the DPO and reward-model losses (why not TRL's trainers: there);
- :mod:`~core.align.logps` pairs as tensors and summed completion log-probs;
- :mod:`~core.align.reward` a scalar-head reward model; :mod:`~core.align.bestofn` best-of-n;
- :mod:`~core.align.fit` what both runs share before their loop (encoding, plan, schedule);
- :mod:`~core.align.dpo` DPO on a LoRA policy (reference = adapter off);
  :mod:`~core.align.start` its measured starting point (loss log 2, KL 0);
- :mod:`~core.align.compare` reference vs policy on held-out prompts, win rate, forgetting;
- :mod:`~core.align.runs` saved adapters; :mod:`~core.align.job` the page's jobs.

>>> from core.align import DPOConfig
>>> DPOConfig(beta=0.5).beta
0.5

Importing this package loads neither torch nor transformers.
"""

from __future__ import annotations

from core.align.bestofn import BestOfNConfig, BestOfNResult, best_of_n, kl_bound
from core.align.compare import BeforeAfter, before_after, validation_perplexity
from core.align.dpo import DPOConfig, DPOEval, DPOResult, DPOStep, build_policy, train_dpo
from core.align.job import AlignProgress, DPOOutcome, dpo_job, reward_job
from core.align.loss import DPOLoss, dpo_loss, reward_loss
from core.align.pairs import (
    KINDS,
    Pair,
    PairError,
    PreferenceConfig,
    PreferenceSet,
    pairs_from_ranking,
    preference_set,
)
from core.align.reward import RewardConfig, RewardResult, RewardScores, score_texts, train_reward
from core.align.runs import list_runs, load_run
from core.align.uploads import MAX_PAIRS, UploadedPairs, parse_pairs

__all__ = [
    "KINDS",
    "MAX_PAIRS",
    "AlignProgress",
    "BeforeAfter",
    "BestOfNConfig",
    "BestOfNResult",
    "DPOConfig",
    "DPOEval",
    "DPOLoss",
    "DPOOutcome",
    "DPOResult",
    "DPOStep",
    "Pair",
    "PairError",
    "PreferenceConfig",
    "PreferenceSet",
    "RewardConfig",
    "RewardResult",
    "RewardScores",
    "UploadedPairs",
    "before_after",
    "best_of_n",
    "build_policy",
    "dpo_job",
    "dpo_loss",
    "kl_bound",
    "list_runs",
    "load_run",
    "pairs_from_ranking",
    "parse_pairs",
    "preference_set",
    "reward_job",
    "reward_loss",
    "score_texts",
    "train_dpo",
    "train_reward",
    "validation_perplexity",
]
