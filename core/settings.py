"""One settings object, read from the environment once.

Variables (all optional):
    GENAI_OFFLINE       "1" forces offline mode (no hub downloads tried), "0" forces online;
                        unset: probe huggingface.co once per minute.
    GENAI_DATA_DIR      where runs, adapters and the chromadb store live (default: ./data).
    GENAI_CHROMA_HOST   a Chroma server to share one store across a class (HttpClient).
    GENAI_CHROMA_PORT   its port (default 8000).
    GENAI_MAX_CHARS     longest text a page accepts before truncating (default 100000).
    GENAI_TRAIN_WORKERS training runs at the same time; the others wait in line (default 1).
    GENAI_KB_IDLE_MINUTES  minutes after its last use a browser session's own RAG knowledge base
                        is deleted (default 120).
    GENAI_DB_URL        the class database (a SQLAlchemy URL, e.g.
                        postgresql+psycopg://user@host/db for several app servers); default:
                        SQLite in the data folder.
    GENAI_LLM_URL       an OpenAI-compatible generation server (vLLM, or any server speaking the
                        same completions API), e.g. http://127.0.0.1:8100/v1; unset: every page
                        generates in-process.
    GENAI_LLM_MODEL     the model name that server serves (default tiny-gpt); pages use the
                        server only for the model of that name, the others stay in-process.
    GENAI_LLM_KEY       its API key, sent as a bearer token (default: none).
    GENAI_LLM_TIMEOUT   seconds to wait for the server's answer before a page falls back to the
                        in-process model (default 10).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """Process-wide settings; build with :func:`get_settings`."""

    offline: bool | None  # None: probe the network
    data_dir: Path
    assets_dir: Path
    chroma_host: str | None
    chroma_port: int
    max_chars: int
    train_workers: int = 1  # one CPU-bound run at a time: two would each take twice as long
    kb_idle_minutes: float = 120.0  # a session's own knowledge base lives this long unused
    db_url: str = ""  # the class database; empty: SQLite under data_dir
    llm_url: str = ""  # an OpenAI-compatible generation server; empty: in-process only
    llm_model: str = "tiny-gpt"  # the model name the server serves
    llm_key: str = ""  # its API key (bearer token); empty: none sent
    llm_timeout: float = 10.0  # a slow server is given up on after this many seconds

    def __post_init__(self) -> None:
        if not 1 <= self.chroma_port <= 65535:
            raise ValueError(f"GENAI_CHROMA_PORT must be a TCP port, got {self.chroma_port}")
        if self.max_chars < 1000:
            raise ValueError(f"GENAI_MAX_CHARS must be at least 1000, got {self.max_chars}")
        if not 1 <= self.train_workers <= 64:
            raise ValueError(
                f"GENAI_TRAIN_WORKERS must be between 1 and 64, got {self.train_workers}"
            )
        if not self.kb_idle_minutes > 0:
            raise ValueError(
                f"GENAI_KB_IDLE_MINUTES must be a positive number, got {self.kb_idle_minutes}"
            )
        if self.llm_url and not self.llm_url.startswith(("http://", "https://")):
            raise ValueError(
                f"GENAI_LLM_URL must start with http:// or https://, got {self.llm_url!r}"
            )
        if not 0 < self.llm_timeout <= 600:
            raise ValueError(
                f"GENAI_LLM_TIMEOUT must be between 0 and 600 seconds, got {self.llm_timeout}"
            )

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def class_db_url(self) -> str:
        """The class database's SQLAlchemy URL (``GENAI_DB_URL``, else SQLite in the data
        folder)."""
        return self.db_url or f"sqlite:///{self.data_dir / 'classroom.db'}"


def _flag(value: str | None) -> bool | None:
    if value is None or value.strip() == "":
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


def settings_from_env(env: dict[str, str] | os._Environ[str] | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default ``os.environ``)."""
    env = os.environ if env is None else env
    return Settings(
        offline=_flag(env.get("GENAI_OFFLINE")),
        data_dir=Path(env.get("GENAI_DATA_DIR") or ROOT / "data"),
        assets_dir=ROOT / "assets",
        chroma_host=env.get("GENAI_CHROMA_HOST") or None,
        chroma_port=int(env.get("GENAI_CHROMA_PORT") or 8000),
        max_chars=int(env.get("GENAI_MAX_CHARS") or 100_000),
        train_workers=int(env.get("GENAI_TRAIN_WORKERS") or 1),
        kb_idle_minutes=float(env.get("GENAI_KB_IDLE_MINUTES") or 120),
        db_url=(env.get("GENAI_DB_URL") or "").strip(),
        llm_url=(env.get("GENAI_LLM_URL") or "").strip().rstrip("/"),
        llm_model=(env.get("GENAI_LLM_MODEL") or "").strip() or "tiny-gpt",
        llm_key=(env.get("GENAI_LLM_KEY") or "").strip(),
        llm_timeout=float(env.get("GENAI_LLM_TIMEOUT") or 10),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return settings_from_env()
