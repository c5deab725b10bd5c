"""Server time of each page and of each slider/select change, next to the engine call it wraps.

    python bench/bench_pages.py [--pages sampling,attention] [--repeats 5] [--timeout 300]

Drives the pages with ``streamlit.testing.v1.AppTest`` inside app.py's frame (as the page tests
do) and prints one markdown table:

- first load: the page's first run in a fresh session of this process (models, imports and
  caches cold; a server's first visitor pays this once);
- warm load: the page run in a new session once the caches are warm, median of ``--repeats``;
- per interaction: set one widget by key, ``at.run()``; the rerun's server time (first change
  and median of ``--repeats`` changes, alternating between two values), next to the engine call
  the rerun wraps, timed raw in this same process (``bench.timing.median_seconds``), and their
  ratio. Goal (issue #9): every slider interaction under ~200 ms of server time per rerun.

AppTest reruns the whole script on every interaction (it has no fragment reruns), so a widget
that lives in an ``@st.fragment`` costs less in a browser. ``--via server`` measures the same table
on a real ``streamlit run`` (its own, on 127.0.0.1 and a free port, or ``--url``) through
Streamlit's websocket protocol, as a browser's round trip on loopback, fragment reruns included
(the "rerun" column says which). The engine calls are timed in this process either way.

    python bench/bench_pages.py --via server [--file-watcher none] [--url ws://127.0.0.1:PORT]

Edit the PAGES table below when a page's keys change; a key a page no longer has is reported as
"n/a", never a crash.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Step:
    """One interaction: set ``key`` to ``values[0]``, then ``values[1]``, then back, ..."""

    key: str
    values: tuple[Any, Any]
    engine: str | None = None  # a name in ENGINES; None: the rerun wraps no engine call


@dataclass(frozen=True)
class Page:
    script: str
    steps: tuple[Step, ...] = field(default_factory=tuple)


# --- the table: widget keys (`<page>_<field>`) read from pages/*.py and ui/*_view.py -----------
SCRIPTS = {
    "home": "pages/home.py",
    "lessons": "pages/lessons.py",
    "classroom": "pages/classroom.py",
    "tokenizer": "pages/tokenizer.py",
    "embeddings": "pages/embeddings.py",
    "attention": "pages/attention.py",
    "families": "pages/families.py",
    "sampling": "pages/sampling.py",
    "prompting": "pages/prompting.py",
    "lora": "pages/lora.py",
    "align": "pages/align.py",
    "quantization": "pages/quantization.py",
    "optimize": "pages/optimize.py",
    "rag": "pages/rag.py",
    "metrics": "pages/metrics.py",
    "agents": "pages/agents.py",
}
# (page, widget key, the two values a change alternates between, engine call in ENGINES or None)
STEPS: list[tuple[str, str, tuple[Any, Any], str | None]] = [
    ("tokenizer", "tokenizer_text", ("Hello world, tokens again!", "Cut into ids."), "tokenize"),
    ("tokenizer", "tokenizer_view", ("ids", "text"), "tokenize"),
    ("tokenizer", "tokenizer_ws", (True, False), "tokenize"),
    ("tokenizer", "tokenizer_bpe_merges", (100, 60), "train_bpe"),
    ("tokenizer", "tokenizer_bpe_step", (30, 12), None),
    ("embeddings", "embeddings_dims", (3, 2), "word_map"),
    ("embeddings", "embeddings_method", ("umap", "pca"), "word_map"),
    ("embeddings", "embeddings_search", ("Oslo", ""), None),
    ("attention", "attention_layer", (1, 0), "attention_maps"),
    ("attention", "attention_head", (1, 0), "head_view"),
    ("attention", "attention_threshold", (0.1, 0.0), "head_view"),
    ("attention", "attention_hide_special", (True, False), "head_view"),
    ("attention", "attention_token", (2, 1), "head_view"),
    ("sampling", "sampling_temperature", (0.7, 1.0), "filter_distribution"),
    ("sampling", "sampling_top_k", (40, 0), "filter_distribution"),
    ("sampling", "sampling_top_p", (0.9, 1.0), "filter_distribution"),
    ("sampling", "sampling_min_p", (0.05, 0.0), "filter_distribution"),
    ("sampling", "sampling_penalty", (1.2, 1.0), "filter_distribution"),
    ("sampling", "sampling_n_top", (30, 20), "filter_distribution"),
    ("sampling", "sampling_n", (20, 30), "sampling_compare"),
    ("prompting", "prompting_k", (5, 4), "evaluate_shots"),
    ("prompting", "prompting_seed", (1, 0), "evaluate_shots"),
    ("prompting", "prompting_instruction", (True, False), "evaluate_shots"),
    ("prompting", "prompting_draws", (2, 4), "evaluate_shots_sweep"),
    ("lora", "lora_r", (16, 8), "count_trainable"),
    ("lora", "lora_alpha", (32, 16), "count_trainable"),
    ("lora", "lora_dropout", (0.1, 0.05), "count_trainable"),
    ("lora", "lora_epochs", (3, 5), "count_trainable"),
    ("align", "align_beta", (0.2, 0.1), None),
    ("align", "align_epochs", (4, 3), None),
    ("quantization", "quant_layer_idx", (1, 0), "roundtrip_layer"),
    ("quantization", "quant_layer_scheme", ("int8", "int4"), "roundtrip_layer"),
    ("quantization", "quant_row", (1, 0), "roundtrip_layer"),
    ("quantization", "quant_rank", (16, 8), "estimate_memory"),
    ("quantization", "quant_n_eval", (32, 24), None),
    ("optimize", "opt_layers", (3, 2), None),
    ("optimize", "opt_temperature", (2.0, 1.0), None),
    ("optimize", "opt_sparsity", (0.3, 0.5), None),
    ("rag", "rag_threshold", (0.3, 0.25), "rag_answer"),
    ("rag", "rag_k", (2, 4), "rag_answer"),
    ("rag", "rag_hybrid", (True, False), "rag_answer"),
    ("rag", "rag_size", (128, 120), "rag_chunk"),
    ("metrics", "metrics_stem", (True, False), "metric_scores"),
    ("metrics", "metrics_smooth", ("floor", "exp"), "metric_scores"),
    ("metrics", "metrics_lowercase", (True, False), "metric_scores"),
    ("metrics", "metrics_seed", (1, 0), "metric_scores"),
    ("metrics", "metrics_n", (2, 1), "ngram_matches"),
    ("agents", "agents_max_steps", (4, 6), None),
    ("agents", "agents_example", ("digits1", "digits3"), None),
]
PAGES: dict[str, Page] = {
    name: Page(script, tuple(Step(k, v, e) for p, k, v, e in STEPS if p == name))
    for name, script in SCRIPTS.items()
}


def url_path(page: str) -> str:
    """The page's URL path under st.navigation: the file's stem, "" for the default page."""
    return "" if page == "home" else Path(SCRIPTS[page]).stem


# --------------------------------------------------------------------------------------------


# --- engine calls, measured raw: each factory gets {key: value} and returns the call to time ----
# Inputs are the pages' defaults (read from their url_state tables); the factories load their
# models through core, once per process.

_TEXT = "The animal didn't cross the street because it was too tired."
_PROMPT = "Once upon a time, there was a little cat named"


@cache
def _causal(name: str = "tiny-gpt"):
    from core import models

    return models.load_causal_lm(name)


@cache
def _logits():
    from core import generation as gen
    from core import models

    lm = _causal()
    ids = gen.encode_prompt(lm.tokenizer, _PROMPT, max_tokens=models.context_size(lm.model)).ids
    return ids, gen.next_token_logits(lm.model, ids)


def _filter_distribution(s: dict[str, Any]) -> Callable[[], object]:
    from core import sampling as smp

    ids, logits = _logits()
    names = {
        "temperature": "temperature",
        "top_k": "top_k",
        "top_p": "top_p",
        "min_p": "min_p",
        "penalty": "repetition_penalty",
        "seed": "seed",
    }
    cfg = smp.SamplingConfig(
        **{names[k.split("_", 1)[1]]: v for k, v in s.items() if k.split("_", 1)[1] in names}
    )
    return lambda: smp.filter_distribution(logits, cfg, context_ids=ids)


def _sampling_compare(s: dict[str, Any]) -> Callable[[], object]:
    from core import generation as gen
    from core import sampling as smp

    ids, _ = _logits()
    lm = _causal()
    configs = [(f"t={t}", smp.SamplingConfig(temperature=t)) for t in (0.0, 0.7, 1.5)]
    n = int(s.get("sampling_n", 30))
    return lambda: gen.compare(
        lm.model, ids, configs, max_new_tokens=n, eos_token_id=lm.tokenizer.eos_token_id
    )


@cache
def _attention_result():
    from core.attention import attention_maps

    return attention_maps(_TEXT, "minilm")


def _attention_maps(s: dict[str, Any]) -> Callable[[], object]:
    from core.attention import attention_maps

    _attention_result()  # the model load is not part of the call
    return lambda: attention_maps(_TEXT, "minilm")


def _head_view(s: dict[str, Any]) -> Callable[[], object]:
    from core.attention import ViewConfig, head_view

    r = _attention_result()
    cfg = ViewConfig(
        int(s.get("attention_layer", 0)),
        int(s.get("attention_head", 0)),
        float(s.get("attention_threshold", 0.0)),
        bool(s.get("attention_hide_special", False)),
        "all",
    )
    return lambda: head_view(r, cfg)


def _tokenize(s: dict[str, Any]) -> Callable[[], object]:
    from core import tokenizers as tk

    text = s.get("tokenizer_text") or tk.examples()["examples"]["Multilingual line"]
    names = ("cl100k_base", "minilm", "tiny-gpt")
    return lambda: [tk.tokenize(text, n) for n in names]


def _train_bpe(s: dict[str, Any]) -> Callable[[], object]:
    from core import tokenizers as tk

    cfg = tk.BpeConfig(tk.examples()["bpe_text"], int(s.get("tokenizer_bpe_merges", 60)))
    return lambda: tk.train_bpe(cfg)


@cache
def _prompting_inputs(name: str = "translation"):
    from core import models
    from core.prompting import load_task

    return load_task(name), models.load_model("tiny-gpt")


def _evaluate_shots(s: dict[str, Any]) -> Callable[[], object]:
    from core.prompting import evaluate_shots

    task, lm = _prompting_inputs()
    k, seed = int(s.get("prompting_k", 4)), int(s.get("prompting_seed", 0))
    ks = tuple(sorted({0, 1, min(k, len(task.examples))}))
    instruction = bool(s.get("prompting_instruction", False))
    return lambda: evaluate_shots(task, lm, ks, (seed,), instruction=instruction)


def _evaluate_shots_sweep(s: dict[str, Any]) -> Callable[[], object]:
    from core.prompting import SWEEP_KS, evaluate_shots

    task, lm = _prompting_inputs()
    seeds = tuple(range(int(s.get("prompting_draws", 4))))
    ks = tuple(sorted({*SWEEP_KS, 4}))
    return lambda: evaluate_shots(task, lm, ks, seeds, instruction=False)


def _count_trainable(s: dict[str, Any]) -> Callable[[], object]:
    from core import lora

    recipe = lora.RECIPES["sentiment"]
    spec = lora.LoraConfigSpec(
        model=recipe.model,
        task=recipe.task,
        r=int(s.get("lora_r", recipe.r)),
        alpha=int(s.get("lora_alpha", recipe.alpha)),
        dropout=float(s.get("lora_dropout", 0.05)),
        target_modules=tuple(recipe.targets),
        epochs=int(s.get("lora_epochs", recipe.epochs)),
    )
    return lambda: lora.count_trainable(spec, ("negative", "positive"))


def _roundtrip_layer(s: dict[str, Any]) -> Callable[[], object]:
    from core import quantization as q

    model = _causal().model
    layers = q.layer_names(model)
    layer = layers[int(s.get("quant_layer_idx", 0)) % len(layers)]
    scheme, row = s.get("quant_layer_scheme", "int4"), int(s.get("quant_row", 0))
    return lambda: q.roundtrip_layer(model, layer, scheme, row=row)


def _estimate_memory(s: dict[str, Any]) -> Callable[[], object]:
    from core import quantization as q

    rank = int(s.get("quant_rank", 8))
    return lambda: q.estimate_memory("tiny-gpt", lora_rank=rank)


@cache
def _kb():
    from core.rag import KnowledgeBase, starter_documents

    kb = KnowledgeBase(tempfile.mkdtemp(prefix="bench-rag-"), collection="bench")
    kb.add_documents(starter_documents())
    return kb


def _rag_answer(s: dict[str, Any]) -> Callable[[], object]:
    from core.rag import EXTRACTIVE

    kb = _kb()
    opts = {
        "k": int(s.get("rag_k", 4)),
        "threshold": float(s.get("rag_threshold", 0.25)),
        "hybrid": bool(s.get("rag_hybrid", False)),
    }
    return lambda: kb.answer("Where does Tom live?", EXTRACTIVE, **opts)


def _rag_chunk(s: dict[str, Any]) -> Callable[[], object]:
    from core.rag import ChunkConfig

    kb = _kb()
    text = kb.get_document(kb.documents()[0].doc_id).text
    cfg = ChunkConfig(int(s.get("rag_size", 120)), int(s.get("rag_overlap", 30)))
    return lambda: kb.chunk(text, cfg)


@cache
def _pairs():
    from core import metrics as M

    p = next(iter(M.load_examples().values())).pairs
    return list(p.predictions), [list(g) for g in p.references]


def _metric_scores(s: dict[str, Any]) -> Callable[[], object]:
    from core import metrics as M

    preds, refs = _pairs()
    stem, seed = bool(s.get("metrics_stem", False)), int(s.get("metrics_seed", 0))
    bleu_opts = {
        "smooth_method": s.get("metrics_smooth", "exp"),
        "lowercase": bool(s.get("metrics_lowercase", False)),
    }

    def call() -> object:
        r = M.rouge(preds, refs, use_stemmer=stem, split_sentences=True)
        b = M.bleu(preds, refs, **bleu_opts)
        c = M.chrf(preds, refs)
        return [M.bootstrap_ci(x, seed=seed) for x in (r, b, c)]

    return call


def _ngram_matches(s: dict[str, Any]) -> Callable[[], object]:
    from core import metrics as M

    preds, refs = _pairs()
    n = int(s.get("metrics_n", 1))
    ct, rt = M.rouge_tokens(preds[0]), M.rouge_tokens(refs[0][0])
    return lambda: M.ngram_matches(ct, rt, n)


@cache
def _space(name: str = "tiny-gpt"):
    from core import models
    from core.embeddings import space

    lm = models.load_model(name)
    return space.embedding_space(name, lm.model, lm.tokenizer)


def _word_map(s: dict[str, Any]) -> Callable[[], object]:
    from core.embeddings import space

    cfg = space.WordMapConfig(
        dims=int(s.get("embeddings_dims", 2)), method=str(s.get("embeddings_method", "pca"))
    )
    return lambda: space.word_map(_space(), cfg)


ENGINES: dict[str, tuple[str, Callable[[dict[str, Any]], Callable[[], object]]]] = {
    "filter_distribution": ("core.sampling.filter_distribution", _filter_distribution),
    "sampling_compare": ("core.generation.compare (3 runs of n tokens)", _sampling_compare),
    "word_map": ("core.embeddings.space.word_map (tiny-gpt)", _word_map),
    "attention_maps": ("core.attention.attention_maps (minilm)", _attention_maps),
    "head_view": ("core.attention.head_view", _head_view),
    "tokenize": ("core.tokenizers.tokenize x3", _tokenize),
    "train_bpe": ("core.tokenizers.train_bpe", _train_bpe),
    "evaluate_shots": ("core.prompting.evaluate_shots (k 0/1/k, 1 seed)", _evaluate_shots),
    "evaluate_shots_sweep": ("core.prompting.evaluate_shots (sweep)", _evaluate_shots_sweep),
    "count_trainable": ("core.lora.count_trainable", _count_trainable),
    "roundtrip_layer": ("core.quantization.roundtrip_layer", _roundtrip_layer),
    "estimate_memory": ("core.quantization.estimate_memory", _estimate_memory),
    "rag_answer": ("KnowledgeBase.answer (extractive)", _rag_answer),
    "rag_chunk": ("KnowledgeBase.chunk", _rag_chunk),
    "metric_scores": ("rouge+bleu+chrf+bootstrap_ci", _metric_scores),
    "ngram_matches": ("core.metrics.ngram_matches", _ngram_matches),
}


# --- measuring ---------------------------------------------------------------------------------
@dataclass
class Row:
    page: str
    what: str
    first: float | None = None  # seconds
    median: float | None = None
    engine: str = ""
    engine_s: float | None = None
    note: str = ""
    rerun: str = ""  # "full" or "fragment": what the server reran
    cpu: float | None = None  # median CPU seconds the server spent per run (all its threads)


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def engine_seconds(name: str, state: dict[str, Any], repeats: int) -> tuple[str, float | None, str]:
    """(label, median seconds, note) of the engine call ``name`` with ``state``; never raises."""
    label, factory = ENGINES[name]
    try:
        call = factory(state)
        warm_up = _timed(call)  # one-time costs (a stemmer's tables, a model's first run)
        if warm_up * repeats > 2.0:  # a slow call: one timed call after the warm-up
            return label, _timed(call), ""
        from bench.timing import median_seconds

        return label, median_seconds(call, max(3, repeats)), ""
    except Exception as e:  # an engine signature changed under us: say so, keep going
        return label, None, f"engine: {type(e).__name__}: {e}"[:120]


def _errors(at: Any) -> str:
    return "; ".join(str(e.value)[:80] for e in at.exception)


def _find(at: Any, key: str) -> Any:
    try:
        return at._tree.get_by_key(key)
    except KeyError:
        return None


def _timed_cpu(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()``; CPU counts every thread of this process (AppTest's too)."""
    c0 = time.process_time()
    wall = _timed(fn)
    return wall, time.process_time() - c0


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def open_page(script: str, timeout: float) -> tuple[Any, float, float]:
    """A new session: app.py's default page, then ``script``; (AppTest, wall and CPU seconds of
    the page run)."""
    from bench.apptest_frame import new_session

    at = new_session(timeout)
    at.run()
    at.switch_page(script)
    return at, *_timed_cpu(at.run)


def bench_page(name: str, page: Page, repeats: int, timeout: float) -> list[Row]:
    """Rows for one page: first load, warm load, then one row per step of ``page``."""
    rows = []
    at, first, _ = open_page(page.script, timeout)
    load = Row(name, "first load / warm load", first=first, note=_errors(at))
    warm, cpus = [], []
    for _ in range(repeats):
        at, t, c = open_page(page.script, timeout)
        warm.append(t)
        cpus.append(c)
        load.note = load.note or _errors(at)
    load.median, load.cpu = _median(warm), _median(cpus)
    rows.append(load)
    for step in page.steps:
        row = Row(name, f"`{step.key}`")
        times, cpus = [], []
        for i in range(max(1, repeats)):
            widget = _find(at, step.key)
            if widget is None:
                row.note = "n/a: no widget with this key on the page"
                break
            value = step.values[i % 2]
            try:
                widget.set_value(value)
                t, c = _timed_cpu(at.run)
                times.append(t)
                cpus.append(c)
            except Exception as e:  # a disabled widget, a value the widget refuses
                row.note = f"n/a: {type(e).__name__}: {e}"[:120]
                break
            if at.exception:
                row.note = "exception: " + _errors(at)
                break
            if step.key in at.session_state and at.session_state[step.key] != value:
                row.note = f"value not applied: {step.key} = {at.session_state[step.key]!r}"
        row.rerun, row.cpu = "full (AppTest)" if times else "", _median(cpus)
        rows.append(_finish(row, step, times, repeats))
    return rows


def _finish(row: Row, step: Step, times: list[float], repeats: int) -> Row:
    """Fill in the rerun statistics and time the step's engine call."""
    if times:
        row.first = times[0]
        row.median = statistics.median(times)
    if step.engine:
        row.engine, row.engine_s, note = engine_seconds(
            step.engine, {step.key: step.values[0]}, repeats
        )
        row.note = row.note or note
    return row


async def bench_page_server(
    name: str, page: Page, repeats: int, url: str, timeout: float, pid: int | None = None
) -> list[Row]:
    """The rows of :func:`bench_page`, measured on a running server over its websocket (a
    browser's round trip on loopback: fragment reruns as the browser triggers them); the
    server's CPU per run too if its ``pid`` is known."""
    from bench.st_client import Tab
    from bench.st_server import cpu_seconds

    def cpu_since(c0: float | None) -> list[float]:
        c1 = cpu_seconds(pid)
        return [] if c0 is None or c1 is None else [c1 - c0]

    async def visit() -> tuple[Any, Any]:
        tab = await Tab.connect(url, run_timeout=timeout)
        return tab, await tab.open(url_path(name))

    tab, r = await visit()
    load = Row(name, "first load / warm load", first=r.seconds, note="; ".join(r.exceptions))
    warm, cpus = [], []
    for _ in range(repeats):
        await tab.close()
        c0 = cpu_seconds(pid)
        tab, r = await visit()
        cpus += cpu_since(c0)
        warm.append(r.seconds)
        load.note = load.note or "; ".join(r.exceptions)
    load.median, load.cpu = _median(warm), _median(cpus)
    rows = [load]
    try:
        for step in page.steps:
            row, times, cpus, kinds = Row(name, f"`{step.key}`"), [], [], set()
            for i in range(max(1, repeats)):
                try:
                    c0 = cpu_seconds(pid)
                    r = await tab.set_widget(step.key, step.values[i % 2])
                    cpus += cpu_since(c0)
                except ValueError as e:  # an option the widget does not have
                    row.note = f"n/a: {e}"[:120]
                    break
                if r is None:
                    row.note = "n/a: no widget with this key on the page"
                    break
                if r.exceptions or r.status == "timeout":
                    row.note = (
                        "exception: " + "; ".join(r.exceptions) if r.exceptions else "timeout"
                    )
                    break
                times.append(r.seconds)
                kinds.add("fragment" if r.status == "fragment" else "full")
            row.rerun, row.cpu = "/".join(sorted(kinds)), _median(cpus)
            rows.append(_finish(row, step, times, repeats))
    finally:
        await tab.close()
    return rows


def _ms(s: float | None) -> str:
    if s is None:
        return "n/a"
    return f"{s * 1e3:.3f}" if s < 1e-3 else f"{s * 1e3:,.1f}" if s < 10 else f"{s * 1e3:,.0f}"


def markdown(rows: list[Row]) -> str:
    """The table: one line per page load and per interaction."""
    out = [
        "| page | load / interaction | rerun | first ms | median ms | ≤ 200 ms | server CPU ms "
        "| engine call | engine ms | server / engine | note |",
        "|---|---|---|---:|---:|:-:|---:|---|---:|---:|---|",
    ]
    for r in rows:
        goal = "" if r.median is None or "load" in r.what else "yes" if r.median <= 0.2 else "no"
        ratio = (
            f"{r.median / r.engine_s:,.1f}x"
            if r.median is not None and r.engine_s
            else "n/a"
            if r.engine
            else ""
        )
        out.append(
            f"| {r.page} | {r.what} | {r.rerun} | {_ms(r.first)} | {_ms(r.median)} | {goal} "
            f"| {_ms(r.cpu)} | {r.engine} "
            f"| {_ms(r.engine_s) if r.engine else ''} | {ratio} | {r.note.replace('|', '/')} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from bench.st_server import add_server_arguments

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated names of PAGES")
    ap.add_argument("--repeats", type=int, default=5, help="warm loads and changes per widget")
    ap.add_argument("--timeout", type=float, default=300, help="seconds one run may take")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    ap.add_argument(
        "--via",
        choices=("apptest", "server"),
        default="apptest",
        help="apptest: in this process (full reruns); server: a real server over its websocket",
    )
    ap.add_argument(
        "--file-watcher",
        default="none",
        help="--via server: the server's server.fileWatcherType ('default': the app's config)",
    )
    add_server_arguments(ap)
    args = ap.parse_args(argv)
    names = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in names if p not in PAGES]
    if unknown:
        ap.error(f"unknown page(s) {unknown}; known: {', '.join(PAGES)}")

    from bench.apptest_frame import offline_env, quiet_streamlit

    offline_env()
    quiet_streamlit()
    warnings.filterwarnings("ignore")  # library deprecation notices, once per page run
    # the pages write runs and knowledge bases under the data folder: never the real one
    os.environ.setdefault("GENAI_DATA_DIR", tempfile.mkdtemp(prefix="bench-pages-data-"))
    import torch

    torch.set_num_threads(args.threads)
    print(
        f"bench_pages: {len(names)} page(s), repeats {args.repeats}, torch threads "
        f"{torch.get_num_threads()}, data dir {os.environ['GENAI_DATA_DIR']}",
        flush=True,
    )
    server = None
    if args.url:
        from bench.st_client import check_loopback

        try:
            args.url = check_loopback(args.url)
        except ValueError as e:
            ap.error(str(e))
    if args.via == "server" and not args.url:
        from bench.st_server import Server

        server = Server(args.file_watcher, options=tuple(args.option))
        args.url = server.start()
        args.pid = server.proc.pid if server.proc else None
        extra = "".join(f", {o}" for o in args.option)
        print(f"  server {args.url}, file watcher {args.file_watcher}{extra}", flush=True)
    try:
        rows = run_pages(names, args)
    finally:
        if server is not None:
            server.stop()
    print()
    print(markdown(rows))
    return 0


def run_pages(names: list[str], args: argparse.Namespace) -> list[Row]:
    """Every page's rows, in order; a page that cannot even open gets one row that says why."""
    import asyncio

    rows: list[Row] = []
    for name in names:
        t0 = time.perf_counter()
        try:
            if args.via == "server":
                page_rows = asyncio.run(
                    bench_page_server(
                        name, PAGES[name], args.repeats, args.url, args.timeout, args.pid
                    )
                )
            else:
                page_rows = bench_page(name, PAGES[name], args.repeats, args.timeout)
        except Exception as e:
            page_rows = [Row(name, "first load / warm load", note=f"{type(e).__name__}: {e}"[:150])]
        rows += page_rows
        print(f"  {name}: {len(page_rows)} row(s) in {time.perf_counter() - t0:.0f} s", flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
