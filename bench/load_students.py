"""N simulated students on one server, through every page for a bounded time, over the websocket.

    python bench/load_students.py [--students 1,10,30] [--seconds 120] [--interact]
                                  [--file-watcher default,none] [--url ws://127.0.0.1:PORT]

Each student is one browser tab speaking Streamlit's own protocol (``bench/st_client.py``): it
opens the pages one after another (a sidebar click each; every student starts on another page),
and with ``--interact`` changes the widgets of ``bench/bench_pages.py``'s STEPS table on each
page as a browser would (fragment reruns included). A student stops starting runs at the end of
``--seconds``; a run that never finishes counts as a timeout after ``--run-timeout``.

Without ``--url`` the script starts its own server for every (N, file watcher) pair, on
127.0.0.1 and a free port, warms it up with one student through every page (not counted), and
stops it at the end. With ``--url`` it drives that server (loopback only) and reads its memory
if ``--pid`` is given.

Reports, per N: runs, errors (exception elements, compile errors, timeouts, lost connections),
page-run latency p50/p95/max per page and overall, the server's RSS at the start, the end and
its peak, and the server's CPU use. Goal (issue #9) at N=30 on 2 cores: 0 errors, p50 < 2 s,
p95 < 5 s, RSS flat in N.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_pages import PAGES, url_path  # noqa: E402  (the pages, their widget table)
from bench.st_client import Tab, check_loopback  # noqa: E402
from bench.st_server import (  # noqa: E402
    WATCHERS,
    Server,
    add_server_arguments,
    cpu_seconds,
    rss_mb,
)


# --- the students -----------------------------------------------------------------------------
@dataclass
class Record:
    student: int
    page: str
    action: str  # "open" or the widget key
    seconds: float
    status: str
    exceptions: list[str] = field(default_factory=list)


@dataclass
class Tally:
    records: list[Record] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # connections that failed or dropped
    skipped: Counter = field(default_factory=Counter)  # widget keys a page did not have


async def _drop(tab: Tab) -> None:
    try:
        await asyncio.wait_for(tab.close(), 10)
    except Exception:
        pass


async def student(
    i: int,
    n: int,
    url: str,
    pages: list[str],
    deadline: float,
    args: argparse.Namespace,
    tally: Tally,
) -> None:
    """One tab: open page after page, from its own first page, until ``deadline``. After a run
    that never finished the student reloads (a new tab): that stream is out of step."""
    start = i * len(pages) // n % len(pages)
    order = pages[start:] + pages[:start]  # the class spreads over the pages from the start
    tab: Tab | None = None
    visit = 0
    try:
        while time.monotonic() < deadline:
            page, lap = order[visit % len(order)], visit // len(order)
            visit += 1
            if tab is None:  # the first tab, or a reload: the page's URL typed in a new tab
                tab = await Tab.connect(url, run_timeout=args.run_timeout)
            r = await tab.open(url_path(page))
            tally.records.append(Record(i, page, "open", r.seconds, r.status, r.exceptions))
            if r.status == "timeout":
                await _drop(tab)
                tab = None
                continue
            await asyncio.sleep(args.think)
            for step in PAGES[page].steps if args.interact else ():
                if time.monotonic() >= deadline:
                    break
                try:
                    r = await tab.set_widget(step.key, step.values[lap % 2])
                except ValueError:  # an option the widget does not offer (any more)
                    r = None
                if r is None:
                    tally.skipped[f"{page}:{step.key}"] += 1
                    continue
                tally.records.append(Record(i, page, step.key, r.seconds, r.status, r.exceptions))
                if r.status == "timeout":
                    await _drop(tab)
                    tab = None
                    break
                await asyncio.sleep(args.think)
    except Exception as e:  # a refused connection, the server closed the socket, ...
        tally.lost.append(f"student {i}: {type(e).__name__}: {e}"[:200])
    finally:
        if tab is not None:
            await _drop(tab)


async def class_run(url: str, n: int, pages: list[str], args: argparse.Namespace) -> Tally:
    """``n`` students at once for ``args.seconds``; bounded even if runs hang."""
    tally = Tally()
    deadline = time.monotonic() + args.seconds
    tasks = [
        asyncio.create_task(student(i, n, url, pages, deadline, args, tally)) for i in range(n)
    ]
    done, pending = await asyncio.wait(tasks, timeout=args.seconds + args.run_timeout + 30)
    for t in pending:
        t.cancel()
        tally.lost.append("a student still running at the hard stop was cancelled")
    await asyncio.gather(*pending, return_exceptions=True)
    return tally


async def warm_up(url: str, pages: list[str], args: argparse.Namespace) -> float:
    """One tab through every page once (the first visitor's model loads); its seconds."""
    t0 = time.monotonic()
    tab = await Tab.connect(url, run_timeout=max(args.run_timeout, 300))
    try:
        for page in pages:
            await tab.open(url_path(page))
    finally:
        await tab.close()
    return time.monotonic() - t0


# --- the report --------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None if empty."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def _s(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def _mb(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def _bad(r: Record) -> bool:
    return bool(r.exceptions) or r.status in {"timeout", "compile_error"}


@dataclass
class RunReport:
    n: int
    watcher: str
    tally: Tally
    seconds: float
    warm_s: float | None
    rss: tuple[float | None, float | None, float | None]  # start, end, peak
    cpu_s: float | None
    client_cpu_s: float


def summary_table(reports: list[RunReport]) -> str:
    out = [
        "| students | file watcher, options | runs | errors | exceptions | timeouts | lost | p50 s "
        "| p95 s | max s | RSS start MB | RSS end MB | RSS peak MB | server CPU, 1 core = 100% "
        "| this client's CPU | warm-up s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rep in reports:
        recs = rep.tally.records
        lat = [r.seconds for r in recs]
        exc = sum(len(r.exceptions) for r in recs)
        tmo = sum(r.status == "timeout" for r in recs)
        errors = sum(_bad(r) for r in recs) + len(rep.tally.lost)
        cpu = "n/a" if rep.cpu_s is None else f"{rep.cpu_s / rep.seconds:.0%}"
        out.append(
            f"| {rep.n} | {rep.watcher} | {len(recs)} | {errors} | {exc} | {tmo} "
            f"| {len(rep.tally.lost)} | {_s(percentile(lat, 50))} | {_s(percentile(lat, 95))} "
            f"| {_s(max(lat, default=None))} | {_mb(rep.rss[0])} | {_mb(rep.rss[1])} "
            f"| {_mb(rep.rss[2])} | {cpu} | {rep.client_cpu_s / rep.seconds:.1%} "
            f"| {_s(rep.warm_s)} |"
        )
    return "\n".join(out)


def page_table(reports: list[RunReport], pages: list[str]) -> str:
    out = [
        "| students | file watcher, options | page | page opens | p50 s | p95 s | widget changes "
        "| p50 s | p95 s | errors |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rep in reports:
        for page in pages:
            recs = [r for r in rep.tally.records if r.page == page]
            opens = [r.seconds for r in recs if r.action == "open"]
            changes = [r.seconds for r in recs if r.action != "open"]
            out.append(
                f"| {rep.n} | {rep.watcher} | {page} | {len(opens)} | {_s(percentile(opens, 50))} "
                f"| {_s(percentile(opens, 95))} | {len(changes)} "
                f"| {_s(percentile(changes, 50))} | {_s(percentile(changes, 95))} "
                f"| {sum(_bad(r) for r in recs)} |"
            )
    return "\n".join(out)


def problems(reports: list[RunReport]) -> str:
    lines = []
    for rep in reports:
        seen = Counter(f"{r.page}/{r.action}: {e}" for r in rep.tally.records for e in r.exceptions)
        seen.update(
            f"{r.page}/{r.action}: timeout" for r in rep.tally.records if r.status == "timeout"
        )
        seen.update(rep.tally.lost)
        for text, count in seen.most_common(10):
            lines.append(f"- N={rep.n} {rep.watcher}: {count}x {text}")
        if rep.tally.skipped:
            keys = ", ".join(f"{k} ({c}x)" for k, c in sorted(rep.tally.skipped.items()))
            lines.append(f"- N={rep.n} {rep.watcher}: widget keys not found (n/a): {keys}")
    return "\n".join(lines) or "- none"


# --- main -------------------------------------------------------------------------------------
async def sample_rss(pid: int | None, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        v = rss_mb(pid)
        if v is not None:
            peak[0] = max(peak[0], v)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def measure(
    url: str, pid: int | None, n: int, watcher: str, pages: list[str], args: argparse.Namespace
) -> RunReport:
    warm = None if args.no_warmup else await warm_up(url, pages, args)
    start, cpu0 = rss_mb(pid), cpu_seconds(pid)
    peak, stop = [start or 0.0], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, peak, stop))
    t0, c0 = time.monotonic(), time.process_time()
    tally = await class_run(url, n, pages, args)
    elapsed, client = time.monotonic() - t0, time.process_time() - c0
    stop.set()
    await sampler
    cpu1 = cpu_seconds(pid)
    cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    rss = (start, rss_mb(pid), peak[0] or None)
    return RunReport(n, watcher, tally, elapsed, warm, rss, cpu, client)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", default="1,10,30", help="comma-separated class sizes")
    ap.add_argument("--seconds", type=float, default=120, help="how long each class works")
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    ap.add_argument("--interact", action="store_true", help="also change each page's widgets")
    ap.add_argument("--think", type=float, default=0.0, help="seconds a student waits per action")
    ap.add_argument("--run-timeout", type=float, default=120, help="seconds before a run times out")
    ap.add_argument(
        "--file-watcher",
        default="default",
        help=f"comma-separated server.fileWatcherType values to compare ({', '.join(WATCHERS)}; "
        "default: whatever the app's config says)",
    )
    add_server_arguments(ap)
    ap.add_argument("--no-warmup", action="store_true", help="count the first visitor's loads too")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.students.split(",") if x.strip()]
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    watchers = [w.strip() for w in args.file_watcher.split(",") if w.strip()]
    if not sizes or min(sizes) < 1:
        ap.error("--students needs positive class sizes")
    if bad := [p for p in pages if p not in PAGES]:
        ap.error(f"unknown page(s) {bad}; known: {', '.join(PAGES)}")
    if bad := [w for w in watchers if w not in WATCHERS]:
        ap.error(f"unknown file watcher(s) {bad}; known: {', '.join(WATCHERS)}")
    if args.url:
        try:
            args.url = check_loopback(args.url)
        except ValueError as e:
            ap.error(str(e))
        watchers = ["(given server)"]

    reports = []
    for watcher in watchers:
        for n in sizes:
            print(f"N={n}, file watcher {watcher}: {args.seconds:.0f} s ...", flush=True)
            server = None if args.url else Server(watcher, options=tuple(args.option))
            try:
                url = args.url or server.start()
                pid = args.pid if args.url else server.proc.pid
                label = " ".join([watcher, *args.option])  # the server's config, as run
                reports.append(asyncio.run(measure(url, pid, n, label, pages, args)))
            finally:
                if server is not None:
                    server.stop()
    interact = "on" if args.interact else "off"
    info = f"think time {args.think:g} s, run timeout {args.run_timeout:g} s"
    print(f"\npages: {', '.join(pages)}; interactions {interact}; {info}\n")
    print(summary_table(reports))
    print()
    print(page_table(reports, pages))
    print("\nProblems:")
    print(problems(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
