"""The serving client against a fake server on loopback: what it sends, what it reads, and the
one clear error for every way a server can fail."""

from __future__ import annotations

import math
import time

import pytest

from core.serving import (
    MAX_LOGPROBS,
    ServerConfig,
    ServingError,
    complete,
    health,
    prompt_logprobs,
    server_from_settings,
)
from core.settings import settings_from_env
from tests.core.serving.conftest import json_reply


def vllm_choice(ids, logprobs, tops, *, index=0, text="x", finish="length"):
    """One choice as vLLM writes it with return_tokens_as_token_ids and return_token_ids."""
    return {
        "index": index,
        "text": text,
        "token_ids": list(ids),
        "finish_reason": finish,
        "logprobs": {
            "tokens": [f"token_id:{t}" for t in ids],
            "token_logprobs": list(logprobs),
            "top_logprobs": [{f"token_id:{t}": lp for t, lp in top} for top in tops],
        },
    }


GOOD = {
    "choices": [
        vllm_choice(
            [7, 3],
            [math.log(0.5), math.log(0.9)],
            [[(9, math.log(0.3)), (7, math.log(0.5))], [(3, math.log(0.9)), (1, math.log(0.05))]],
        )
    ]
}


def test_completion_sends_token_ids_and_reads_logprobs(fake_server):
    fake_server.reply = lambda m, p, b: json_reply(GOOD)
    (c,) = complete(
        fake_server.config(api_key="k"), [5, 6], max_tokens=2, logprobs=2, seed=3, top_k=0
    )
    method, path, body, headers = fake_server.requests[-1]
    assert (method, path) == ("POST", "/v1/completions")
    assert body["prompt"] == [5, 6] and body["seed"] == 3 and body["logprobs"] == 2
    assert body["top_k"] == -1 and body["return_tokens_as_token_ids"] is True
    assert headers["Authorization"] == "Bearer k"
    assert c.token_ids == (7, 3) and c.backend == "served" and c.finish_reason == "length"
    # the top alternatives come sorted, most likely first, whatever order the JSON had
    assert c.steps[0].top == ((7, math.log(0.5)), (9, math.log(0.3)))
    assert c.steps[0].rest == pytest.approx(0.2) and c.steps[1].rest == pytest.approx(0.05)
    assert c.steps[0].prob == pytest.approx(0.5) and c.seconds > 0


def test_no_key_no_authorization_header(fake_server):
    fake_server.reply = lambda m, p, b: json_reply(GOOD)
    complete(fake_server.config(), [5], max_tokens=2, logprobs=1)
    assert "Authorization" not in fake_server.requests[-1][3]


def test_health_lists_models(fake_server):
    fake_server.reply = lambda m, p, b: json_reply({"data": [{"id": "tiny-gpt"}]})
    h = health(fake_server.config())
    assert h.models == ("tiny-gpt",) and h.serves("tiny-gpt") and not h.serves("gpt2")
    assert fake_server.requests[-1][:2] == ("GET", "/v1/models")


def test_prompt_logprobs_reads_each_token(fake_server):
    rows = [None, {"6": {"logprob": -1.5, "rank": 3}}, {"7": {"logprob": -0.25, "rank": 1}}]
    fake_server.reply = lambda m, p, b: json_reply(
        {"choices": [{"text": "", "prompt_logprobs": rows}]}
    )
    s = prompt_logprobs(fake_server.config(), [5, 6, 7])
    assert s.logprobs == (None, -1.5, -0.25) and s.continuation_logprob(2) == -0.25
    assert fake_server.requests[-1][2]["prompt_logprobs"] == 0


BAD_BODIES = [
    pytest.param(b"<html>not json</html>", "not JSON", id="not-json"),
    pytest.param(b'{"object": "list"}', "'choices'", id="no-choices"),
    pytest.param(b'{"choices": [{"index": 0}]}', "'text'", id="no-text"),
    pytest.param(b'{"choices": []}', "1 choices", id="too-few-choices"),
    pytest.param(
        b'{"choices": [{"text": "a", "logprobs": {"tokens": ["a"], "token_logprobs": [-1.0],'
        b' "top_logprobs": [{"a": -1.0}]}}]}',
        "token ids",
        id="token-strings-not-ids",
    ),
    pytest.param(
        b'{"choices": [{"text": "a", "token_ids": [1, 2], "logprobs": {"tokens": '
        b'["token_id:1"], "token_logprobs": [-1.0], "top_logprobs": [{"token_id:1": -1.0}]}}]}',
        "one logprob per generated token",
        id="logprobs-shorter-than-tokens",
    ),
    pytest.param(b'{"choices": [{"text": "a", "logprobs": null}]}', "logprobs", id="no-logprobs"),
]


@pytest.mark.parametrize(("body", "says"), BAD_BODIES)
def test_malformed_answers_raise_one_clear_error(fake_server, body, says):
    fake_server.reply = lambda m, p, b: (200, body)
    with pytest.raises(ServingError, match="generation server at http://127.0.0.1") as e:
        complete(fake_server.config(), [5], max_tokens=1, logprobs=1)
    assert e.value.reason == "malformed" and says in str(e.value)


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"choices": [{"prompt_logprobs": [null, {"9": {"logprob": -1}}]}]}'],
    ids=["nothing", "another-token"],
)
def test_prompt_logprobs_missing_raise_clear_error(fake_server, body):
    fake_server.reply = lambda m, p, b: (200, body)
    with pytest.raises(ServingError, match="prompt_logprobs") as e:
        prompt_logprobs(fake_server.config(), [5, 6])
    assert e.value.reason == "malformed"


def test_health_without_model_list_is_malformed(fake_server):
    fake_server.reply = lambda m, p, b: json_reply({"models": ["tiny-gpt"]})
    with pytest.raises(ServingError, match="model list"):
        health(fake_server.config())


def test_http_error_carries_the_servers_message(fake_server):
    fake_server.reply = lambda m, p, b: json_reply(
        {"error": {"message": "The model `x` does not exist."}}, status=404
    )
    with pytest.raises(ServingError, match="HTTP 404: The model `x` does not exist") as e:
        complete(fake_server.config(), [5], max_tokens=1)
    assert e.value.reason == "http" and "GENAI_LLM_MODEL" in str(e.value)


def test_down_server_fails_fast_with_what_to_do(closed_port):
    server = ServerConfig(f"http://127.0.0.1:{closed_port}/v1", "tiny-gpt", timeout_s=5)
    t0 = time.perf_counter()
    with pytest.raises(ServingError, match="cannot be reached.*unset GENAI_LLM_URL") as e:
        health(server)
    assert e.value.reason == "unreachable" and time.perf_counter() - t0 < 2


def test_hung_server_times_out_within_the_timeout(silent_port):
    server = ServerConfig(f"http://127.0.0.1:{silent_port}/v1", "tiny-gpt", timeout_s=0.5)
    t0 = time.perf_counter()
    with pytest.raises(ServingError, match=r"did not answer in 0\.5 s") as e:
        complete(server, [5], max_tokens=1)
    elapsed = time.perf_counter() - t0
    assert e.value.reason == "timeout" and 0.4 < elapsed < 2


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 1, "logprobs": MAX_LOGPROBS + 1}, "logprobs"),
        ({"max_tokens": 1, "n": 0}, "n must"),
    ],
)
def test_bad_requests_are_refused_before_sending(fake_server, kwargs, says):
    with pytest.raises(ValueError, match=says):
        complete(fake_server.config(), [5], **kwargs)
    assert fake_server.requests == []


def test_config_from_settings():
    assert server_from_settings(settings_from_env({})) is None
    env = {
        "GENAI_LLM_URL": "http://127.0.0.1:8100/v1/",
        "GENAI_LLM_MODEL": "tiny-gpt",
        "GENAI_LLM_KEY": "secret",
        "GENAI_LLM_TIMEOUT": "2.5",
    }
    s = server_from_settings(settings_from_env(env))
    assert s == ServerConfig("http://127.0.0.1:8100/v1", "tiny-gpt", "secret", 2.5)
    assert settings_from_env({"GENAI_LLM_URL": "http://h/v1"}).llm_model == "tiny-gpt"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"GENAI_LLM_URL": "127.0.0.1:8100"}, "GENAI_LLM_URL must start"),
        ({"GENAI_LLM_TIMEOUT": "0"}, "GENAI_LLM_TIMEOUT"),
    ],
)
def test_bad_settings_raise_plain_errors(env, says):
    with pytest.raises(ValueError, match=says):
        settings_from_env(env)


def test_config_validates_its_timeout():
    with pytest.raises(ValueError, match="timeout_s"):
        ServerConfig("http://h/v1", "m", timeout_s=0)
