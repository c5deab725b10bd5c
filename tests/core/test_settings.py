from __future__ import annotations

import pytest

from core.settings import settings_from_env


def test_defaults():
    s = settings_from_env({})
    assert s.offline is None and s.chroma_host is None and s.chroma_port == 8000
    assert s.data_dir.name == "data" and (s.assets_dir / "models").exists()
    assert s.runs_dir == s.data_dir / "runs"


@pytest.mark.parametrize(
    ("flag", "offline"), [("1", True), ("true", True), ("0", False), ("", None)]
)
def test_offline_flag(flag, offline):
    assert settings_from_env({"GENAI_OFFLINE": flag}).offline is offline


def test_invalid_values_raise_plain_errors():
    with pytest.raises(ValueError, match="port"):
        settings_from_env({"GENAI_CHROMA_PORT": "70000"})
    with pytest.raises(ValueError, match="MAX_CHARS"):
        settings_from_env({"GENAI_MAX_CHARS": "10"})
