"""The one switch between generating in this process and on a generation server.

Callers of :mod:`core.generation` that may be served (the Sampling page's next-token chart and
"Generate N", prompt-shot scoring) go through the functions here with a :class:`Backend`;
nothing else in the app talks HTTP. ``in-process`` (the default) is exactly
:mod:`core.generation`. ``served`` sends the same token ids to the server of
:class:`~core.serving.client.ServerConfig` when it serves the model asked for (a causal LM of
that name), and falls back to the in-process model when the server is down, slow or answers
badly: the answer then says so in its ``note``, never with an exception.

What the server cannot give is not made up: it reports the model's own (raw) probabilities of
its top tokens only, so a served next-token view has an explicit "rest" (1 - the listed
probabilities), and a served sampled step's filtered probability is unknown (NaN, with
``n_kept`` 0) where the in-process loop knows it. Seeds: a served text with seed s is the
server's own draw for s (reproducible on that server), not the in-process stream's.

The server is asked for the model whose name it serves (``GENAI_LLM_MODEL``) and must load the
same weights and tokenizer as the app (token ids go over the wire, not text).

>>> Backend().kind, Backend().serves("tiny-gpt")
('in-process', False)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from core import generation as gen
from core.knobs import check, knob
from core.sampling import SamplingConfig
from core.serving import client
from core.serving.client import ServerConfig, ServingError
from core.settings import Settings

IN_PROCESS, SERVED = "in-process", "served"
BACKENDS = (IN_PROCESS, SERVED)
FALLBACK = "the page uses the in-process model instead"
# After a failure the server is not asked again for this long: a hung server would otherwise
# cost every rerun of every page its full timeout.
RETRY_AFTER_S = 30.0

T = TypeVar("T")


@dataclass(frozen=True)
class Backend:
    """Where generation runs.

    Args:
        kind: "in-process" (this process's model) or "served" (the server below).
        server: the generation server; needed for "served".
    """

    kind: str = knob(
        IN_PROCESS,
        choices=BACKENDS,
        help="in-process: this app's own copy of the model; served: a generation server (vLLM).",
    )
    server: ServerConfig | None = None

    def __post_init__(self) -> None:
        check(self)
        if self.kind == SERVED and self.server is None:
            raise ValueError("the served backend needs a server (set GENAI_LLM_URL)")

    def serves(self, model_name: str) -> bool:
        """Whether a request for ``model_name`` goes to the server."""
        return self.kind == SERVED and self.server is not None and self.server.model == model_name


def backend_from_settings(settings: Settings | None = None) -> Backend:
    """ "served" when ``GENAI_LLM_URL`` is set (see :mod:`core.settings`), else "in-process"."""
    server = client.server_from_settings(settings)
    return Backend(SERVED, server) if server is not None else Backend()


@dataclass(frozen=True)
class Answer(Generic[T]):
    """A result and who produced it.

    Attributes:
        value: the result.
        backend: "served" or "in-process".
        note: why the in-process model answered although the server was asked (the server's
            error and the fallback); None when the backend asked for answered.
    """

    value: T
    backend: str
    note: str | None = None


@dataclass(frozen=True)
class NextTokenTop:
    """The most likely next tokens and the share of the distribution they leave out.

    Attributes:
        token_ids: the top tokens, most likely first.
        probs: their probabilities under the model's own distribution (temperature 1).
        rest: 1 - sum(probs): every other token together.
        seconds: the forward pass or the server's answer.
    """

    token_ids: tuple[int, ...]
    probs: tuple[float, ...]
    rest: float
    seconds: float


_failures: dict[str, tuple[float, str]] = {}  # server URL -> (when it failed, its message)
_failures_lock = threading.Lock()


def _ask(server: ServerConfig, call: Callable[[], T]) -> T:
    """``call()`` unless ``server`` failed less than :data:`RETRY_AFTER_S` ago (then its error
    again, at once); a failure is remembered, a success forgets it."""
    with _failures_lock:
        failed = _failures.get(server.url)
    if failed is not None:
        ago = time.monotonic() - failed[0]
        if ago < RETRY_AFTER_S:
            raise ServingError(
                f"{failed[1]} (asked again in {RETRY_AFTER_S - ago:.0f} s)", reason="recent"
            )
    try:
        out = call()
    except ServingError as e:
        with _failures_lock:
            _failures[server.url] = (time.monotonic(), str(e))
        raise
    with _failures_lock:
        _failures.pop(server.url, None)
    return out


def forget_failures() -> None:
    """Ask every server again at the next request (tests; an operator after a restart)."""
    with _failures_lock:
        _failures.clear()


def _fallback_note(e: ServingError) -> str:
    return f"{e}; {FALLBACK}."


def _is_causal(model: Any) -> bool:
    return not gen.is_encoder_decoder(model)


def next_token_top(
    model: Any,
    ids: Sequence[int],
    *,
    k: int,
    model_name: str,
    backend: Backend,
) -> Answer[NextTokenTop]:
    """The ``k`` most likely tokens after ``ids`` (a causal LM's context), from the server when
    ``backend`` serves ``model_name`` (at most :data:`~core.serving.client.MAX_LOGPROBS`), else
    from one in-process forward pass. A text that fills the model's whole context is read
    in-process: the server refuses a request without room for one generated token.

    >>> from core.models import load_causal_lm
    >>> lm = load_causal_lm("tiny-gpt")
    >>> a = next_token_top(lm.model, [5, 6], k=3, model_name="tiny-gpt", backend=Backend())
    >>> a.backend, len(a.value.token_ids), abs(sum(a.value.probs) + a.value.rest - 1) < 1e-6
    ('in-process', 3, True)
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    note = None
    # the server needs room for one generated token: a text filling the context stays here
    fits = len(ids) < gen.context_size(model)
    if backend.serves(model_name) and _is_causal(model) and fits:
        assert backend.server is not None
        try:
            server = backend.server
            (c,) = _ask(
                server,
                lambda: client.complete(
                    server,
                    ids,
                    max_tokens=1,
                    temperature=0.0,
                    logprobs=min(k, client.MAX_LOGPROBS),
                    ignore_eos=True,
                ),
            )
            if not c.steps:
                raise client.malformed(backend.server, "the logprobs of the next token")
            step = c.steps[0]
            top = NextTokenTop(
                tuple(t for t, _ in step.top),
                tuple(math.exp(lp) for _, lp in step.top),
                step.rest,
                c.seconds,
            )
            return Answer(top, SERVED)
        except ServingError as e:
            note = _fallback_note(e)
    t0 = time.perf_counter()
    logits = gen.next_token_logits(model, ids)  # (V,)
    z = logits.astype(np.float64) - float(logits.max())
    probs = np.exp(z) / np.exp(z).sum()  # (V,)
    order = np.argsort(-probs, kind="stable")[:k]
    listed = tuple(float(probs[i]) for i in order)
    top = NextTokenTop(
        tuple(int(i) for i in order),
        listed,
        max(0.0, 1.0 - sum(listed)),
        time.perf_counter() - t0,
    )
    return Answer(top, IN_PROCESS, note)


def _served_result(
    c: client.Completion,
    config: SamplingConfig,
    prompt_ids: Sequence[int],
    stops: set[int],
    eos_token_id: int | None,
    n_alternatives: int,
) -> gen.GenerationResult:
    """A served completion in :class:`core.generation.GenerationResult` form."""
    steps = []
    for s in c.steps:
        alts = s.top[:n_alternatives]
        if config.greedy:  # all the mass on the argmax, as the in-process loop records it
            final = [1.0 if t == s.token_id else 0.0 for t, _ in alts]
            prob, n_kept, entropy = 1.0, 1, 0.0
        else:  # the server reports raw probabilities only: the filtered ones are unknown
            final = [math.nan] * len(alts)
            prob, n_kept, entropy = math.nan, 0, math.nan
        steps.append(
            gen.StepRecord(
                token_id=s.token_id,
                prob=prob,
                raw_prob=s.prob,
                alternatives=tuple(
                    (t, f, math.exp(lp)) for (t, lp), f in zip(alts, final, strict=True)
                ),
                n_kept=n_kept,
                entropy_bits=entropy,
            )
        )
    last = steps[-1].token_id if steps else None
    stop_id = last if last is not None and last in stops else None
    return gen.GenerationResult(
        config=config,
        prompt_ids=tuple(prompt_ids),
        steps=tuple(steps),
        stopped_on_eos=eos_token_id is not None and stop_id == eos_token_id,
        seconds=c.seconds,
        stop_id=stop_id,
        backend=SERVED,
    )


def generate(
    model: Any,
    prompt_ids: Sequence[int],
    config: SamplingConfig,
    *,
    max_new_tokens: int,
    model_name: str,
    backend: Backend,
    eos_token_id: int | None = None,
    stop_token_ids: Sequence[int] = (),
    n_alternatives: int = 5,
    on_step: Callable[[int, gen.StepRecord], None] | None = None,
    first_draw: int = 0,
    decoder_prefix: Sequence[int] = (),
) -> Answer[gen.GenerationResult]:
    """:func:`core.generation.generate` on the backend: served when ``backend`` serves
    ``model_name`` (a causal LM), else - or when the server fails - in-process.

    Served, the steps come back at once (``on_step`` is called for each after the answer), the
    request's seed is ``config.seed + first_draw`` (a text continued after i tokens gets fresh
    draws; the server's generator is not the in-process stream, so one token at a time and N
    at once agree on the first token only) and the text stops on
    ``eos_token_id``/``stop_token_ids`` only (the server's own end-of-text is ignored, as the
    in-process loop ignores it when no ``eos_token_id`` is given).

    >>> from core.models import load_causal_lm
    >>> lm = load_causal_lm("tiny-gpt")
    >>> greedy = SamplingConfig(temperature=0)
    >>> a = generate(lm.model, [5, 6], greedy, max_new_tokens=3, model_name="tiny-gpt",
    ...              backend=Backend())
    >>> a.backend, a.value.backend, len(a.value.steps)
    ('in-process', 'in-process', 3)
    """
    note = None
    stops = {int(t) for t in stop_token_ids}
    if eos_token_id is not None:
        stops.add(int(eos_token_id))
    room = gen.context_size(model) - len(prompt_ids)
    n = min(max_new_tokens, room)
    if backend.serves(model_name) and _is_causal(model) and not decoder_prefix and n >= 1:
        assert backend.server is not None
        try:
            server = backend.server
            (c,) = _ask(
                server,
                lambda: client.complete(
                    server,
                    prompt_ids,
                    max_tokens=n,
                    temperature=config.temperature,
                    top_p=config.top_p,
                    top_k=config.top_k,
                    min_p=config.min_p,
                    repetition_penalty=config.repetition_penalty,
                    seed=config.seed + first_draw,
                    logprobs=max(1, min(n_alternatives, client.MAX_LOGPROBS)),
                    stop_token_ids=sorted(stops),
                    ignore_eos=True,
                ),
            )
            if len(c.steps) != len(c.token_ids):
                raise client.malformed(backend.server, "one logprob per generated token")
            result = _served_result(c, config, prompt_ids, stops, eos_token_id, n_alternatives)
            if on_step is not None:
                for i, rec in enumerate(result.steps):
                    on_step(i, rec)
            return Answer(result, SERVED)
        except ServingError as e:
            note = _fallback_note(e)
    result = gen.generate(
        model,
        prompt_ids,
        config,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos_token_id,
        stop_token_ids=stop_token_ids,
        n_alternatives=n_alternatives,
        on_step=on_step,
        first_draw=first_draw,
        decoder_prefix=decoder_prefix,
    )
    return Answer(result, IN_PROCESS, note)


Groups = Sequence[tuple[list[list[int]], list[list[list[int]]]]]


def _served_scores(
    server: ServerConfig, groups: Groups, workers: int, context: int
) -> list[list[list[float | None]]]:
    """``scores[g][i][j]`` from the server's ``prompt_logprobs`` of prompt + continuation, the
    rows sent concurrently (the server batches them); None for a row that fills the whole
    ``context`` (the server needs room for one generated token)."""
    from concurrent.futures import ThreadPoolExecutor

    rows = [
        (g, i, j, list(x), list(c))
        for g, (prompts, conts) in enumerate(groups)
        for i, x in enumerate(prompts)
        for j, c in enumerate(conts[i])
        if len(x) + len(c) < context
    ]
    scores: list[list[list[float | None]]] = [
        [[None] * len(c) for c in conts] for _, conts in groups
    ]

    def one(row: tuple[int, int, int, list[int], list[int]]) -> float:
        _, _, _, x, c = row
        return client.prompt_logprobs(server, x + c).continuation_logprob(len(x))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for (g, i, j, _, _), value in zip(rows, pool.map(one, rows), strict=True):
            scores[g][i][j] = value
    return scores


def _fill_in_process(
    groups: Groups,
    scores: list[list[list[float | None]]],
    in_process: Callable[[Groups], list[list[list[float]]]],
) -> tuple[list[list[list[float]]], bool]:
    """``scores`` with its None rows scored by ``in_process``; whether any were."""
    sub, where = [], []
    for g, (prompts, conts) in enumerate(groups):
        for i, x in enumerate(prompts):
            js = [j for j, v in enumerate(scores[g][i]) if v is None]
            if js:
                sub.append(([x], [[conts[i][j] for j in js]]))
                where.append((g, i, js))
    if sub:
        got = in_process(sub)
        for (g, i, js), vals in zip(where, got, strict=True):
            for j, v in zip(js, vals[0], strict=True):
                scores[g][i][j] = v
    done = [[[_number(v) for v in row] for row in grp] for grp in scores]
    return done, bool(sub)


def _number(v: float | None) -> float:
    if v is None:
        raise AssertionError("a continuation was left unscored")
    return float(v)


def score_continuations(
    model: Any,
    groups: Groups,
    *,
    model_name: str,
    backend: Backend,
    in_process: Callable[[Groups], list[list[list[float]]]],
    workers: int = 8,
) -> Answer[list[list[list[float]]]]:
    """Summed log-probabilities of continuations after prompts (prompt-shot scoring), from the
    server's ``prompt_logprobs`` when ``backend`` serves ``model_name``, else - or when the
    server fails - from ``in_process(groups)`` (the caller's own scorer, e.g.
    :mod:`core.prompting.scoring`'s batched forward; this module never imports its callers).

    Args:
        model: the in-process model (only its kind is read here: a seq2seq one is not served).
        groups: per group, the prompts' token ids and, per prompt, each continuation's ids.
        in_process: scores ``groups`` in this process.
        workers: requests in flight at once on the server.

    Returns:
        ``scores[g][i][j]`` = sum of log p(continuation j | prompt i of group g); the answer's
        ``backend`` is "mixed" when rows filling the whole context were scored in-process (the
        server needs room for one generated token).
    """
    note = None
    if backend.serves(model_name) and _is_causal(model):
        assert backend.server is not None
        ctx = gen.context_size(model)
        try:
            server = backend.server
            partial = _ask(server, lambda: _served_scores(server, groups, workers, ctx))
        except ServingError as e:
            note = _fallback_note(e)
        else:
            scores, some_here = _fill_in_process(groups, partial, in_process)
            return Answer(scores, "mixed" if some_here else SERVED)
    return Answer(in_process(groups), IN_PROCESS, note)


def compare(
    model: Any,
    prompt_ids: Sequence[int],
    configs: Sequence[tuple[str, SamplingConfig]],
    *,
    max_new_tokens: int,
    model_name: str,
    backend: Backend,
    eos_token_id: int | None = None,
) -> Answer[list[gen.CompareRun]]:
    """:func:`core.generation.compare` on the backend: one column per setting, the served ones
    sent at once (the server batches them).

    Returns:
        The runs; ``backend`` is "served" or "in-process" when every run agrees, "mixed" when
        the server failed part-way (``note`` says why).
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(cfg: SamplingConfig) -> Answer[gen.GenerationResult]:
        return generate(
            model,
            prompt_ids,
            cfg,
            max_new_tokens=max_new_tokens,
            model_name=model_name,
            backend=backend,
            eos_token_id=eos_token_id,
            n_alternatives=3,
        )

    cfgs = [c for _, c in configs]
    if backend.serves(model_name) and len(cfgs) > 1:
        with ThreadPoolExecutor(max_workers=len(cfgs)) as pool:
            answers = list(pool.map(one, cfgs))
    else:
        answers = [one(c) for c in cfgs]
    runs = []
    for (label, _), a in zip(configs, answers, strict=True):
        ids = a.value.token_ids
        runs.append(gen.CompareRun(label, a.value, len(set(ids)) / len(ids) if ids else 0.0))
    kinds = {a.backend for a in answers}
    kind = kinds.pop() if len(kinds) == 1 else "mixed"
    note = next((a.note for a in answers if a.note), None)
    return Answer(runs, kind, note)
