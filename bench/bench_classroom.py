"""A class generating at once: N students press "Generate N" on the Sampling page of one app
server, with generation in-process and then through vLLM.

    python bench/bench_classroom.py [--students 10,30] [--seconds 60] [--tokens 30]
                                    [--backends in-process,vllm] [--think 1]

Each student is one browser tab speaking Streamlit's protocol (``bench/st_client.py``): it opens
the Sampling page, sets "Tokens to generate" to ``--tokens`` and the temperature to 1, then
until ``--seconds`` have passed presses **Generate N**, waits ``--think`` seconds, presses
**Clear** (so the text never fills the context) and goes on. Only the Generate N runs are timed:
that page run is what a learner waits for.

``in-process``: the app server generates with its own copy of tiny-gpt, one request at a time.
``vllm``: the script starts vLLM (``scripts/setup_serving.sh``'s venv) serving tiny-gpt on
loopback and an app server with ``GENAI_LLM_URL`` pointing at it; vLLM's own Prometheus counters
(``/metrics``) say how many requests and tokens it served, so a run that silently fell back to
the in-process model shows 0 there.

Reports per (backend, N): Generate N runs, errors (exceptions, timeouts, lost connections),
page-run p50/p95/max, the app server's RSS (start, end, peak: one copy of the model, flat in N),
and generated tokens per second (vLLM's count when served, which includes the one-token requests
of the next-token chart; requested tokens in-process, an upper bound: a text may end early).
Goals (issue #16) at N=30 on 2 cores: 0 errors; with vLLM, Generate-N p95 < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_students import percentile  # noqa: E402
from bench.st_client import Tab  # noqa: E402
from bench.st_server import Server, rss_mb  # noqa: E402
from core.models import tiny_gpt_path  # noqa: E402
from core.serving import ServerConfig, launch  # noqa: E402
from tests.conftest import free_port  # noqa: E402

PAGE = "sampling"
BACKENDS = ("in-process", "vllm")


@dataclass
class Tally:
    seconds: list[float] = field(default_factory=list)  # Generate N page runs that finished
    errors: list[str] = field(default_factory=list)


async def student(url: str, deadline: float, args: argparse.Namespace, tally: Tally) -> None:
    tab = None
    try:
        tab = await Tab.connect(url, run_timeout=args.run_timeout)
        for step in (
            tab.open(PAGE),
            tab.set_widget("sampling_n", args.tokens),
            tab.set_widget("sampling_temperature", 1.0),
        ):
            r = await step
            if r is None or r.exceptions or r.status in {"timeout", "compile_error"}:
                tally.errors.append(f"setup: {r and (r.status, r.exceptions[:1])}")
        while time.monotonic() < deadline:
            r = await tab.set_widget("sampling_generate", True)
            if r is None:
                tally.errors.append("no Generate N button")
                return
            if r.exceptions or r.status in {"timeout", "compile_error"}:
                tally.errors.append(f"generate: {r.status} {r.exceptions[:1]}")
            else:
                tally.seconds.append(r.seconds)
            await asyncio.sleep(args.think)
            await tab.set_widget("sampling_clear", True)
    except Exception as e:  # a refused or dropped connection
        tally.errors.append(f"lost: {type(e).__name__}: {e}"[:200])
    finally:
        if tab is not None:
            try:
                await asyncio.wait_for(tab.close(), 10)
            except Exception:
                pass


async def sample_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid) or 0.0)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def class_run(url: str, pid: int, n: int, args: argparse.Namespace) -> tuple:
    warm = await Tab.connect(url, run_timeout=300)  # the first visitor's model load, not counted
    await warm.open(PAGE)
    await warm.close()
    tally, start = Tally(), rss_mb(pid)
    peak, stop = [start or 0.0], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, peak, stop))
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    tasks = [asyncio.create_task(student(url, deadline, args, tally)) for _ in range(n)]
    _, pending = await asyncio.wait(tasks, timeout=args.seconds + args.run_timeout + 30)
    for t in pending:
        t.cancel()
        tally.errors.append("a student still running at the hard stop")
    elapsed = time.monotonic() - t0
    stop.set()
    await sampler
    return tally, elapsed, (start, rss_mb(pid), peak[0] or None)


def vllm_counters(url: str) -> tuple[float, float]:
    """(finished requests, generated tokens) from vLLM's Prometheus ``/metrics``."""
    with urllib.request.urlopen(url.removesuffix("/v1") + "/metrics", timeout=10) as r:
        text = r.read().decode()

    def total(name: str) -> float:
        pat = rf"^{re.escape(name)}(?:\{{[^}}]*\}})? ([0-9.e+]+)$"
        return sum(float(m) for m in re.findall(pat, text, flags=re.M))

    return total("vllm:request_success_total"), total("vllm:generation_tokens_total")


def row(backend: str, n: int, tally: Tally, elapsed: float, rss: tuple, tok_s: str) -> str:
    lat = tally.seconds

    def s(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}"

    def mb(v: float | None) -> str:
        return "n/a" if v is None else f"{v:,.0f}"

    return (
        f"| {backend} | {n} | {len(lat)} | {len(tally.errors)} | {s(percentile(lat, 50))} "
        f"| {s(percentile(lat, 95))} | {s(max(lat, default=None))} | {mb(rss[0])} | {mb(rss[1])} "
        f"| {mb(rss[2])} | {tok_s} | {elapsed:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", default="10,30", help="comma-separated class sizes")
    ap.add_argument("--seconds", type=float, default=60, help="how long each class generates")
    ap.add_argument("--tokens", type=int, default=30, help="the page's 'Tokens to generate'")
    ap.add_argument("--think", type=float, default=1.0, help="seconds between a student's runs")
    ap.add_argument("--run-timeout", type=float, default=60, help="seconds before a run times out")
    ap.add_argument("--backends", default=",".join(BACKENDS), help="in-process and/or vllm")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.students.split(",") if x.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if bad := [b for b in backends if b not in BACKENDS]:
        ap.error(f"unknown backend(s) {bad}; known: {', '.join(BACKENDS)}")
    lines = [
        "| backend | students | Generate N runs | errors | p50 s | p95 s | max s | RSS start MB "
        "| RSS end MB | RSS peak MB | tokens/s | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    problems: list[str] = []
    for backend in backends:
        vllm = None
        saved = {k: os.environ.get(k) for k in ("GENAI_LLM_URL", "GENAI_LLM_MODEL")}
        try:
            if backend == "vllm":
                python = launch.venv_python()
                if not python.exists():
                    ap.error(f"no serving venv at {python.parent.parent}: scripts/setup_serving.sh")
                port = free_port()
                server = ServerConfig(f"http://127.0.0.1:{port}/v1", "tiny-gpt", timeout_s=30)
                log = Path(tempfile.mkdtemp(prefix="bench-vllm-")) / "vllm.log"
                vllm = launch.start_vllm(launch.vllm_command(python, tiny_gpt_path(), port), log)
                up = launch.wait_until_serving(server, vllm)
                print(f"vLLM serving after {up:.0f} s", flush=True)
                os.environ["GENAI_LLM_URL"], os.environ["GENAI_LLM_MODEL"] = server.url, "tiny-gpt"
            else:
                os.environ.pop("GENAI_LLM_URL", None)
            for n in sizes:
                print(f"{backend}, N={n}: {args.seconds:.0f} s ...", flush=True)
                app = Server("default")
                try:
                    url = app.start()
                    assert app.proc is not None
                    before = vllm_counters(server.url) if vllm else (0.0, 0.0)
                    tally, elapsed, rss = asyncio.run(class_run(url, app.proc.pid, n, args))
                    if vllm:
                        after = vllm_counters(server.url)
                        reqs, toks = after[0] - before[0], after[1] - before[1]
                        tok_s = f"{toks / elapsed:,.0f} ({reqs:.0f} requests served)"
                    else:
                        tok_s = f"≤ {len(tally.seconds) * args.tokens / elapsed:,.0f}"
                    lines.append(row(backend, n, tally, elapsed, rss, tok_s))
                    problems += [f"- {backend} N={n}: {e}" for e in sorted(set(tally.errors))[:5]]
                finally:
                    app.stop()
        finally:
            if vllm is not None:
                launch.stop(vllm)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    think = f"think {args.think:g} s, Clear between runs"
    print(f"\nSampling page, Generate N of {args.tokens} tokens at temperature 1, {think}\n")
    print("\n".join(lines))
    print("\nProblems:\n" + ("\n".join(problems) or "- none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
