"""ROUGE as a Hugging Face `evaluate` module, loadable offline by path.

    import evaluate
    rouge = evaluate.load("assets/metrics/rouge")      # a folder holding rouge.py: no hub access
    rouge.compute(predictions=["the cat sat"], references=[["the cat sat down", "a cat sat"]])

Built on Google's rouge_score, like the hub's ``rouge`` metric, with one difference:
``use_aggregator=True`` returns the plain mean over pairs (deterministic) instead of the
bootstrap median of rouge_score's BootstrapAggregator.
"""

import datasets
import evaluate
from rouge_score import rouge_scorer

_DESCRIPTION = "ROUGE-N, ROUGE-L and ROUGE-Lsum F1 (rouge_score), the GenAI Playground's offline copy."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of candidate texts.
    references: list of reference texts, or list of lists (several references per candidate:
        the best one by F1 is used, as rouge_score's score_multi does).
    rouge_types: default ["rouge1", "rouge2", "rougeL", "rougeLsum"].
    use_stemmer: Porter stemmer on words longer than 3 letters (default False).
    use_aggregator: True -> mean F1 per type; False -> a list of per-pair F1.
Returns:
    {"rouge1": ..., "rouge2": ..., "rougeL": ..., "rougeLsum": ...}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Rouge(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Lin, ROUGE: A Package for Automatic Evaluation of Summaries, 2004.",
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string", id="sequence"),
                        "references": datasets.Sequence(datasets.Value("string", id="sequence")),
                    }
                ),
                datasets.Features(
                    {
                        "predictions": datasets.Value("string", id="sequence"),
                        "references": datasets.Value("string", id="sequence"),
                    }
                ),
            ],
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(
        self, predictions, references, rouge_types=None, use_stemmer=False, use_aggregator=True
    ):
        rouge_types = list(rouge_types or ["rouge1", "rouge2", "rougeL", "rougeLsum"])
        scorer = rouge_scorer.RougeScorer(rouge_types=rouge_types, use_stemmer=use_stemmer)
        per_pair = {t: [] for t in rouge_types}
        for pred, ref in zip(predictions, references):
            scores = scorer.score_multi(ref, pred) if isinstance(ref, list) else scorer.score(ref, pred)
            for t in rouge_types:
                per_pair[t].append(scores[t].fmeasure)
        if use_aggregator:
            return {t: sum(v) / len(v) for t, v in per_pair.items()}
        return per_pair
