"""core.knobs: one home per knob. A field's default, range, choices and help live in its metadata;
``check`` validates a config against them; every config in core that uses knobs keeps its own
defaults inside its own ranges and calls ``check`` from ``__post_init__``."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from dataclasses import dataclass

import numpy as np
import pytest

import core
from core.knobs import Knob, check, knob, knob_fields, spec


@dataclass(frozen=True)
class Demo:
    rate: float = knob(0.5, lo=0, hi=1, step=0.1, label="rate of fire", help="How often.")
    count: int = knob(3, lo=1, hi=10)
    floor: int = knob(0, lo=0)  # no upper limit
    mode: str = knob("fast", choices=("fast", "slow"))
    on: bool = knob(True)
    share: float = knob(0.0, lo=0, hi=1, step=0.01, hi_open=True)  # in [0, 1)
    cap: int | None = knob(None, lo=2, hi=10, of=int)  # optional
    plain: str = "not a knob"

    def __post_init__(self) -> None:
        check(self)


CASES = [  # (field, value, None when accepted or a piece of the message)
    ("rate", 0.0, None),
    ("rate", 1.0, None),  # inclusive range
    ("rate", 1, None),  # an int is a number too
    ("rate", np.float32(0.25), None),
    ("rate", 1.01, "rate of fire must be between 0 and 1, got 1.01"),
    ("rate", -0.5, "rate of fire must be between 0 and 1"),
    ("rate", float("nan"), "rate of fire must be a finite number"),
    ("rate", float("inf"), "rate of fire must be a finite number"),
    ("rate", "0.5", "rate must be a finite number, got '0.5'"),
    ("rate", True, "rate must be a finite number"),
    ("count", 10, None),
    ("count", np.int64(4), None),
    ("count", 0, "count must be between 1 and 10, got 0"),
    ("count", 11, "count must be between 1 and 10"),
    ("count", 2.5, "count must be a whole number, got 2.5"),
    ("count", False, "count must be a whole number"),
    ("floor", 10**12, None),
    ("floor", -1, "floor must be at least 0, got -1"),
    ("mode", "slow", None),
    ("mode", "medium", "mode must be one of ('fast', 'slow'), got 'medium'"),
    ("mode", 1, "mode must be a text"),
    ("on", False, None),
    ("on", 1, "on must be True or False"),
    ("share", 0.0, None),
    ("share", 0.999, None),
    ("share", 1.0, "share must be at least 0 and below 1, got 1.0"),
    ("share", 1, "share must be at least 0 and below 1, got 1"),
    ("share", -0.01, "share must be at least 0 and below 1"),
    ("share", float("nan"), "share must be a finite number"),
    ("cap", None, None),
    ("cap", 2, None),
    ("cap", 10, None),
    ("cap", 1, "cap must be between 2 and 10, got 1"),
    ("cap", 2.5, "cap must be a whole number"),
    ("cap", "3", "cap must be a whole number"),
    ("plain", 42, None),  # not a knob: left to the config's own checks
]


@pytest.mark.parametrize("field, value, message", CASES)
def test_check_accepts_the_range_and_says_what_is_wrong(field, value, message):
    if message is None:
        assert getattr(Demo(**{field: value}), field) == value
    else:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            Demo(**{field: value})


def test_spec_reads_the_field_back():
    k = spec(Demo, "rate")
    assert (k.default, k.lo, k.hi, k.step, k.help) == (0.5, 0.0, 1.0, 0.1, "How often.")
    assert isinstance(k.lo, float) and k.kind is float  # a float knob's range is float
    assert (k.name, k.label) == ("rate", "rate of fire")
    assert spec(Demo(), "count") == spec(Demo, "count")  # an instance reads as its class
    assert spec(Demo, "mode").choices == ("fast", "slow")
    names = ["rate", "count", "floor", "mode", "on", "share", "cap"]
    assert [f.name for f in knob_fields(Demo)] == names
    assert dataclasses.fields(Demo)[0].metadata["help"] == "How often."  # peft's key too
    with pytest.raises(KeyError, match="plain"):
        spec(Demo, "plain")
    with pytest.raises(dataclasses.FrozenInstanceError):
        k.hi = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"default": 0, "lo": 1}, "at least 1"),
        ({"default": 9, "lo": 1, "hi": 5}, "between 1 and 5"),
        ({"default": 2, "lo": 5, "hi": 1}, "range is empty"),
        ({"default": "c", "choices": ("a", "b")}, "one of"),
        ({"default": 1.0, "lo": 0, "hi": 1, "step": 0.1, "hi_open": True}, "below 1"),
        ({"default": 0.0, "lo": 0, "hi": 1, "hi_open": True}, "needs hi and a step"),
        ({"default": None}, "needs `of`"),
        ({"default": 3, "of": str}, "does not fit"),
        ({"default": None, "lo": 5, "hi": 1, "of": int}, "range is empty"),
    ],
)
def test_a_default_outside_its_own_knob_fails_when_the_class_is_defined(kwargs, message):
    with pytest.raises(ValueError, match=message):
        knob(**kwargs)


def test_an_optional_knob_with_a_default_takes_none_and_checks_values():
    @dataclass(frozen=True)
    class Cut:
        threshold: float | None = knob(0.25, of=float, lo=-1.0, hi=1.0)

        def __post_init__(self):
            check(self)

    assert Cut().threshold == 0.25 and Cut(threshold=None).threshold is None
    with pytest.raises(ValueError, match="between -1 and 1"):
        Cut(threshold=1.5)


@pytest.mark.parametrize(
    "value, expected", [(-1.0, 0.0), (0.3, 0.3), (7.0, 1.0)], ids=["below", "in", "above"]
)
def test_clamp(value, expected):
    assert Knob(0.5, lo=0.0, hi=1.0).clamp(value) == expected


def test_an_open_upper_end_is_offered_up_to_one_step_below_it():
    share, rate = spec(Demo, "share"), spec(Demo, "rate")
    assert (share.bounds, share.offered) == ((0.0, 1.0), (0.0, 0.99))
    assert share.problem(share.offered[1]) is None and share.problem(share.hi) is not None
    assert share.clamp(5.0) == 0.99 and isinstance(share.hi, float)
    assert rate.offered == rate.bounds == (0.0, 1.0)  # a closed end is offered as it is
    assert Knob(0, lo=0, hi=10, step=2, hi_open=True).offered == (0, 8)


def test_an_optional_knob_takes_none_or_a_value_of_its_kind():
    cap = spec(Demo, "cap")
    assert (cap.default, cap.kind, cap.lo, cap.hi) == (None, int, 2, 10)
    assert Demo().cap is None and Demo(cap=np.int64(4)).cap == 4
    flt = knob(None, lo=0, hi=1, of=float).metadata["knob"]
    assert isinstance(flt.lo, float) and flt.problem(0.5) is None and flt.problem(None) is None


# --- every config in core that uses knob() ----------------------------------------------------
def _knob_configs() -> list[type]:
    found = {}
    for info in pkgutil.walk_packages(core.__path__, "core."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if dataclasses.is_dataclass(obj) and obj.__module__ == info.name and knob_fields(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


CONFIGS = _knob_configs()


def test_the_configs_of_the_issue_use_knobs():
    names = {c.__name__ for c in CONFIGS}
    assert {"SamplingConfig", "LoraConfigSpec", "QuantConfig", "ChunkConfig"} <= names
    assert {"BpeConfig", "CorpusConfig"} <= names
    assert {"MetricsConfig", "ViewConfig", "AttentionConfig", "TinyGPTConfig"} <= names


# fields a config takes without default
REQUIRED = {"text": "low lower lowest newer wider", "url": "http://127.0.0.1:8100/v1", "model": "m"}


def _required(config: type) -> dict:
    return {
        f.name: REQUIRED[f.name]
        for f in dataclasses.fields(config)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_config_defaults_lie_inside_their_own_ranges_and_post_init_checks(config):
    need = _required(config)
    made = config(**need)  # built from its defaults (and a sample of what it requires)
    for k in knob_fields(config):
        value = getattr(made, k.name)
        assert k.problem(value) is None, (k.name, value)
        if k.lo is not None and k.hi is not None and k.default is not None:
            assert k.lo <= k.default <= k.hi
        outside = []
        if k.hi is not None:
            outside.append(k.hi + 1)
        if k.hi_open:
            outside.append(k.hi)
        if k.lo is not None:
            outside.append(k.lo - 1)
        if k.choices is not None:  # of the right type, so the message names the label
            outside.append("\u2603 not a choice" if k.kind is str else object())
        for bad in outside:  # the __post_init__ really runs check()
            with pytest.raises(ValueError, match=k.label):
                config(**need, **{k.name: k.kind(bad) if k.kind in (int, float) else bad})
