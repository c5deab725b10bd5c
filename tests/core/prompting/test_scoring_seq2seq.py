"""core.prompting on an encoder-decoder (tiny-t5): the k-shot prompt is the encoder's source and
each choice is scored as the decoder's whole answer, equal to transformers' own loss."""

from __future__ import annotations

import pytest
import torch

from core import models
from core.prompting import build_prompt, evaluate_shots, load_task
from core.prompting.prompts import _prompt_segments, shot_order
from tests.core.prompting.samples import LONG_TASK, TOY


@pytest.fixture(scope="module")
def t5():
    return models.load_seq2seq("tiny-t5")


def direct(model, tok, source: str, answer: str) -> float:
    """log p(answer + end token | source) from transformers: -loss x number of labels."""
    src, tgt = tok(source)["input_ids"], tok(answer)["input_ids"]
    with torch.no_grad():
        out = model(input_ids=torch.tensor([src]), labels=torch.tensor([tgt]))
    return -float(out.loss) * len(tgt)


@pytest.mark.parametrize("k, seed", [(0, 0), (2, 0), (3, 4)])
def test_shots_go_into_the_source_and_choices_score_as_the_decoders_answer(t5, k, seed):
    task = load_task("translation")
    res = evaluate_shots(task, t5, ks=(k,), seeds=(seed,), instruction=True)
    run = res.run(k, seed)
    shots = shot_order(len(task.examples), seed)[:k]
    for i in (0, 3):
        item = task.items[i]
        text = "".join(s.text for s in _prompt_segments(task, shots, item, True))
        want = [direct(t5.model, t5.tokenizer, text, c) for c in task.choices_for(item)]
        assert run.items[i].logprobs == pytest.approx(want, abs=1e-4)
        assert run.items[i].n_tokens == len(t5.tokenizer(text)["input_ids"])
    assert run.shot_indices == tuple(shots) and run.truncated == 0


def test_generation_on_a_seq2seq_model_records_its_greedy_answer(t5):
    res = evaluate_shots(TOY, t5, ks=(1,), seeds=(0,), generate=True, max_new_tokens=4)
    item = res.run(1, 0).items[0]
    text = build_prompt(TOY, 1, 0, item=0, instruction=True).text
    src = torch.tensor([t5.tokenizer(text)["input_ids"]])
    with torch.no_grad():
        out = t5.model.generate(src, max_new_tokens=4, do_sample=False)
    want = t5.tokenizer.decode(out[0], skip_special_tokens=True).strip().split("\n")[0].strip()
    assert item.generated == want


def test_a_source_longer_than_the_encoder_reads_keeps_its_end(t5):
    res = evaluate_shots(LONG_TASK, t5, ks=(0, 1), seeds=(0,))
    assert res.run(0, 0).truncated == 1 and res.run(1, 0).truncated == 2
    assert max(s.n_tokens for r in res.runs for s in r.items) <= res.n_ctx == 192
    assert any("longer than" in n for n in res.notes)


def test_the_shown_prompt_counts_the_source_with_its_end_token(t5):
    task = load_task("sentiment")
    p = build_prompt(task, 2, 0, tokenizer=t5.tokenizer, max_tokens=192, encoder_source=True)
    assert p.encoder_source and p.n_tokens == len(t5.tokenizer(p.text)["input_ids"])
    lm = build_prompt(task, 2, 0, tokenizer=t5.tokenizer, max_tokens=192)
    assert not lm.encoder_source and lm.n_tokens != p.n_tokens
