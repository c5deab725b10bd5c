"""Fixtures shared by the core.prompting tests."""

from __future__ import annotations

import pytest

from core import models


@pytest.fixture(scope="module")
def tiny():
    return models.load_causal_lm("tiny-gpt")
