"""The toolbox: each tool's real answer, and every failure as an observation."""

import pytest

from core.agents.tools import MAX_OBSERVATION_CHARS, Toolbox, facts, lookup, sentences_about
from core.word_problems import AGES, PRICES


@pytest.mark.parametrize(
    ("argument", "fact"),
    [
        ("price of a kite", "7 coins"),
        ("Price of a KITE", "7 coins"),
        ("price of kite", "7 coins"),
        ("  price  of a boat ", "240 coins"),
        ("age of Tom", "9 years"),
    ],
)
def test_lookup_forgives_case_spacing_and_the_article(argument, fact):
    assert lookup(argument) == fact


def test_the_fact_table_is_the_word_problems_table():
    table = facts()
    assert len(table) == len(PRICES) + len(AGES)
    assert all(table[f"price of a {k}"] == f"{v} coins" for k, v in PRICES.items())


def test_calls_never_raise():
    box = Toolbox()
    cases = {
        ("calculator", "3 + 4"): (True, "7"),
        ("calculator", "__import__('os')"): (False, "error: the calculator only reads"),
        ("lookup", "price of a dragon"): (False, "error: no fact for 'price of a dragon'"),
        ("search", "Tom"): (False, "error: search is not connected"),
        ("python", "1"): (False, "error: there is no tool python"),
        ("calculator", "1" * 500): (False, "error: the input is longer than 200"),
    }
    for (tool, arg), (ok, start) in cases.items():
        call = box.call(tool, arg)
        assert call.ok is ok and call.observation.startswith(start), (tool, call)


def test_search_reads_the_sentences_about_the_query():
    chunks = ["Mia lives in Dublin. Tom lives in Oslo. Tom has a pet fox.", "Tom likes soup."]
    box = Toolbox(search=lambda q: chunks)
    call = box.call("search", "Tom")
    assert call.ok
    assert call.observation == "Tom lives in Oslo. Tom has a pet fox. Tom likes soup."
    assert call.source.startswith("Mia lives in Dublin")


def test_a_failing_or_empty_search_is_an_observation():
    def down(q):
        raise ConnectionError("refused")

    assert Toolbox(search=down).call("search", "Tom").observation == (
        "error: the knowledge base did not answer (ConnectionError)"
    )
    assert (
        Toolbox(search=lambda q: [])
        .call("search", "Tom")
        .observation.startswith("error: nothing found")
    )
    assert not Toolbox(search=lambda q: ["x"]).call("search", "  ").ok


def test_a_huge_tool_output_is_shortened():
    box = Toolbox(search=lambda q: ["Tom " * 10_000 + "."])
    assert len(box.call("search", "Tom").observation) <= MAX_OBSERVATION_CHARS


def test_sentences_about_falls_back_to_the_best_chunk():
    assert sentences_about("Zed", ["Tom lives in Oslo."]) == "Tom lives in Oslo."
    assert sentences_about("Tom", []) == ""
