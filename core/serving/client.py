"""A client of an OpenAI-compatible completions server (vLLM first), standard library only.

It sends token ids (the app's own tokenizer made them, so in-process and served read the same
tokens), asks for the top log-probabilities of every generated token, and reads vLLM's
``prompt_logprobs`` to score a continuation. Every failure - connection refused, no answer in
time, an HTTP error, a body that is not JSON, a server missing the fields - raises one
exception, :class:`ServingError`, whose message says what happened and what to do.

>>> ServerConfig("http://127.0.0.1:8100/v1", "tiny-gpt").completions_url
'http://127.0.0.1:8100/v1/completions'
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.knobs import check, knob
from core.settings import Settings, get_settings

BACKEND = "served"  # the name results carry when a server answered
TOKEN_PREFIX = "token_id:"  # vLLM's token names with return_tokens_as_token_ids
MAX_LOGPROBS = 20  # vLLM's default --max-logprobs: a request for more is refused


class ServingError(RuntimeError):
    """The generation server could not give an answer; the message says why and what to do.

    Attributes:
        reason: "unreachable", "timeout", "http", "malformed", or "recent" (the server failed
            moments ago and was not asked again, see :mod:`core.serving.backend`).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ServerConfig:
    """Where the generation server is and how long to wait for it.

    Args:
        url: the API's base URL, ending in ``/v1`` (vLLM's ``--host``/``--port``).
        model: the model name it serves (vLLM's ``--served-model-name``).
        api_key: sent as ``Authorization: Bearer``; empty: none.
        timeout_s: seconds for the connection and for each read of the answer.

    >>> ServerConfig("localhost:8000", "m")
    Traceback (most recent call last):
    ...
    ValueError: the server URL must start with http:// or https://, got 'localhost:8000'
    """

    url: str
    model: str
    api_key: str = ""
    timeout_s: float = knob(  # a page waits at most this long before its in-process fallback
        10.0, lo=0.05, hi=600, help="Seconds to wait for the server before giving up."
    )

    def __post_init__(self) -> None:
        check(self)
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"the server URL must start with http:// or https://, got {self.url!r}"
            )
        if not self.model.strip():
            raise ValueError("the served model's name is empty")
        object.__setattr__(self, "url", self.url.rstrip("/"))

    @property
    def completions_url(self) -> str:
        return f"{self.url}/completions"

    @property
    def models_url(self) -> str:
        return f"{self.url}/models"


def server_from_settings(settings: Settings | None = None) -> ServerConfig | None:
    """The server of ``GENAI_LLM_URL``/``_MODEL``/``_KEY``/``_TIMEOUT``; None when no URL is set.

    >>> server_from_settings(Settings(None, ".", ".", None, 8000, 1000)) is None
    True
    """
    s = get_settings() if settings is None else settings
    if not s.llm_url:
        return None
    return ServerConfig(s.llm_url, s.llm_model, s.llm_key, s.llm_timeout)


@dataclass(frozen=True)
class ServerHealth:
    """What ``GET /models`` said: the model names served and how long the answer took."""

    url: str
    models: tuple[str, ...]
    seconds: float

    def serves(self, model: str) -> bool:
        return model in self.models


@dataclass(frozen=True)
class ServedStep:
    """One generated token as the server reported it.

    Attributes:
        token_id: the token generated.
        logprob: its natural-log probability under the model's own distribution (vLLM's
            default ``--logprobs-mode raw_logprobs``: before temperature and filters).
        top: the server's most likely tokens at this step, (id, logprob), most likely first;
            empty when no ``logprobs`` were asked for.
    """

    token_id: int
    logprob: float
    top: tuple[tuple[int, float], ...] = ()

    @property
    def prob(self) -> float:
        return math.exp(self.logprob)

    @property
    def rest(self) -> float:
        """The probability of every token the server did not list (1 - the listed ones), never
        below 0: the part of the distribution a top-k answer leaves out.

        >>> round(ServedStep(1, math.log(0.5), ((1, math.log(0.5)), (2, math.log(0.3)))).rest, 6)
        0.2
        """
        return max(0.0, 1.0 - sum(math.exp(lp) for _, lp in self.top))


@dataclass(frozen=True)
class Completion:
    """One completion of a prompt (one of ``n``).

    Attributes:
        token_ids: the generated tokens (a stop token the server kept included).
        text: their text as the server decoded it.
        steps: one :class:`ServedStep` per generated token when logprobs were asked for, else ().
        finish_reason: "stop" (an end-of-text or stop token) or "length".
        backend: who answered (:data:`BACKEND`).
        seconds: the whole request's wall time (shared by the ``n`` completions of a request).
    """

    token_ids: tuple[int, ...]
    text: str
    steps: tuple[ServedStep, ...]
    finish_reason: str
    backend: str
    seconds: float


@dataclass(frozen=True)
class PromptLogprobs:
    """The log-probability of every token of a text given the tokens before it.

    Attributes:
        token_ids: the text's tokens, as sent.
        logprobs: per token, log p(token | tokens before it); the first is None (nothing
            precedes it).
    """

    token_ids: tuple[int, ...]
    logprobs: tuple[float | None, ...]
    backend: str
    seconds: float

    def continuation_logprob(self, n_prompt: int) -> float:
        """Sum of the log-probabilities of the tokens after the first ``n_prompt`` (a choice's
        score given its prompt).

        >>> PromptLogprobs((1, 2, 3), (None, -1.0, -0.5), "served", 0.0).continuation_logprob(1)
        -1.5
        """
        if not 1 <= n_prompt <= len(self.token_ids):
            raise ValueError(f"n_prompt must be in 1..{len(self.token_ids)}, got {n_prompt}")
        return float(sum(lp for lp in self.logprobs[n_prompt:] if lp is not None))


# --- HTTP -------------------------------------------------------------------------------------
def _what_to_do(server: ServerConfig) -> str:
    return (
        f"start it (scripts/setup_serving.sh, then vLLM's api_server serving {server.model!r}) "
        "or unset GENAI_LLM_URL"
    )


def _request(server: ServerConfig, url: str, body: dict[str, Any] | None = None) -> Any:
    """GET (no body) or POST JSON to ``url``; the decoded JSON answer, or ServingError."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if server.api_key:
        headers["Authorization"] = f"Bearer {server.api_key}"
    req = urllib.request.Request(url, data=data, headers=headers)
    t = server.timeout_s
    where = f"the generation server at {server.url}"
    try:
        # the timeout bounds the connection and every read of the socket
        with urllib.request.urlopen(req, timeout=t) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        detail = _error_detail(e)
        raise ServingError(
            f"{where} answered HTTP {e.code}{': ' + detail if detail else ''}; check that it "
            f"serves {server.model!r} (GENAI_LLM_MODEL) and accepts the request",
            reason="http",
        ) from e
    except TimeoutError as e:
        raise ServingError(
            f"{where} did not answer in {t:g} s; raise GENAI_LLM_TIMEOUT or check the server",
            reason="timeout",
        ) from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise ServingError(
                f"{where} did not answer in {t:g} s; raise GENAI_LLM_TIMEOUT or check the server",
                reason="timeout",
            ) from e
        raise ServingError(
            f"{where} cannot be reached ({e.reason}); {_what_to_do(server)}", reason="unreachable"
        ) from e
    except (ConnectionError, OSError) as e:  # reset or closed mid-answer
        raise ServingError(
            f"{where} dropped the connection ({e}); {_what_to_do(server)}", reason="unreachable"
        ) from e
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ServingError(
            f"{where} answered something that is not JSON ({raw[:80]!r}); is GENAI_LLM_URL the "
            "API's base URL (ending in /v1)?",
            reason="malformed",
        ) from e


def _error_detail(e: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(e.read() or b"{}")
    except (ValueError, OSError):
        return ""
    msg = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(msg, dict):
        msg = msg.get("message", "")
    return str(msg)[:300]


def malformed(server: ServerConfig, what: str) -> ServingError:
    """The error for an answer of ``server`` that lacks ``what`` (raise it)."""
    return ServingError(
        f"the generation server at {server.url} answered without {what}; it needs vLLM's "
        "OpenAI-compatible completions API (token ids in, logprobs out)",
        reason="malformed",
    )


def health(server: ServerConfig) -> ServerHealth:
    """Ask the server which models it serves (``GET /models``).

    Raises:
        ServingError: no answer, or an answer without a model list.
    """
    t0 = time.perf_counter()
    body = _request(server, server.models_url)
    try:
        names = tuple(str(m["id"]) for m in body["data"])
    except (KeyError, TypeError) as e:
        raise malformed(server, "a model list ('data': [{'id': ...}])") from e
    return ServerHealth(server.url, names, time.perf_counter() - t0)


def _token_id(server: ServerConfig, name: Any) -> int:
    if isinstance(name, str) and name.startswith(TOKEN_PREFIX):
        try:
            return int(name[len(TOKEN_PREFIX) :])
        except ValueError:
            pass
    raise malformed(server, f"token ids in its logprobs (got token {name!r})")


def _steps(server: ServerConfig, lp: Any, k: int) -> tuple[ServedStep, ...]:
    try:
        names, values, tops = lp["tokens"], lp["token_logprobs"], lp["top_logprobs"]
        steps = []
        for name, value, top in zip(names, values, tops, strict=True):
            alts = sorted(
                ((_token_id(server, n), float(v)) for n, v in (top or {}).items()),
                key=lambda a: -a[1],
            )
            steps.append(ServedStep(_token_id(server, name), float(value), tuple(alts[:k])))
    except (KeyError, TypeError, ValueError) as e:
        raise malformed(server, "per-token logprobs (tokens, token_logprobs, top_logprobs)") from e
    return tuple(steps)


def complete(
    server: ServerConfig,
    prompt_ids: Sequence[int],
    *,
    max_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    top_k: int = 0,
    min_p: float = 0.0,
    repetition_penalty: float = 1.0,
    seed: int | None = None,
    n: int = 1,
    logprobs: int = 0,
    stop_token_ids: Sequence[int] = (),
    ignore_eos: bool = False,
) -> tuple[Completion, ...]:
    """Continue ``prompt_ids`` on the server (``POST /completions`` with token ids as prompt).

    Args:
        server: where to send it.
        prompt_ids: the prompt's token ids (the server's model must share the tokenizer).
        max_tokens: tokens per completion at most (at least 1).
        temperature, top_p, top_k, min_p, repetition_penalty: transformers' meanings (vLLM's
            extra parameters); temperature 0 is greedy, top_k 0 is off.
        seed: the request's seed (vLLM seeds each request's own generator); None: random.
        n: completions of the same prompt.
        logprobs: top alternatives per generated token (0: none; at most :data:`MAX_LOGPROBS`).
        stop_token_ids: more tokens that end a completion (the model's end-of-text always does
            unless ``ignore_eos``).
        ignore_eos: run to ``max_tokens`` whatever is generated.

    Returns:
        ``n`` :class:`Completion`, in the server's order.

    Raises:
        ServingError: the server is down, slow, refuses or answers without the fields.
    """
    if not prompt_ids:
        raise ValueError("the prompt needs at least one token")
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if not 0 <= logprobs <= MAX_LOGPROBS:
        raise ValueError(f"logprobs must be between 0 and {MAX_LOGPROBS}, got {logprobs}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    body: dict[str, Any] = {
        "model": server.model,
        "prompt": [int(t) for t in prompt_ids],
        "max_tokens": int(max_tokens),
        "temperature": float(temperature),
        "top_p": float(top_p),
        "top_k": int(top_k) if top_k > 0 else -1,
        "min_p": float(min_p),
        "repetition_penalty": float(repetition_penalty),
        "n": int(n),
        "return_tokens_as_token_ids": True,
        "return_token_ids": True,
        "skip_special_tokens": True,
        "ignore_eos": bool(ignore_eos),
    }
    if seed is not None:
        body["seed"] = int(seed)
    if logprobs:
        body["logprobs"] = int(logprobs)
    if stop_token_ids:
        body["stop_token_ids"] = [int(t) for t in stop_token_ids]
    t0 = time.perf_counter()
    answer = _request(server, server.completions_url, body)
    seconds = time.perf_counter() - t0
    try:
        choices = sorted(answer["choices"], key=lambda c: int(c.get("index", 0)))
    except (KeyError, TypeError, AttributeError) as e:
        raise malformed(server, "'choices'") from e
    if len(choices) != n:
        raise malformed(server, f"{n} choices (got {len(choices)})")
    out = []
    for c in choices:
        if not isinstance(c, dict) or "text" not in c:
            raise malformed(server, "a 'text' per choice")
        steps = _steps(server, c.get("logprobs"), logprobs) if logprobs else ()
        ids = c.get("token_ids")
        if ids is None:  # a server without vLLM's return_token_ids: read them off the logprobs
            if not logprobs:
                raise malformed(server, "the generated token ids ('token_ids')")
            ids = [s.token_id for s in steps]
        try:
            token_ids = tuple(int(t) for t in ids)
        except (TypeError, ValueError) as e:
            raise malformed(server, "integer token ids") from e
        if steps and len(steps) != len(token_ids):
            raise malformed(server, "one logprob per generated token")
        reason = str(c.get("finish_reason") or "length")
        out.append(Completion(token_ids, str(c["text"]), steps, reason, BACKEND, seconds))
    return tuple(out)


def prompt_logprobs(server: ServerConfig, token_ids: Sequence[int]) -> PromptLogprobs:
    """Score a text: log p(token | tokens before it) for every token after the first (vLLM's
    ``prompt_logprobs``; one token is generated and discarded, as the API needs one).

    Raises:
        ServingError: as :func:`complete`; also when the server offers no prompt_logprobs.
    """
    if len(token_ids) < 2:
        raise ValueError("a text to score needs at least two tokens")
    ids = [int(t) for t in token_ids]
    body = {
        "model": server.model,
        "prompt": ids,
        "max_tokens": 1,
        "temperature": 0.0,
        "prompt_logprobs": 0,  # 0: only the text's own tokens
    }
    t0 = time.perf_counter()
    answer = _request(server, server.completions_url, body)
    seconds = time.perf_counter() - t0
    try:
        rows = answer["choices"][0]["prompt_logprobs"]
        if not isinstance(rows, list) or len(rows) != len(ids):
            raise TypeError(rows)
        values: list[float | None] = [None]
        for tok, row in zip(ids[1:], rows[1:], strict=True):
            values.append(float(row[str(tok)]["logprob"]))
    except (KeyError, TypeError, IndexError, ValueError) as e:
        raise malformed(server, "a prompt_logprobs row per token of the text") from e
    return PromptLogprobs(tuple(ids), tuple(values), BACKEND, seconds)
