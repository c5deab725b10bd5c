"""SacreBLEU as a Hugging Face `evaluate` module, loadable offline by path.

    import evaluate
    bleu = evaluate.load("assets/metrics/sacrebleu")   # a folder holding sacrebleu.py
    bleu.compute(predictions=["the cat sat"], references=[["the cat sat down"]])

Same arguments and outputs as the hub's ``sacrebleu`` metric (score, counts, totals,
precisions, bp, sys_len, ref_len) plus the signature. References may differ in number per
candidate (sacrebleu's variable references).
"""

import datasets
import evaluate
from sacrebleu.metrics import BLEU

_DESCRIPTION = "Corpus BLEU by sacrebleu with its breakdown and signature (GenAI Playground's offline copy)."
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of candidate texts.
    references: list of lists of reference texts (one list per candidate).
    smooth_method: "exp" (default), "floor", "add-k" or "none".
    smooth_value: for floor / add-k.
    tokenize: sacrebleu tokenizer name, default "13a".
    lowercase: default False.
    force: do not warn about tokenized input.
    max_ngram_order: default 4.
    effective_order: default False.
Returns:
    score, counts, totals, precisions, bp, sys_len, ref_len, signature
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Sacrebleu(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Post, A Call for Clarity in Reporting BLEU Scores, WMT 2018.",
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
        smooth_method="exp",
        smooth_value=None,
        force=False,
        lowercase=False,
        tokenize="13a",
        max_ngram_order=4,
        effective_order=False,
    ):
        width = max(len(r) for r in references)
        streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
        metric = BLEU(
            lowercase=lowercase,
            force=force,
            tokenize=tokenize,
            smooth_method=smooth_method,
            smooth_value=smooth_value,
            max_ngram_order=max_ngram_order,
            effective_order=effective_order,
        )
        out = metric.corpus_score(predictions, streams)
        return {
            "score": out.score,
            "counts": out.counts,
            "totals": out.totals,
            "precisions": out.precisions,
            "bp": out.bp,
            "sys_len": out.sys_len,
            "ref_len": out.ref_len,
            "signature": str(metric.get_signature()),
        }
