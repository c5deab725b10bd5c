"""GenAI Playground's engine: pure Python, never imports streamlit.

Each concept is one module (``core.tokenizers``, ``core.attention``, ``core.sampling``, ...).
Heavy libraries (torch, transformers, chromadb) are imported inside the functions that need
them, so ``import core`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
