"""The calculator tool: a case table of arithmetic and a hostile table, all answered or refused
without ``eval`` and within the size limits."""

import time

import pytest

from core.agents.calculator import MAX_CHARS, ToolError, calculate, show

VALID = [
    ("3 + 4", 7),
    ("3 + 4 * 2", 11),
    ("(3 + 4) * 2", 14),
    ("7 / 2", 3.5),
    ("8 / 2", 4),  # whole results as ints, like the problems' numbers
    ("7 // 2", 3),
    ("7 % 3", 1),
    ("2 ** 10", 1024),
    ("-5 + 2", -3),
    ("+5", 5),
    ("705 - 204 + 425", 926),
    ("132 * 248 - 448", 32288),
    ("0.1 + 0.2", 0.1 + 0.2),
    ("  12 *  3 ", 36),
    ("10 ** 30", 10**30),
]


@pytest.mark.parametrize(("text", "value"), VALID)
def test_valid_arithmetic(text, value):
    got = calculate(text)
    assert got == value
    assert type(got) is type(value)


HOSTILE = [
    ("__import__('os').system('ls')", "not a call"),
    ("().__class__.__bases__", "not an attribute"),
    ("x + 1", "not a name"),
    ("'a' * 10", "not constant"),  # strings are not numbers
    ("[1, 2]", "not list"),
    ("lambda: 1", "not a lambda"),
    ("1 < 2", "not a comparison"),
    ("9 ** 9 ** 9", "exponents above"),
    ("10 ** 31", "above 10^30"),
    ("99999999999 * 99999999999 * 99999999999", "above 10^30"),
    ("1 / 0", "divide by zero"),
    ("5 % 0", "divide by zero"),
    ("-(" * 40 + "1" + ")" * 40, "nested more than"),
    ("-" * 100 + "1", "nested more than"),
    ("1 +", "cannot read"),
    ("", "empty"),
    ("1" * (MAX_CHARS + 1), "longer than"),
    ("1e308 * 10", "above 10^30"),
    ("True + 1", "not constant"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_input_is_refused_quickly(text, message):
    t0 = time.perf_counter()
    with pytest.raises(ToolError, match=message.replace("^", r"\^")):
        calculate(text)
    assert time.perf_counter() - t0 < 1.0  # a refusal, not a computation that finished


def test_show_formats_results_like_the_problems():
    assert show(calculate("6 * 7")) == "42"
    assert show(calculate("1 / 3")) == "0.333333"
