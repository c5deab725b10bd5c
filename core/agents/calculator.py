"""The ``calculator[...]`` tool: arithmetic read by walking Python's AST, never ``eval``.

Only numbers, ``+ - * / // % **``, unary signs and parentheses are allowed; anything else (a
name, a call, an attribute, a string) is refused with a message the model can read back as
its observation. Size limits keep hostile input cheap: at most :data:`MAX_CHARS` characters,
:data:`MAX_DEPTH` levels of nesting, exponents up to :data:`MAX_EXPONENT` and results up to
:data:`MAX_MAGNITUDE` in size.

>>> calculate("3 + 4 * 2")
11
>>> calculate("7 / 2")
3.5
>>> try:
...     calculate("__import__('os')")
... except ToolError as e:
...     print(e)
the calculator only reads numbers and + - * / // % ** ( ), not a call
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any, cast

MAX_CHARS = 200
MAX_DEPTH = 30
MAX_EXPONENT = 64
MAX_MAGNITUDE = 10**30

_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_WHAT = {
    ast.Call: "a call",
    ast.Name: "a name",
    ast.Attribute: "an attribute",
    ast.Subscript: "an index",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
}


class ToolError(ValueError):
    """A tool refused its input; the message is the observation the model reads."""


def _refuse(node: ast.AST) -> ToolError:
    what = _WHAT.get(type(node), type(node).__name__.lower())
    return ToolError(f"the calculator only reads numbers and + - * / // % ** ( ), not {what}")


def check_number(x: int | float, where: str = "the calculator") -> int | float:
    """``x`` when it is a finite number within :data:`MAX_MAGNITUDE`, else a :class:`ToolError`."""
    if isinstance(x, float) and not math.isfinite(x):
        raise ToolError(f"{where} got a number too large to show")
    if abs(x) > MAX_MAGNITUDE:
        raise ToolError(f"{where} refuses results above 10^30")
    return x


def binary(op: ast.operator, left: int | float, right: int | float, where: str) -> int | float:
    """One arithmetic operation with the size and zero-division checks of every tool."""
    fn = _BIN.get(type(op))
    if fn is None:
        raise ToolError(f"{where} does not do {type(op).__name__}")
    if isinstance(op, ast.Pow) and abs(right) > MAX_EXPONENT:
        raise ToolError(f"{where} refuses exponents above {MAX_EXPONENT}")
    # the size of a product or a power is known before it is computed: refuse it then
    if isinstance(op, ast.Pow | ast.Mult):
        size = math.log10(max(abs(left), 1))
        size = (
            size * abs(right) if isinstance(op, ast.Pow) else size + math.log10(max(abs(right), 1))
        )
        if size > 30.5:
            raise ToolError(f"{where} refuses results above 10^30")
    try:
        return check_number(fn(left, right), where)
    except ZeroDivisionError:
        raise ToolError(f"{where} cannot divide by zero") from None
    except OverflowError:
        raise ToolError(f"{where} got a number too large to show") from None


def _eval(node: ast.AST, depth: int) -> int | float:
    if depth > MAX_DEPTH:
        raise ToolError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return check_number(cast(float, node.value))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, depth + 1))
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, depth + 1), _eval(node.right, depth + 1)
        return binary(node.op, left, right, "the calculator")
    raise _refuse(node)


def parse_expression(text: str, max_chars: int = MAX_CHARS) -> ast.expr:
    """The AST of one expression, or a :class:`ToolError` saying why it is not one."""
    text = text.strip()
    if not text:
        raise ToolError("the calculator got an empty expression")
    if len(text) > max_chars:
        raise ToolError(f"the expression is longer than {max_chars} characters")
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ToolError(f"the calculator cannot read {text[:40]!r}") from None


def calculate(text: str) -> int | float:
    """The value of an arithmetic expression such as ``"12 * (3 + 4)"``.

    Whole results are given as ints (``7 / 7`` is 1), so an observation reads like the numbers
    of the word problems.

    Raises:
        ToolError: not arithmetic, too long, too deep, too large, or a division by zero.
    """
    value = _eval(parse_expression(text), 0)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def show(value: int | float) -> str:
    """A tool result as the model reads it: whole numbers bare, others to 6 significant digits.

    >>> show(12), show(2.5), show(1 / 3)
    ('12', '2.5', '0.333333')
    """
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
