"""One table for all three: quantized, distilled and pruned candidates of one model, each measured
on the spot by the same evaluation (:func:`core.optimize.measure.measure_causal`), with the
Pareto frontier of size (or latency) against quality.

Every candidate is a private copy: the original is a cached, shared model and is only read. The
float candidates are measured as GPT-2 ``Conv1D`` layers turned into ``Linear`` ones
(``core.quantization.measure.prepare_base``), exactly as the quantization table measures its fp32
reference, so a quantized copy differs from its float one only by the scheme. All forward passes
are timed in turns (``time_interleaved``) so that load on the machine hits every candidate alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from core.distill import DistillConfig
from core.knobs import check, knob
from core.optimize.measure import Measurement, measure_causal
from core.optimize.pareto import pareto_front
from core.prune import PruneConfig, RecoverConfig

# name -> (how it is made, the model it starts from, the scheme applied and saved with)
CANDIDATES: dict[str, tuple[str, str, str]] = {
    "fp32": ("the original, 32-bit floats", "original", "fp32"),
    "int8": ("the original, int8 weight-only (quanto)", "original", "int8"),
    "int4": ("the original, int4 weight-only (quanto)", "original", "int4"),
    "distilled": ("a smaller student distilled from the original", "student", "fp32"),
    "distilled+int8": ("the distilled student, then int8 (quanto)", "student", "int8"),
    "pruned": ("the original, pruned", "pruned", "fp32"),
    "pruned+ft": ("pruned, then a short recovery fine-tune", "pruned+ft", "fp32"),
    "pruned+int8": ("pruned, then int8 (quanto)", "pruned", "int8"),
}
RECOVER_DOCS = 500  # training documents of the recovery fine-tune (never the held-out ones)
CANDIDATE_NAMES: tuple[str, ...] = tuple(CANDIDATES)
DEFAULT_CANDIDATES = ("fp32", "int8", "int4", "distilled", "distilled+int8", "pruned", "pruned+ft")
# the page's Pareto axes: size or time against a quality that is better when lower
COSTS = {"disk_bytes": "bytes on disk", "peak_bytes": "peak memory", "latency_ms": "latency"}
QUALITIES = {"kl": "KL to the original", "perplexity": "perplexity", "top1": "top-1 agreement"}
LOWER_IS_BETTER = {"kl": True, "perplexity": True, "top1": False}


@dataclass(frozen=True)
class CompareConfig:
    """What to build and how much to measure.

    Args:
        candidates: names from :data:`CANDIDATES`; fp32 (the reference) is always measured.
        prune: the pruned candidates' method and sparsity.
        recover: the recovery fine-tune of ``pruned+ft``.
        distill: the recipe used when no distilled student is given.
        n_eval: held-out documents cut into windows (a quarter of it: the quantization table's).
        seq_len: tokens per window.
        latency_runs: timed forward passes of each candidate, in turns.
        n_task_items / shots: held-out sentiment items and worked examples before each.
    """

    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    prune: PruneConfig = field(default_factory=lambda: PruneConfig(method="heads", sparsity=0.25))
    recover: RecoverConfig = field(default_factory=RecoverConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    n_eval: int = knob(40, lo=4, hi=300, step=4, help="Held-out documents scored.")
    seq_len: int = knob(64, lo=8, hi=1024)
    latency_runs: int = knob(7, lo=1, hi=50, help="Timed forward passes of each candidate.")
    n_task_items: int = knob(20, lo=0, hi=60, help="Held-out sentiment items.")
    shots: int = knob(4, lo=0, hi=8)

    def __post_init__(self) -> None:
        check(self)
        bad = [c for c in self.candidates if c not in CANDIDATES]
        if bad:
            raise ValueError(
                f"unknown candidate(s) {', '.join(bad)}; choose from {CANDIDATE_NAMES}"
            )
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("each candidate may appear once")

    @property
    def ordered(self) -> tuple[str, ...]:
        """fp32 first, then the chosen candidates in :data:`CANDIDATES` order."""
        return tuple(c for c in CANDIDATE_NAMES if c == "fp32" or c in self.candidates)


@dataclass(frozen=True)
class Candidate:
    """One row of the table.

    Args:
        name / description / scheme: from :data:`CANDIDATES`.
        measurement: everything measured (None when it could not be built: see ``reason``).
        latency_ratio / latency_verdict: its forward time against fp32's, timed in turns.
        seconds: time to build and measure it (training not included).
    """

    name: str
    description: str
    scheme: str
    measurement: Measurement | None
    reason: str | None = None
    latency_ratio: float = 1.0
    latency_verdict: str = "noise"
    seconds: float = 0.0


@dataclass(frozen=True)
class CompareResult:
    """The table, and what it was measured on.

    Args:
        config: the settings.
        rows: fp32 first, then the candidates in order.
        student: where the distilled student came from (``given``: a finished run; ``trained``:
            trained here with ``config.distill``; None: no distilled candidate asked).
        student_shape: its layers, heads and width.
        n_windows / n_tokens / n_task_items: how much every row was scored on.
        seconds: the whole call.
    """

    config: CompareConfig
    rows: tuple[Candidate, ...]
    student: str | None
    student_shape: tuple[int, int, int] | None
    n_windows: int
    n_tokens: int
    n_task_items: int
    seconds: float

    def row(self, name: str) -> Candidate | None:
        return next((r for r in self.rows if r.name == name), None)

    def measured(self) -> list[Candidate]:
        return [r for r in self.rows if r.measurement is not None]

    def frontier(self, cost: str = "disk_bytes", quality: str = "kl") -> tuple[str, ...]:
        """Names of the rows no other row beats on both ``cost`` and ``quality``, cheapest
        first."""
        if cost not in COSTS or quality not in QUALITIES:
            raise ValueError(f"cost must be one of {tuple(COSTS)}, quality of {tuple(QUALITIES)}")
        rows = self.measured()
        sign = 1.0 if LOWER_IS_BETTER[quality] else -1.0
        pts = [
            (float(getattr(r.measurement, cost)), sign * float(getattr(r.measurement, quality)))
            for r in rows
        ]
        return tuple(rows[i].name for i in pareto_front(pts))


def _student(
    loaded: Any,
    config: CompareConfig,
    student: Any,
    report: Callable[[str], None],
    should_stop: Callable[[], bool] | None,
) -> tuple[Any, str]:
    if student is not None:
        return student, "given"
    from core.distill import distill

    steps = config.distill.steps

    def heard(s: Any) -> None:
        if s.run == "distilled":
            report(f"distilling a student: step {s.step + 1} of {steps}")

    r = distill(loaded, config.distill, on_step=heard, should_stop=should_stop)
    return r.student_model, "trained"


def compare(
    loaded: Any,
    config: CompareConfig | None = None,
    *,
    student: Any = None,
    on_step: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CompareResult:
    """Build every candidate of ``config`` from ``loaded.model`` and measure each the same way.

    Args:
        loaded: a :class:`core.models.LoadedModel` causal LM (never mutated).
        config: candidates and sizes; None: the defaults.
        student: a distilled student of this model (a finished distillation run's
            ``student_model``); None: one is trained with ``config.distill`` when asked for.
        on_step: hears ``(done, total, what)`` as the work goes on, and at the end.
        should_stop: asked between candidates (and during a student's training); True ends
            the table with the rows measured so far.

    Raises:
        ValueError: a student whose vocabulary is not the model's.
    """
    import copy

    import torch

    from core.corpus import CorpusConfig, generate_corpus
    from core.evaluation import compare_latency, time_interleaved, token_windows
    from core.models import context_size
    from core.prune import make_permanent, prune_model, recover, sentiment_cases
    from core.quantization.measure import causal_eval_data, prepare_base
    from core.quantization.schemes import apply_scheme

    t_all = time.perf_counter()
    cfg = config or CompareConfig()
    model, tok = loaded.model, loaded.tokenizer
    names = cfg.ordered
    total, done = len(names) + 1, 0

    def report(what: str) -> None:
        if on_step is not None:
            on_step(done, total, what)

    stop = should_stop or (lambda: False)
    if student is not None and student.config.vocab_size != model.config.vocab_size:
        raise ValueError("the distilled student was trained on another model's vocabulary")
    ctx = context_size(model)
    data = causal_eval_data(cfg.n_eval)
    windows = token_windows(tok, data.texts, min(cfg.seq_len, ctx), max_windows=cfg.n_eval // 4)
    cases = sentiment_cases(cfg.n_task_items, cfg.shots)

    cache: dict[str, Any] = {}
    student_from: str | None = None

    def folded(pruned: Any) -> Any:
        return pruned.model if cfg.prune.structured else make_permanent(pruned.model)

    def source(what: str) -> Any:
        """The float model a candidate starts from, built once (``Conv1D`` as ``Linear``)."""
        nonlocal student_from
        if what in cache:
            return cache[what]
        if what == "original":
            cache[what] = prepare_base(model)
        elif what == "student":
            s, student_from = _student(loaded, cfg, student, report, should_stop)
            cache["student_config"] = s.config
            cache[what] = prepare_base(s)
        elif what == "pruned":
            cache["pruned_model"] = prune_model(model, cfg.prune)
            cache[what] = prepare_base(folded(cache["pruned_model"]))
        else:  # pruned+ft
            source("pruned")
            texts = generate_corpus(CorpusConfig(n_docs=RECOVER_DOCS))
            r = recover(cache["pruned_model"], tok, texts, cfg.recover)
            cache[what] = prepare_base(
                folded(dataclasses.replace(cache["pruned_model"], model=r.model))
            )
        return cache[what]

    def build(name: str) -> Any:
        _, start, scheme = CANDIDATES[name]
        base = source(start)
        return base if scheme == "fp32" else apply_scheme(copy.deepcopy(base), scheme).eval()

    built: dict[str, Any] = {}
    failed: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name in names:
        if name != "fp32" and stop():
            break
        report(f"building {name}")
        t0 = time.perf_counter()
        try:
            built[name] = build(name)
        except (RuntimeError, ValueError) as e:
            if name == "fp32":
                raise
            failed[name] = f"{type(e).__name__}: {str(e)[:300]}"
        seconds[name] = time.perf_counter() - t0
        done += 1
    x = windows[:1, :-1]  # (1, T)
    fns = {n: partial(m, input_ids=x) for n, m in built.items()}
    with torch.no_grad():
        for fn in fns.values():
            fn()  # warm-up
        times = time_interleaved(fns, cfg.latency_runs)
    rows: list[Candidate] = []
    ref_logits = None
    for name in names:
        desc, _, scheme = CANDIDATES[name]
        if name in failed:
            rows.append(Candidate(name, desc, scheme, None, failed[name]))
            continue
        if name not in built:
            continue  # stopped before it was built
        report(f"measuring {name}")
        t0 = time.perf_counter()
        m, logits = measure_causal(
            built[name],
            windows,
            ref_logits,
            tokenizer=tok,
            cases=cases,
            max_tokens=ctx,
            latency_runs=cfg.latency_runs,
            scheme=scheme,
            timings=times[name],
        )
        if name == "fp32":
            ref_logits = logits
        c = compare_latency(times[name].samples_ms, times["fp32"].samples_ms)
        rows.append(
            Candidate(
                name,
                desc,
                scheme,
                m,
                latency_ratio=1.0 if name == "fp32" else c.ratio,
                latency_verdict="noise" if name == "fp32" else c.verdict,
                seconds=seconds[name] + time.perf_counter() - t0,
            )
        )
    done = total
    report("done")
    shape = None
    if "student_config" in cache:
        sc = cache["student_config"]
        shape = (sc.n_layer, sc.n_head, sc.n_embd)
    return CompareResult(
        cfg,
        tuple(rows),
        student_from,
        shape,
        int(windows.shape[0]),
        int(windows[:, 1:].numel()),
        len(cases),
        time.perf_counter() - t_all,
    )
