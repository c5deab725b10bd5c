"""The PAL interpreter: a small Python subset run by walking the AST under an allowlist.

A program-aided answer is a few lines such as ``have = 3`` / ``answer = have + bought - given``.
This module runs them without ``exec``: every node type is on an allowlist or refused, so there
is no import, no attribute (hence no ``__class__`` / ``__globals__`` escape), no function
definition (hence no recursion), no file or network access. What is allowed: assignments and
augmented assignments to plain names, ``if`` / ``for`` (over ``range``) / ``while`` with
``break`` / ``continue``, arithmetic and comparisons, short strings and lists, and the calls
:data:`FUNCTIONS`. Limits bound what a hostile program can cost: :attr:`RunLimits.max_steps`
evaluated nodes, :attr:`RunLimits.seconds` of wall clock, strings and lists up to
:attr:`RunLimits.max_items`, numbers up to 10^30 (the calculator's own checks).

Why our own and not smolagents' ``LocalPythonExecutor``: the word problems need a dozen node
types, and a learner can read the whole allowlist on one screen; smolagents' executor runs a far
larger subset (imports from an allowlist, functions, classes) and is a further dependency, with
its own documentation warning that it is not a security boundary. Here the step counter also
makes a limit deterministic (the same program stops at the same step on any machine).

>>> r = run_program("have = 3\\nbought = 4\\ngiven = 2\\nanswer = have + bought - given")
>>> r.ok, r.answer, r.variables["bought"]
(True, 5, 4)
>>> run_program("import os").error
'line 1: import is not allowed'
>>> run_program("while True:\\n    x = 1").error
'line 1: stopped after 10000 steps (a loop that does not end?)'
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from core.agents.calculator import ToolError, binary, check_number, show
from core.knobs import check, knob

FUNCTIONS = ("abs", "min", "max", "round", "int", "float", "len", "sum", "range")
_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_NAMES = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.FunctionDef: "defining a function",
    ast.AsyncFunctionDef: "defining a function",
    ast.Lambda: "a lambda",
    ast.ClassDef: "defining a class",
    ast.Attribute: "an attribute (x.y)",
    ast.Subscript: "indexing (x[i])",
    ast.With: "with",
    ast.Try: "try",
    ast.Raise: "raise",
    ast.Global: "global",
    ast.Delete: "del",
    ast.Return: "return",
    ast.Yield: "yield",
    ast.Await: "await",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: ":=",
    ast.Starred: "*",
}


@dataclass(frozen=True)
class RunLimits:
    """What a program may cost before it is stopped.

    >>> RunLimits(max_steps=0)
    Traceback (most recent call last):
    ...
    ValueError: max_steps must be between 100 and 1,000,000, got 0
    """

    max_steps: int = knob(10_000, lo=100, hi=1_000_000, help="Evaluated AST nodes at most.")
    seconds: float = knob(1.0, lo=0.01, hi=10.0, help="Wall-clock seconds at most.")
    max_chars: int = knob(2_000, lo=10, hi=100_000, help="Longest program text.")
    max_items: int = knob(10_000, lo=10, hi=1_000_000, help="Longest string or list.")
    max_depth: int = knob(30, lo=5, hi=200, help="Deepest nesting of the program's syntax.")

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class ProgramResult:
    """What a run gave: the ``answer`` variable, every variable, and why it stopped.

    Attributes:
        ok: it ran to its end and set ``answer``.
        answer: the value of ``answer`` (None when not set or on an error).
        variables: every variable at the end (or at the error), in the order first set.
        error: why it failed, as the line the page (and a ReAct observation) shows.
        steps: AST nodes evaluated.
        seconds: wall clock.
    """

    ok: bool
    answer: Any
    variables: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    steps: int = 0
    seconds: float = 0.0

    @property
    def observation(self) -> str:
        """The one line a transcript shows for this run."""
        if self.error is not None:
            return f"error: {self.error}"
        return show(self.answer) if isinstance(self.answer, int | float) else repr(self.answer)


class _Stop(Exception):
    """A refusal or a limit, at a line of the program."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Run:
    def __init__(self, limits: RunLimits) -> None:
        self.limits = limits
        self.vars: dict[str, Any] = {}
        self.steps = 0
        self.deadline = time.perf_counter() + limits.seconds
        self.line: int | None = None

    def tick(self, node: ast.AST) -> None:
        self.steps += 1
        self.line = getattr(node, "lineno", self.line)
        if self.steps > self.limits.max_steps:
            raise _Stop(
                f"stopped after {self.limits.max_steps} steps (a loop that does not end?)",
                self.line,
            )
        if self.steps % 64 == 0 and time.perf_counter() > self.deadline:
            raise _Stop(f"stopped after {self.limits.seconds:g} s", self.line)

    def sized(self, value: Any) -> Any:
        if isinstance(value, str | list | tuple) and len(value) > self.limits.max_items:
            raise _Stop(f"a value longer than {self.limits.max_items} items", self.line)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            try:
                return check_number(value, "the program")
            except ToolError as e:
                raise _Stop(str(e), self.line) from None
        return value

    # --- statements ---------------------------------------------------------------------
    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, node: ast.stmt) -> None:
        self.tick(node)
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                raise _Stop("assign to one plain name (x = ...)", node.lineno)
            self.store(node.targets[0].id, self.expr(node.value))
        elif isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name):
                raise _Stop("assign to one plain name (x += ...)", node.lineno)
            name = node.target.id
            self.store(name, self.binop(node.op, self.load(name), self.expr(node.value)))
        elif isinstance(node, ast.Expr):
            self.expr(node.value)
        elif isinstance(node, ast.If):
            self.block(node.body if self.expr(node.test) else node.orelse)
        elif isinstance(node, ast.While):
            while self.expr(node.test):
                if self.loop_body(node.body):
                    break
            else:
                self.block(node.orelse)
        elif isinstance(node, ast.For):
            if not isinstance(node.target, ast.Name):
                raise _Stop("a for loop needs one plain name (for i in range(n))", node.lineno)
            items = self.expr(node.iter)
            if not isinstance(items, range | list | tuple | str):
                raise _Stop("a for loop goes over range(...), a list or a string", node.lineno)
            for item in items:
                self.tick(node)
                self.store(node.target.id, item)
                if self.loop_body(node.body):
                    break
            else:
                self.block(node.orelse)
        elif isinstance(node, ast.Pass):
            pass
        elif isinstance(node, ast.Break):
            raise _Break
        elif isinstance(node, ast.Continue):
            raise _Continue
        else:
            raise self.refuse(node)

    def loop_body(self, body: list[ast.stmt]) -> bool:
        """Run one pass of a loop; True when it hit ``break``."""
        try:
            self.block(body)
        except _Break:
            return True
        except _Continue:
            pass
        return False

    def store(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            raise _Stop(f"names starting with _ are not allowed ({name})", self.line)
        if name in FUNCTIONS:
            raise _Stop(f"{name} is a function here; pick another name", self.line)
        if name not in self.vars and len(self.vars) >= 100:
            raise _Stop("more than 100 variables", self.line)
        self.vars[name] = self.sized(value)

    def load(self, name: str) -> Any:
        if name.startswith("_"):
            raise _Stop(f"names starting with _ are not allowed ({name})", self.line)
        if name not in self.vars:
            raise _Stop(f"{name} is not defined", self.line)
        return self.vars[name]

    def refuse(self, node: ast.AST) -> _Stop:
        what = _NAMES.get(type(node), type(node).__name__)
        return _Stop(f"{what} is not allowed", getattr(node, "lineno", self.line))

    # --- expressions --------------------------------------------------------------------
    def expr(self, node: ast.expr) -> Any:
        self.tick(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bytes | complex) or node.value is Ellipsis:
                raise _Stop(f"{type(node.value).__name__} values are not allowed", self.line)
            return self.sized(node.value)
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            return self.load(node.id)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.UnaryOp):
            v = self.expr(node.operand)
            if isinstance(node.op, ast.Not):
                return not v
            if not isinstance(v, int | float):
                raise _Stop("a sign goes before a number", self.line)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.BoolOp):
            value: Any = None
            for v in node.values:
                value = self.expr(v)
                if isinstance(node.op, ast.And) != bool(value):
                    return value
            return value
        if isinstance(node, ast.Compare):
            left = self.expr(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                fn = _COMPARE.get(type(op))
                if fn is None:
                    raise self.refuse(op)
                right = self.expr(comp)
                try:
                    if not fn(left, right):
                        return False
                except TypeError:
                    raise _Stop("cannot compare these values", self.line) from None
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.expr(node.body) if self.expr(node.test) else self.expr(node.orelse)
        if isinstance(node, ast.List | ast.Tuple):
            if len(node.elts) > self.limits.max_items:
                raise _Stop(f"a list longer than {self.limits.max_items} items", self.line)
            return [self.expr(e) for e in node.elts]
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(node)

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        nums = (int, float)
        if isinstance(left, nums) and isinstance(right, nums):
            try:
                return binary(op, left, right, "the program")
            except ToolError as e:
                raise _Stop(str(e), self.line) from None
        seqs = (str, list)
        if isinstance(op, ast.Add) and isinstance(left, seqs) and type(left) is type(right):
            return self.sized_len(len(left) + len(right), lambda: cast(Any, left) + right)
        if isinstance(op, ast.Mult):
            seq, n = (left, right) if isinstance(left, seqs) else (right, left)
            if isinstance(seq, seqs) and isinstance(n, int) and not isinstance(n, bool):
                return self.sized_len(len(seq) * max(n, 0), lambda: seq * n)
        raise _Stop(
            f"cannot apply {type(op).__name__} to {type(left).__name__} and {type(right).__name__}",
            self.line,
        )

    def sized_len(self, n: int, make: Any) -> Any:
        if n > self.limits.max_items:  # refused before the value is built
            raise _Stop(f"a value longer than {self.limits.max_items} items", self.line)
        return make()

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this"
            raise _Stop(f"calling {name} is not allowed (only {', '.join(FUNCTIONS)})", self.line)
        if node.keywords:
            raise _Stop("keyword arguments are not allowed", self.line)
        args = [self.expr(a) for a in node.args]
        fn = node.func.id
        try:
            if fn == "range":
                if not all(isinstance(a, int) for a in args) or not 1 <= len(args) <= 3:
                    raise _Stop("range takes one to three whole numbers", self.line)
                r = range(*args)
                if len(r) > self.limits.max_steps:
                    raise _Stop(f"range longer than {self.limits.max_steps}", self.line)
                return r
            if fn in ("sum", "min", "max") and len(args) == 1:
                seq = args[0]
                if not isinstance(seq, list | range) or not all(
                    isinstance(x, int | float) for x in seq
                ):
                    raise _Stop(f"{fn} takes numbers", self.line)
                self.steps += len(seq)
            builtin: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max}
            builtin |= {"round": round, "int": int, "float": float, "len": len, "sum": sum}
            if fn in ("int", "float") and args and isinstance(args[0], str) and len(args[0]) > 40:
                raise _Stop(f"{fn} of a string longer than 40 characters", self.line)
            return self.sized(builtin[fn](*args))
        except (TypeError, ValueError, OverflowError) as e:
            raise _Stop(f"{fn}: {e}", self.line) from None


def _depth(node: ast.AST, limit: int) -> int:
    """The nesting depth of a syntax tree, stopping once past ``limit``."""
    stack, deepest = [(node, 1)], 0
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(n))
    return deepest


def run_program(text: str, limits: RunLimits | None = None) -> ProgramResult:
    """Run a PAL program and read its ``answer`` variable.

    Never raises for anything in ``text``: a refusal, a limit or a Python error becomes
    :attr:`ProgramResult.error` (``"line N: ..."``), with the variables set until then.
    """
    limits = limits or RunLimits()
    t0 = time.perf_counter()
    if len(text) > limits.max_chars:
        return ProgramResult(
            False, None, error=f"the program is longer than {limits.max_chars} characters"
        )
    try:
        tree = ast.parse(text or "", mode="exec")
    except SyntaxError as e:
        return ProgramResult(False, None, error=f"line {e.lineno}: cannot read it ({e.msg})")
    except (ValueError, RecursionError, MemoryError) as e:
        return ProgramResult(False, None, error=f"cannot read it ({type(e).__name__})")
    if _depth(tree, limits.max_depth) > limits.max_depth:
        return ProgramResult(False, None, error=f"nested more than {limits.max_depth} levels")
    run = _Run(limits)
    error = None
    try:
        run.block(tree.body)
    except _Stop as e:
        error = f"line {e.line}: {e}" if e.line else str(e)
    except (_Break, _Continue):
        error = "break or continue outside a loop"
    except RecursionError:  # pragma: no cover - the depth check comes first
        error = "nested too deeply"
    seconds = time.perf_counter() - t0
    answer = run.vars.get("answer")
    if error is None and "answer" not in run.vars:
        error = "the program never set answer"
    return ProgramResult(error is None, answer, dict(run.vars), error, run.steps, seconds)
