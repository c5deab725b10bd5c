"""`import core` stays light: no streamlit, torch or transformers at import time."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CORE_MODULES = ["core", "core.models", "core.settings", "core.text", "core.corpus"]


def test_import_core_loads_neither_streamlit_nor_torch():
    """`import core` and every concept module (core.rag, core.lora, ...) stay light; adapter
    submodules that exist to wrap a heavy library (core.rag.embedding) load it when used."""
    code = (
        "import sys, importlib\n"
        f"for m in {CORE_MODULES!r}: importlib.import_module(m)\n"
        "import pkgutil, core\n"
        "for info in pkgutil.iter_modules(core.__path__, 'core.'):\n"
        "    importlib.import_module(info.name)\n"
        "heavy = ('streamlit', 'torch', 'transformers', 'chromadb')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"imported at import time: {out.stdout.strip()}"


def test_core_never_imports_streamlit_in_source():
    offenders = [
        p.name
        for p in (ROOT / "core").rglob("*.py")
        if any(
            line.strip().startswith(("import streamlit", "from streamlit"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []
