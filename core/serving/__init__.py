"""Generation served by an OpenAI-compatible server (vLLM), beside the in-process default.

- :mod:`core.serving.client`: the HTTP client (token ids in, top logprobs and prompt logprobs
  out), :class:`~core.serving.client.ServerConfig` from ``GENAI_LLM_*`` and one error type,
  :class:`~core.serving.client.ServingError`.
- :mod:`core.serving.backend`: the one switch (in-process or served, with the in-process
  fallback) that callers of :mod:`core.generation` use.

Importing this package loads neither torch nor an HTTP library beyond the standard one.
"""

from __future__ import annotations

from core.serving.client import (
    BACKEND,
    MAX_LOGPROBS,
    Completion,
    PromptLogprobs,
    ServedStep,
    ServerConfig,
    ServerHealth,
    ServingError,
    complete,
    health,
    prompt_logprobs,
    server_from_settings,
)

__all__ = [
    "BACKEND",
    "MAX_LOGPROBS",
    "Completion",
    "PromptLogprobs",
    "ServedStep",
    "ServerConfig",
    "ServerHealth",
    "ServingError",
    "complete",
    "health",
    "prompt_logprobs",
    "server_from_settings",
]
