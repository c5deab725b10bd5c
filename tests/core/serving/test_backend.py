"""The backend switch: in-process by default, served when asked, and the in-process fallback
(with a note saying why) when the server is down, hung or answers badly."""

from __future__ import annotations

import math
import time

import pytest

from core import generation as gen
from core.models import load_causal_lm
from core.sampling import SamplingConfig
from core.serving import ServerConfig
from core.serving import backend as be
from core.settings import settings_from_env
from tests.core.serving.conftest import json_reply
from tests.core.serving.test_client import vllm_choice

GREEDY = SamplingConfig(temperature=0)


@pytest.fixture(scope="module")
def lm():
    return load_causal_lm("tiny-gpt")


def test_default_is_in_process_and_served_needs_a_server():
    assert be.backend_from_settings(settings_from_env({})) == be.Backend()
    b = be.backend_from_settings(settings_from_env({"GENAI_LLM_URL": "http://127.0.0.1:1/v1"}))
    assert b.kind == "served" and b.serves("tiny-gpt") and not b.serves("tiny-t5")
    with pytest.raises(ValueError, match="needs a server"):
        be.Backend("served")
    with pytest.raises(ValueError, match="kind must be one of"):
        be.Backend("remote")


def test_in_process_is_core_generation(lm):
    ids = lm.tokenizer.encode("Once upon a time")
    a = be.generate(
        lm.model, ids, GREEDY, max_new_tokens=6, model_name="tiny-gpt", backend=be.Backend()
    )
    ref = gen.generate(lm.model, ids, GREEDY, max_new_tokens=6)
    assert (a.backend, a.note) == ("in-process", None) and a.value.token_ids == ref.token_ids


def down(port: int, timeout_s: float = 5.0) -> be.Backend:
    return be.Backend(
        "served", ServerConfig(f"http://127.0.0.1:{port}/v1", "tiny-gpt", "", timeout_s)
    )


@pytest.mark.parametrize("fixture", ["closed_port", "silent_port"])
def test_down_or_hung_server_falls_back_in_process_with_a_note(lm, request, fixture):
    port = request.getfixturevalue(fixture)
    b = down(port, timeout_s=0.5)
    ids = lm.tokenizer.encode("Once upon a time")
    t0 = time.perf_counter()
    a = be.generate(lm.model, ids, GREEDY, max_new_tokens=6, model_name="tiny-gpt", backend=b)
    top = be.next_token_top(lm.model, ids, k=5, model_name="tiny-gpt", backend=b)
    scores = be.score_continuations(
        lm.model,
        [([ids], [[[5], [6, 7]]])],
        model_name="tiny-gpt",
        backend=b,
        in_process=lambda groups: [[[-1.0, -2.0]]],
    )
    assert time.perf_counter() - t0 < 5  # three requests, each given up on within 0.5 s
    ref = gen.generate(lm.model, ids, GREEDY, max_new_tokens=6)
    assert a.backend == top.backend == scores.backend == "in-process"
    assert a.value.token_ids == ref.token_ids and scores.value == [[[-1.0, -2.0]]]
    want = "did not answer in 0.5 s" if fixture == "silent_port" else "cannot be reached"
    for note in (a.note, top.note, scores.note):
        assert want in note and note.endswith("the page uses the in-process model instead.")


def test_another_model_stays_in_process(lm, closed_port):
    ids = lm.tokenizer.encode("Once upon a time")
    a = be.generate(
        lm.model, ids, GREEDY, max_new_tokens=3, model_name="gpt2", backend=down(closed_port)
    )
    assert (a.backend, a.note) == ("in-process", None)  # never asked the server


def test_served_answer_becomes_generation_steps(lm, fake_server):
    fake_server.reply = lambda m, p, b: json_reply(
        {
            "choices": [
                vllm_choice(
                    [7, 0],
                    [math.log(0.5), math.log(0.25)],
                    [
                        [(7, math.log(0.5)), (9, math.log(0.2))],
                        [(0, math.log(0.25)), (3, math.log(0.2))],
                    ],
                )
            ]
        }
    )
    b = be.Backend("served", fake_server.config())
    a = be.generate(
        lm.model,
        [5, 6],
        GREEDY,
        max_new_tokens=4,
        eos_token_id=0,
        n_alternatives=2,
        model_name="tiny-gpt",
        backend=b,
    )
    r = a.value
    assert a.backend == r.backend == "served" and r.token_ids == (7, 0)
    assert r.stop_id == 0 and r.stopped_on_eos
    assert r.steps[0].alternatives == ((7, 1.0, pytest.approx(0.5)), (9, 0.0, pytest.approx(0.2)))
    body = fake_server.requests[-1][2]
    # the text ends on the caller's stop tokens only, and never runs past the context
    assert body["ignore_eos"] is True and body["stop_token_ids"] == [0]
    assert body["max_tokens"] == 4 and body["logprobs"] == 2


def test_served_next_token_top_reports_the_rest(lm, fake_server):
    fake_server.reply = lambda m, p, b: json_reply(
        {"choices": [vllm_choice([7], [math.log(0.5)], [[(7, math.log(0.5)), (9, math.log(0.2))]])]}
    )
    b = be.Backend("served", fake_server.config())
    top = be.next_token_top(lm.model, [5, 6], k=2, model_name="tiny-gpt", backend=b)
    assert top.backend == "served" and top.value.token_ids == (7, 9)
    assert top.value.probs == pytest.approx((0.5, 0.2)) and top.value.rest == pytest.approx(0.3)


def test_malformed_served_answer_falls_back(lm, fake_server):
    fake_server.reply = lambda m, p, b: (200, b"<html>proxy error</html>")
    b = be.Backend("served", fake_server.config())
    top = be.next_token_top(lm.model, [5, 6], k=3, model_name="tiny-gpt", backend=b)
    assert top.backend == "in-process" and "not JSON" in top.note
    assert sum(top.value.probs) + top.value.rest == pytest.approx(1.0)


def test_a_failed_server_is_not_asked_again_for_a_while(lm, fake_server):
    fake_server.reply = lambda m, p, b: (503, b'{"error": {"message": "overloaded"}}')
    b = be.Backend("served", fake_server.config())
    first = be.next_token_top(lm.model, [5, 6], k=3, model_name="tiny-gpt", backend=b)
    second = be.next_token_top(lm.model, [5, 6], k=3, model_name="tiny-gpt", backend=b)
    assert len(fake_server.requests) == 1  # the second run did not wait on the server
    assert "HTTP 503: overloaded" in first.note and "asked again in" in second.note
    fake_server.reply = lambda m, p, b: json_reply(
        {"choices": [vllm_choice([7], [math.log(0.5)], [[(7, math.log(0.5))]])]}
    )
    be.forget_failures()
    third = be.next_token_top(lm.model, [5, 6], k=1, model_name="tiny-gpt", backend=b)
    assert third.backend == "served" and len(fake_server.requests) == 2


def test_compare_columns_fall_back_together(lm, closed_port):
    ids = lm.tokenizer.encode("Once upon a time")
    cfgs = [("seed 0", SamplingConfig(seed=0)), ("seed 1", SamplingConfig(seed=1))]
    a = be.compare(
        lm.model, ids, cfgs, max_new_tokens=4, model_name="tiny-gpt", backend=down(closed_port)
    )
    ref = gen.compare(lm.model, ids, cfgs, max_new_tokens=4)
    assert a.backend == "in-process" and "cannot be reached" in a.note
    assert [r.result.token_ids for r in a.value] == [r.result.token_ids for r in ref]
    assert [r.label for r in a.value] == ["seed 0", "seed 1"]


def test_rows_filling_the_context_are_scored_in_process(lm, fake_server):
    def reply(method, path, body):
        rows = [None] + [{str(t): {"logprob": -1.0}} for t in body["prompt"][1:]]
        return json_reply({"choices": [{"text": "", "prompt_logprobs": rows}]})

    fake_server.reply = reply
    ctx = gen.context_size(lm.model)  # 256: the server needs room for one generated token
    prompt = [5] * (ctx - 6)
    short, full = [1, 2], [1] * 6  # 252 tokens in all, and the whole context
    asked = []

    def here(groups):
        asked.append(groups)
        return [[[-7.0] * len(conts) for conts in cs] for _, cs in groups]

    b = be.Backend("served", fake_server.config())
    a = be.score_continuations(
        lm.model, [([prompt], [[short, full]])], model_name="tiny-gpt", backend=b, in_process=here
    )
    assert a.backend == "mixed" and a.note is None
    assert a.value == [[[-2.0, -7.0]]]  # the served row: two tokens at -1; the full one here
    assert asked == [[([prompt], [[full]])]] and len(fake_server.requests) == 1


def test_a_text_filling_the_context_reads_its_next_token_in_process(lm, fake_server):
    b = be.Backend("served", fake_server.config())
    ids = [5] * gen.context_size(lm.model)
    top = be.next_token_top(lm.model, ids, k=3, model_name="tiny-gpt", backend=b)
    assert (top.backend, top.note) == ("in-process", None) and fake_server.requests == []
