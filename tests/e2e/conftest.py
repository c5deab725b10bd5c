"""Real-browser fixtures: a `streamlit run` server on a free port and Debian's Chromium.

In CI (CI=true) a missing Chromium or Playwright is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import pytest

from tests.conftest import ROOT, free_port
from ui.serving import ERROR_KEY

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
_BASE_PATH_PROBE = re.compile(r"^http://127\.0\.0\.1:\d+/[\w-]+/_stcore/(health|host-config)$")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _require(ok: bool, why: str) -> None:
    """Fail in CI (the browser test must run there); skip only on a developer's machine."""
    if not ok:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"e2e cannot run here: {why}")


@contextmanager
def streamlit_server(workdir, **env_extra: str):
    """``streamlit run serve.py`` on a free loopback port; yields its URL."""
    port = free_port()
    env = dict(os.environ, GENAI_DATA_DIR=str(workdir / "data"), **env_extra)
    log = open(workdir / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("e2e")) as url:
        yield url


@pytest.fixture(scope="session")
def online_server_url(tmp_path_factory):
    """A second server that is online, its Hugging Face Hub a local mirror (tests/hub_mirror)."""
    from tests.hub_mirror import hub_mirror

    work = tmp_path_factory.mktemp("e2e-online")
    with hub_mirror(work) as mirror:
        online = {
            "GENAI_OFFLINE": "",
            "HF_HUB_OFFLINE": "0",
            "TRANSFORMERS_OFFLINE": "0",
            "HF_ENDPOINT": mirror,
            "HF_HOME": str(work / "hf-home"),
        }
        with streamlit_server(work, **online) as url:
            yield url


@pytest.fixture(scope="session")
def browser():
    _require(shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM), f"no {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageVisit:
    """One browser tab on the app that records console errors and waits for reruns to end."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _on_console(self, m) -> None:
        url = m.location.get("url", "")
        # On a deep link (/metrics) Streamlit's client first probes /metrics/_stcore/health and
        # /metrics/_stcore/host-config to find the server's base path, then falls back to /.
        if m.type == "error" and not _BASE_PATH_PROBE.search(url):
            self.console_errors.append(f"{m.text} [{url}]")

    def open(self, path: str = "/", *, timeout_s: float = 180) -> PageVisit:
        self.page.goto(self.base_url + path, timeout=60_000)
        self.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        self.wait_idle(timeout_s=timeout_s)
        return self

    def wait_idle(self, *, timeout_s: float = 180) -> None:
        """Wait until the script has finished running (no running status, no spinner)."""
        deadline = time.time() + timeout_s
        quiet_since = None
        while time.time() < deadline:
            state = self.page.get_attribute('[data-testid="stApp"]', "data-test-script-state")
            spinner = self.page.query_selector('[data-testid="stSpinner"]')
            if state not in (None, "initial", "running", "rerunRequested") and spinner is None:
                quiet_since = quiet_since or time.time()
                if time.time() - quiet_since > 1.5:
                    return
            else:
                quiet_since = None
            self.page.wait_for_timeout(250)
        raise AssertionError(f"page still running after {timeout_s:.0f} s")

    def type_into(self, box, text: str, *, submit: str = "Control+Enter") -> None:
        """Type ``text`` into a text box (a locator) as a learner does, and wait for the rerun."""
        box.fill(text)
        box.press(submit)
        self.wait_idle()

    def pick_sidebar_generator(self, option: str) -> None:
        """Choose ``option`` (its label, e.g. ``"gpt2 (hub)"``) in the sidebar's generator."""
        box = self.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        # the sidebar is long (every page listed): a box at its bottom edge opens no menu
        box.evaluate("e => e.scrollIntoView({block: 'center'})")
        box.click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.wait_idle()

    def main_text(self) -> str:
        """Everything the page's main area shows, as text."""
        return self.page.inner_text('[data-testid="stMain"]')

    def exceptions(self) -> list[str]:
        """Streamlit's exception boxes and serve.py's escaped page errors alike."""
        boxes = f'[data-testid="stException"], .st-key-{ERROR_KEY}'
        return [e.inner_text() for e in self.page.query_selector_all(boxes)]

    def assert_clean(self) -> None:
        assert self.exceptions() == [], self.exceptions()
        assert self.console_errors == [], self.console_errors

    def close(self) -> None:
        self.page.close()


@pytest.fixture()
def visit(browser, server_url):
    tabs: list[PageVisit] = []

    def make(base_url: str = server_url) -> PageVisit:
        tabs.append(PageVisit(browser, base_url))
        return tabs[-1]

    yield make
    for t in tabs:
        t.close()
