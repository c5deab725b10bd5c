"""The generated corpus: reproducible, well-formed, and with the held-out splits it promises."""

from __future__ import annotations

import random
import re

import pytest

from core import corpus
from core.corpus import CorpusConfig, generate_corpus, heldout_tasks


def test_same_seed_same_corpus_other_seed_other_corpus():
    a = generate_corpus(CorpusConfig(n_docs=200, seed=3))
    assert a == generate_corpus(CorpusConfig(n_docs=200, seed=3))
    assert a != generate_corpus(CorpusConfig(n_docs=200, seed=4))
    assert a != generate_corpus(CorpusConfig(n_docs=200, seed=3, heldout=True))


def test_config_validates():
    with pytest.raises(ValueError, match="n_docs"):
        CorpusConfig(n_docs=0)


def test_every_kind_of_document_appears():
    docs = generate_corpus(CorpusConfig(n_docs=500, seed=1))
    for marker in ("Once upon a time", "Q: ", "Review: ", " => ", "Context: ", "The capital of"):
        assert any(marker in d for d in docs), marker


def test_each_sentiment_document_uses_one_label_pair():
    docs = [d for d in generate_corpus(CorpusConfig(n_docs=800, seed=2)) if "Review: " in d]
    pairs_seen = set()
    for d in docs:
        labels = set(re.findall(r"Sentiment: (\w+)", d))
        pair = next(p for p in corpus.LABEL_PAIRS if labels <= set(p))
        pairs_seen.add(pair)
    assert pairs_seen == set(corpus.LABEL_PAIRS)


def test_translation_documents_hold_out_words_and_keep_one_language():
    docs = [d for d in generate_corpus(CorpusConfig(n_docs=800, seed=2)) if " => " in d]
    for d in docs:
        rows = [line.split(" => ") for line in d.splitlines() if " => " in line]
        assert not {w for w, _ in rows} & set(corpus.HELDOUT_TRANSLATION_WORDS)
        langs = [
            {lang for lang in corpus.LANGUAGES if corpus.TRANSLATIONS[w][lang] == t}
            for w, t in rows
        ]
        assert set.intersection(*langs)


@pytest.mark.parametrize("seed", range(20))
def test_context_answer_is_a_span_of_the_passage(seed):
    passage, question, answer = corpus.context_question(random.Random(seed))
    assert answer in passage and question.endswith("?")


def test_heldout_tasks_are_well_formed():
    tasks = heldout_tasks()
    assert set(tasks) == {"sentiment", "qa", "translation", "context_qa"}
    for name in ("sentiment", "qa", "translation"):
        t = tasks[name]
        assert len(t["examples"]) >= 8 and len(t["items"]) >= 20
        inputs = {e["input"] for e in t["examples"]}
        assert not inputs & {i["input"] for i in t["items"]}, "examples leak into items"
        for item in t["items"]:
            choices = t["labels"] or item["choices"]
            assert item["output"] in choices and len(set(choices)) == len(choices)
    assert heldout_tasks() == tasks
