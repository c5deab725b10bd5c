"""chrF / chrF++ as a Hugging Face `evaluate` module, loadable offline by path.

    import evaluate
    chrf = evaluate.load("assets/metrics/chrf")        # a folder holding chrf.py
    chrf.compute(predictions=["the cat sat"], references=[["the cat sat down"]], word_order=2)

Same arguments as the hub's ``chrf`` metric, computed by sacrebleu's CHRF.
"""

import datasets
import evaluate
from sacrebleu.metrics import CHRF

_DESCRIPTION = "Corpus chrF (character n-gram F-score) by sacrebleu (GenAI Playground's offline copy)."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of candidate texts.
    references: list of lists of reference texts (one list per candidate).
    char_order: default 6. word_order: default 0 (2 = chrF++). beta: default 2.
    lowercase, whitespace, eps_smoothing: default False.
Returns:
    score, char_order, word_order, beta, signature
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Chrf(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Popovic, chrF: character n-gram F-score for automatic MT evaluation, WMT 2015.",
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string", id="sequence"),
                        "references": datasets.Sequence(datasets.Value("string", id="sequence")),
                    }
                ),
            ],
            codebase_urls=["https://github.com/mjpost/sacreBLEU"],
        )

    def _compute(
        self,
        predictions,
        references,
        char_order=6,
        word_order=0,
        beta=2,
        lowercase=False,
        whitespace=False,
        eps_smoothing=False,
    ):
        width = max(len(r) for r in references)
        streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
        metric = CHRF(
            char_order=char_order,
            word_order=word_order,
            beta=beta,
            lowercase=lowercase,
            whitespace=whitespace,
            eps_smoothing=eps_smoothing,
        )
        out = metric.corpus_score(predictions, streams)
        return {
            "score": out.score,
            "char_order": char_order,
            "word_order": word_order,
            "beta": beta,
            "signature": str(metric.get_signature()),
        }
