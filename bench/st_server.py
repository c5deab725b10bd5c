"""A server started and stopped by a bench script: ``streamlit run serve.py`` (the learners' entry
point; app.py where there is none) on loopback and a free port, with .streamlit/config.toml."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WATCHERS = ("default", "auto", "none", "poll", "watchdog")  # server.fileWatcherType, or as config


def add_server_arguments(ap: Any) -> None:
    """The command-line options of every script that starts an app server or drives one."""
    ap.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="SECTION.NAME=VALUE",
        help="another config option for the server this script starts (repeatable), e.g. "
        "runner.postScriptGC=false",
    )
    ap.add_argument("--url", help="drive this running server (loopback only) instead")
    ap.add_argument("--pid", type=int, help="with --url: the server's pid, for its RSS and CPU")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """``streamlit run`` of ``app`` on 127.0.0.1, from the project folder (its config applies)."""

    watcher: str
    app: Path = ROOT / "serve.py" if (ROOT / "serve.py").exists() else ROOT / "app.py"
    options: tuple[str, ...] = ()  # more config options, "section.name=value"
    port: int = 0
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def start(self, timeout: float = 120) -> str:
        self.port = free_port()
        data = tempfile.mkdtemp(prefix="load-students-data-")
        self.log = Path(data) / "server.log"
        cmd = [sys.executable, "-m", "streamlit", "run", str(self.app)]
        cmd += ["--server.headless", "true", "--server.address", "127.0.0.1"]
        cmd += ["--server.port", str(self.port), "--browser.gatherUsageStats", "false"]
        if self.watcher != "default":
            cmd += ["--server.fileWatcherType", self.watcher]
        for option in self.options:
            name, sep, value = option.partition("=")
            if not sep or "." not in name or name.startswith("server.address"):
                raise ValueError(
                    f"a config option is section.name=value (not the address): {option}"
                )
            cmd += [f"--{name}", value]
        env = dict(os.environ, GENAI_DATA_DIR=data, TOKENIZERS_PARALLELISM="false")
        for name in ("GENAI_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            env[name] = "1"  # no network: the classroom server is offline
        env.setdefault("OMP_NUM_THREADS", "1")
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        health = f"http://127.0.0.1:{self.port}/_stcore/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}): {self.tail()}")
            try:
                with urllib.request.urlopen(health, timeout=2) as r:
                    if r.status == 200:
                        return f"ws://127.0.0.1:{self.port}"
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the server did not answer {health} in {timeout:.0f} s: {self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-1500:] if self.log else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` in MB (from /proc), None if unknown."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds ``pid`` has used so far (from /proc), None if unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
