"""The PAL interpreter: programs the model writes run; hostile ones are refused within the
limits, with the line and the reason, never an exception or an escape."""

import time

import pytest

from core.agents.interpreter import RunLimits, run_program

VALID = [
    ("have = 3\nbought = 4\ngiven = 2\nanswer = have + bought - given", 5),
    ("boxes = 13\neach = 59\neaten = 65\nanswer = boxes * each - eaten", 702),
    ("people = 705\nleft = 204\nboarded = 425\nanswer = people - left + boarded", 926),
    ("answer = 0\nfor i in range(5):\n    answer += i", 10),
    ("n = 10\nanswer = 1\nwhile n > 1:\n    answer *= n\n    n -= 1", 3628800),
    ("x = 7\nif x > 5:\n    answer = 'big'\nelse:\n    answer = 'small'", "big"),
    ("answer = max(3, 9, 4) - min([5, 2])", 7),
    ("answer = sum([1, 2, 3]) + len('abc') + abs(-2) + round(2.6)", 14),
    ("answer = 7 / 2", 3.5),
    ("answer = 1 if 2 > 1 and not False else 0", 1),
    ("answer = 0\nfor i in range(10):\n    if i == 3:\n        break\n    answer = i", 2),
    ("answer = 0\nfor i in range(4):\n    if i % 2:\n        continue\n    answer += i", 2),
    ("answer = int('12') + float('0.5')", 12.5),
    ("answer = 'ab' * 3 + 'c'", "abababc"),
]


@pytest.mark.parametrize(("program", "answer"), VALID)
def test_valid_programs(program, answer):
    r = run_program(program)
    assert r.ok, r.error
    assert r.answer == answer
    assert r.error is None and r.steps > 0


def test_variables_are_reported_in_the_order_set():
    r = run_program("have = 3\nbought = 4\nanswer = have + bought")
    assert list(r.variables) == ["have", "bought", "answer"]
    assert r.observation == "7"


HOSTILE = [
    ("import os\nanswer = 1", "line 1: import is not allowed"),
    ("from os import system", "import is not allowed"),
    ("answer = __import__('os')", "calling __import__ is not allowed"),
    ("answer = ().__class__", "an attribute (x.y) is not allowed"),
    ("answer = open('/etc/passwd')", "calling open is not allowed"),
    ("answer = eval('1')", "calling eval is not allowed"),
    ("__builtins__ = 1", "names starting with _"),
    ("answer = __name__", "names starting with _"),
    ("def f(n):\n    return f(n)\nanswer = f(1)", "defining a function is not allowed"),
    ("answer = (lambda: 1)()", "calling this is not allowed"),
    ("class A: pass", "defining a class is not allowed"),
    ("while True:\n    pass", "stopped after 10000 steps"),
    ("x = 0\nwhile x < 10:\n    y = 1", "stopped after 10000 steps"),
    ("for i in range(10 ** 9):\n    pass", "range longer than 10000"),
    ("answer = 'a' * 10_000_000", "a value longer than 10000 items"),
    ("answer = [0] * 10_000_000", "a value longer than 10000 items"),
    ("s = 'ab'\nfor i in range(30):\n    s = s + s", "a value longer than 10000 items"),
    ("answer = 9 ** 9 ** 9", "exponents above 64"),
    ("answer = 10 ** 40", "above 10^30"),
    ("answer = 1 / 0", "divide by zero"),
    ("answer = x + 1", "x is not defined"),
    ("answer = [1][0]", "indexing (x[i]) is not allowed"),
    ("answer = {1: 2}", "a dict is not allowed"),
    ("answer = [x for x in range(3)]", "a comprehension is not allowed"),
    ("answer = f'{1}'", "an f-string is not allowed"),
    ("with open('x') as f:\n    pass", "with is not allowed"),
    ("try:\n    pass\nexcept Exception:\n    pass", "try is not allowed"),
    ("range = 3", "range is a function here"),
    ("answer = max(key=1)", "keyword arguments are not allowed"),
    ("answer = int('9' * 100)", "int of a string longer than 40"),
    ("answer = 'a' + 1", "cannot apply Add to str and int"),
    ("answer = (", "cannot read it"),
    ("x = 1", "the program never set answer"),
    ("", "the program never set answer"),
    ("answer = " + "-" * 200 + "1", "nested more than 30 levels"),
    ("x = 1\n" * 2000, "longer than 2000 characters"),
    ("break", "break or continue outside a loop"),
    ("answer = b'x'", "bytes values are not allowed"),
]


@pytest.mark.parametrize(("program", "message"), HOSTILE)
def test_hostile_programs_are_refused_within_the_limits(program, message):
    t0 = time.perf_counter()
    r = run_program(program)
    assert not r.ok and r.answer is None or not r.ok
    assert message in r.error
    assert r.observation.startswith("error: ")
    assert time.perf_counter() - t0 < 2.0


def test_the_time_limit_stops_a_slow_program():
    # each step is cheap; a tiny time budget with a large step budget stops on the clock
    limits = RunLimits(max_steps=1_000_000, seconds=0.05)
    r = run_program("x = 0\nwhile True:\n    x += 1", limits)
    assert "stopped after 0.05 s" in r.error
    assert r.variables["x"] > 0  # the variables up to the stop are kept


def test_the_step_limit_is_deterministic():
    prog = "x = 0\nwhile True:\n    x += 1"
    a, b = run_program(prog), run_program(prog)
    assert a.variables == b.variables and a.steps == b.steps


def test_an_error_keeps_the_variables_set_before_it():
    r = run_program("have = 3\nbought = 4\nanswer = have + lost")
    assert r.variables == {"have": 3, "bought": 4}
    assert r.error == "line 3: lost is not defined"
