"""The bench scripts in tiny mode, so they cannot rot: the websocket client against a tiny app,
load_students.py and bench_pages.py on the real app for a few seconds, and their key table."""

from __future__ import annotations

import asyncio
import re
import textwrap

import pytest

from bench import bench_pages, load_students
from bench.st_client import SCRIPT_ERROR_KEY, Tab, check_loopback
from bench.st_server import Server
from tests.conftest import ROOT

TINY_APP = """
import time

import streamlit as st


def main():
    st.title("tiny")
    choice = st.selectbox("pick", ["alpha", "beta"], key="pick")
    st.query_params["pick"] = choice
    if choice == "beta":
        st.error("a clear message, not a crash")

    @st.fragment
    def part():
        x = st.slider("x", 0, 5, key="x")
        st.write(f"x is {x}")

    part()
    if st.checkbox("boom", key="boom"):
        raise ValueError("boom pressed")
    if st.checkbox("slow", key="slow"):
        time.sleep(3)


def other():
    st.write("the other page")


st.navigation([st.Page(main, title="Main", default=True),
               st.Page(other, title="Other", url_path="other")]).run()
"""


# serve.py's way: an uncaught exception is drawn as an error box in a keyed container
TINY_SERVE = f"""
import streamlit as st


def on_error(exc):
    with st.container(key="{SCRIPT_ERROR_KEY}"):
        st.error(str(exc))
    return True


app = st.App("app.py", on_script_error=on_error)
"""


@pytest.fixture(scope="module", params=["app.py", "serve.py"])
def tiny_server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "app.py").write_text(textwrap.dedent(TINY_APP))
    (folder / "serve.py").write_text(textwrap.dedent(TINY_SERVE))
    server = Server("none", app=folder / request.param)
    url = server.start(timeout=60)
    yield url, request.param == "serve.py"
    server.stop()


def test_only_loopback_servers_are_driven():
    assert check_loopback("http://127.0.0.1:8501/") == "ws://127.0.0.1:8501"
    assert check_loopback("localhost:9000") == "ws://localhost:9000"
    for url in ("ws://10.0.0.1:8501", "ws://example.com:80", "ws://127.0.0.1"):
        with pytest.raises(ValueError, match="loopback"):
            check_loopback(url)


def test_the_client_speaks_the_protocol(tiny_server):
    url, served = tiny_server

    async def session():
        tab = await Tab.connect(url, run_timeout=30)
        try:
            first = await tab.open("")
            assert first.status == "ok" and not first.exceptions, first
            assert set(tab.pages) == {"", "other"} and tab.session_id
            assert tab.query == "pick=alpha"  # the page wrote its URL
            assert tab.widgets["x"].fragment_id and not tab.widgets["pick"].fragment_id

            frag = await tab.set_widget("x", 3)  # inside @st.fragment: only the fragment reruns
            assert frag.status == "fragment" and not frag.exceptions, frag

            pick = await tab.set_widget("pick", "beta")  # an option, sent as its label
            assert pick.status == "ok" and pick.errors_shown == 1 and not pick.exceptions
            assert tab.query == "pick=beta"

            boom = await tab.set_widget("boom", True)
            assert len(boom.exceptions) == 1, boom  # (the project's config redacts its text)
            assert boom.exceptions[0].startswith("script error box: boom pressed") == served, boom
            assert boom.errors_shown == pick.errors_shown  # the box is no page message
            assert await tab.set_widget("no_such_key", 1) is None

            other = await tab.open("other")
            assert other.status == "ok" and "x" not in tab.widgets
            with pytest.raises(ValueError, match="option"):
                await tab.open("")
                await tab.set_widget("pick", "gamma")

            tab.run_timeout = 1.0  # a run that does not finish in time is a timeout, not a hang
            slow = await tab.set_widget("slow", True)
            assert slow.status == "timeout" and 1.0 <= slow.seconds < 3.0, slow  # not the 3 s run
        finally:
            await tab.close()

    asyncio.run(session())


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert load_students.percentile(values, 50) == 50
    assert load_students.percentile(values, 95) == 95
    assert load_students.percentile([7.0], 95) == 7.0
    assert load_students.percentile([], 50) is None


@pytest.mark.slow
def test_load_students_tiny_run(capsys):
    argv = ["--students", "1", "--seconds", "4", "--pages", "home,metrics", "--interact"]
    assert load_students.main([*argv, "--file-watcher", "none", "--run-timeout", "60"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| 1 | none |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    runs, errors = int(cells[2]), int(cells[3])
    assert runs >= 2 and errors == 0, out
    assert re.search(r"\| 1 \| none \| metrics \| [1-9]", out), out
    assert float(cells[10]) > 50  # the server's RSS in MB was read


def test_every_key_of_the_table_is_a_widget_key_in_the_code():
    """A renamed key shows as n/a in the bench: this says which line of the table to update."""
    code = "\n".join(p.read_text() for d in ("pages", "ui") for p in (ROOT / d).glob("*.py"))
    missing = [key for _, key, _, _ in bench_pages.STEPS if f'"{key}"' not in code]
    assert not missing, f"keys in bench/bench_pages.py STEPS that no page uses: {missing}"
    assert set(bench_pages.ENGINES) >= {e for *_, e in bench_pages.STEPS if e}


def test_the_table_knows_every_page_and_the_served_error_box():
    from ui import navigation, serving

    assert sorted(bench_pages.SCRIPTS.values()) == sorted(p.path for p in navigation.PAGES)
    assert SCRIPT_ERROR_KEY == serving.ERROR_KEY


def test_a_missing_key_is_reported_not_a_crash():
    page = bench_pages.Page("pages/home.py", (bench_pages.Step("home_no_such", (1, 2), None),))
    rows = bench_pages.bench_page("home", page, repeats=1, timeout=60)
    assert rows[0].first is not None and rows[0].median is not None
    assert rows[1].note.startswith("n/a") and rows[1].median is None
    assert "| home | `home_no_such` |  | n/a | n/a |" in bench_pages.markdown(rows)


@pytest.mark.parametrize("engine", ["metric_scores", "ngram_matches", "tokenize", "train_bpe"])
def test_light_engine_calls_run(engine):
    label, seconds, note = bench_pages.engine_seconds(engine, {}, repeats=1)
    assert note == "" and seconds is not None and seconds > 0, note


@pytest.mark.slow
@pytest.mark.parametrize(
    "engine",
    sorted(set(bench_pages.ENGINES) - {"metric_scores", "ngram_matches", "tokenize", "train_bpe"}),
)
def test_model_engine_calls_run(engine):
    label, seconds, note = bench_pages.engine_seconds(engine, {}, repeats=1)
    assert note == "" and seconds is not None and seconds > 0, note


@pytest.mark.slow
@pytest.mark.parametrize("via", ["apptest", "server"])
def test_bench_pages_tiny_run(capsys, monkeypatch, tmp_path, via):
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))  # the script's default: a temp folder
    argv = ["--pages", "home,metrics", "--repeats", "1", "--via", via]
    assert bench_pages.main(argv) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| metrics |")]
    assert len(lines) == 1 + len(bench_pages.PAGES["metrics"].steps), out
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert cells[0][3] != "n/a" and cells[0][4] != "n/a", lines[0]  # first and warm load
    measured = [c for c in cells[1:] if c[4] != "n/a"]
    assert measured, out
    assert all(c[2] in {"full", "fragment", "full (AppTest)"} for c in measured), out
    assert all(c[5] in {"yes", "no"} and c[6] != "n/a" for c in measured), out
