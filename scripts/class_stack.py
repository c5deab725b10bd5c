"""Start a class's stack on loopback for a rehearsal: vLLM, a Chroma server and N app replicas.

    python scripts/class_stack.py [--replicas 2] [--data DIR] [--no-vllm] [--db-url URL]
                                  [--seconds S]

- vLLM (``scripts/setup_serving.sh``'s venv) serves tiny-gpt; every replica gets
  ``GENAI_LLM_URL`` pointing at it (``--no-vllm``: replicas generate in-process);
- ``chroma run`` keeps the knowledge bases in ``DIR/chroma``; every replica gets
  ``GENAI_CHROMA_HOST``/``GENAI_CHROMA_PORT``;
- N ``streamlit run serve.py`` replicas share ``GENAI_DATA_DIR=DIR`` (runs, adapters, the SQLite
  class database unless ``--db-url`` names a shared PostgreSQL one).

Everything binds to 127.0.0.1. The script prints each replica's URL and the environment it
was given, then waits (``--seconds``, or until Ctrl-C) and stops what it started. A replica
keeps each learner's session state in its own memory: behind a load balancer, sessions must be
sticky (the same browser always reaches the same replica); everything else they share.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.models import tiny_gpt_path  # noqa: E402
from core.serving import ServerConfig, launch  # noqa: E402
from tests.conftest import free_port  # noqa: E402


def wait_http(url: str, proc: subprocess.Popen, what: str, deadline_s: float = 120.0) -> None:
    t0 = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() - t0 > deadline_s:
            raise RuntimeError(f"{what} did not answer {url} within {deadline_s:g} s")
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack as Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicas", type=int, default=2, help="app servers (Streamlit processes)")
    ap.add_argument("--data", default=str(ROOT / "data" / "class-stack"), help="shared data folder")
    ap.add_argument("--no-vllm", action="store_true", help="generate in-process in each replica")
    ap.add_argument("--db-url", default="", help="GENAI_DB_URL for the class database")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error("--replicas must be at least 1")
    chroma = shutil.which("chroma")
    if chroma is None:
        ap.error("chromadb's `chroma` command is not installed")
    data = Path(args.data).resolve()
    (data / "chroma").mkdir(parents=True, exist_ok=True)
    logs = data / "logs"
    logs.mkdir(exist_ok=True)
    started: list[subprocess.Popen] = []
    vllm = None
    env = dict(os.environ, GENAI_DATA_DIR=str(data), GENAI_OFFLINE="1", HF_HUB_OFFLINE="1")
    env.setdefault("OMP_NUM_THREADS", "1")
    if args.db_url:
        env["GENAI_DB_URL"] = args.db_url
    try:
        if not args.no_vllm:
            python = launch.venv_python()
            if not python.exists():
                ap.error(f"no serving venv at {python.parent.parent}: run scripts/setup_serving.sh")
            port = free_port()
            server = ServerConfig(f"http://127.0.0.1:{port}/v1", "tiny-gpt", timeout_s=30)
            cmd = launch.vllm_command(python, tiny_gpt_path(), port)
            vllm = launch.start_vllm(cmd, logs / "vllm.log")
            print(f"vLLM: starting on {server.url} ...", flush=True)
            up = launch.wait_until_serving(server, vllm)
            print(f"vLLM: serving tiny-gpt after {up:.0f} s", flush=True)
            env |= {"GENAI_LLM_URL": server.url, "GENAI_LLM_MODEL": "tiny-gpt"}
        c_port = free_port()
        cmd = [chroma, "run", "--path", str(data / "chroma"), "--host", "127.0.0.1"]
        with open(logs / "chroma.log", "ab") as out:
            cp = subprocess.Popen([*cmd, "--port", str(c_port)], stdout=out, stderr=out)
        started.append(cp)
        wait_http(f"http://127.0.0.1:{c_port}/api/v2/heartbeat", cp, "chroma run")
        print(f"Chroma: http://127.0.0.1:{c_port} (data in {data / 'chroma'})", flush=True)
        env |= {"GENAI_CHROMA_HOST": "127.0.0.1", "GENAI_CHROMA_PORT": str(c_port)}
        urls = []
        for i in range(args.replicas):
            port = free_port()
            cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py")]
            cmd += ["--server.headless", "true", "--server.address", "127.0.0.1"]
            cmd += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
            with open(logs / f"app-{i}.log", "ab") as out:
                app = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
            started.append(app)
            wait_http(f"http://127.0.0.1:{port}/_stcore/health", app, f"app replica {i}")
            urls.append(f"http://127.0.0.1:{port}")
            print(f"app replica {i}: {urls[-1]}", flush=True)
        shared = {k: v for k, v in env.items() if k.startswith("GENAI_")}
        print("replica environment: " + " ".join(f"{k}={v}" for k, v in sorted(shared.items())))
        print(
            f"logs in {logs}; "
            + ("stopping after the given time" if args.seconds else "Ctrl-C stops")
        )
        deadline = time.monotonic() + args.seconds if args.seconds else None
        signal.signal(signal.SIGTERM, _interrupt)
        while deadline is None or time.monotonic() < deadline:
            if dead := [p for p in started if p.poll() is not None]:
                print(f"a process exited ({dead[0].args[0]}, code {dead[0].returncode}); stopping")
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in reversed(started):
            stop(p)
        if vllm is not None:
            launch.stop(vllm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
