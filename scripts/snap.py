"""Screenshot one or more pages of the running app in headless Chromium (for a quick look).

    python scripts/snap.py OUT_DIR /tokenizer [/attention ...]   # starts its own server

Prints each PNG written and whether Streamlit showed an exception box. SNAP_WAIT_MS (default
6000) is the extra wait after the page settles; SNAP_QUERY appends a query string.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    out, paths = Path(sys.argv[1]), sys.argv[2:] or ["/"]
    out.mkdir(parents=True, exist_ok=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            for path in paths:
                pg.goto(f"http://127.0.0.1:{port}{path}{os.environ.get('SNAP_QUERY', '')}")
                pg.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
                pg.wait_for_timeout(int(os.environ.get("SNAP_WAIT_MS", "6000")))
                for _ in range(480):  # until the script run has finished
                    state = pg.get_attribute('[data-testid="stApp"]', "data-test-script-state")
                    if state == "notRunning" and not pg.query_selector('[data-testid="stSpinner"]'):
                        break
                    pg.wait_for_timeout(500)
                name = re.sub(r"[^A-Za-z0-9_-]+", "_", path.strip("/") or "home")
                png = out / f"{name}.png"
                pg.screenshot(path=str(png), full_page=True)
                bad = pg.query_selector('[data-testid="stException"]')
                print(png, "EXCEPTION ON PAGE" if bad else "ok")
            b.close()
    finally:
        srv.terminate()
        srv.wait(10)


if __name__ == "__main__":
    main()
