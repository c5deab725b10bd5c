"""Which family for which task: the same held-out items run on an encoder, a decoder and an
encoder-decoder, each measured on the spot.

- **encoder only** (MiniLM): it turns text into vectors and cannot write. Sentiment is a
  logistic-regression head (:func:`core.evaluation.fit_logistic_regression`) trained on the
  MiniLM sentence embeddings of a labelled review set that holds none of the scored reviews;
  translation picks, among the item's given candidates, the one whose embedding is closest by
  cosine to the request (the very text tiny-t5's encoder reads).
- **decoder only** (tiny-gpt): a k-shot prompt in the prompt-shot page's format
  (:func:`core.prompting.build_prompt`), continued greedily (:func:`core.generation.greedy_ids`)
  up to the end of the line; its first line is the answer. It is also scored the encoder's way,
  picking among the same candidates by log-probability (:func:`core.evaluation.choice_scores`).
- **encoder-decoder** (tiny-t5): the T5 source (:func:`core.corpus.translate_source`,
  :func:`core.corpus.sentiment_source`), greedy output (:func:`core.tinyt5.translate`).

Every answer is scored by :func:`core.evaluation.exact_match`; every item's call is timed in
turns across the families (:func:`core.evaluation.time_interleaved`), after one untimed warm-up
each. The attention masks are drawn over the real tokens of the first item.

The package: :mod:`core.families.run` (config, result, the run), :mod:`core.families.masks`
(the masks over real tokens), :mod:`core.families.head` (the encoder's sentiment head).

>>> FamiliesConfig(n_items=0)
Traceback (most recent call last):
...
ValueError: items must be between 1 and 60, got 0
"""

from core.families.head import HeadInfo, head_training_rows, sentiment_head
from core.families.masks import (
    MAX_MASK_TOKENS,
    MaskView,
    causal_mask,
    decoder_masks,
    encoder_masks,
    full_mask,
    seq2seq_masks,
)
from core.families.run import (
    FAMILIES,
    LANG,
    MAX_NEW_TOKENS,
    TASKS,
    TEXTBOOK,
    FamiliesConfig,
    FamiliesResult,
    Family,
    FamilyRun,
    compare_families,
)

__all__ = [
    "FAMILIES",
    "LANG",
    "MAX_MASK_TOKENS",
    "MAX_NEW_TOKENS",
    "TASKS",
    "TEXTBOOK",
    "FamiliesConfig",
    "FamiliesResult",
    "Family",
    "FamilyRun",
    "HeadInfo",
    "MaskView",
    "causal_mask",
    "compare_families",
    "decoder_masks",
    "encoder_masks",
    "full_mask",
    "head_training_rows",
    "sentiment_head",
    "seq2seq_masks",
]
