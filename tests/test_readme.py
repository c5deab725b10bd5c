"""The README's two set-up commands exist, and CI runs exactly the test one."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [c.strip() for c in re.findall(r"```bash\n(.*?)```", setup, re.S)]


def test_exactly_two_setup_commands():
    cmds = _readme_commands()
    assert len(cmds) == 2
    assert cmds[0] == "pip install -r requirements.txt && streamlit run serve.py"
    assert "pytest" in cmds[1] and "requirements-dev.txt" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci.splitlines()


def test_torch_pinned_for_the_cpu_build():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().splitlines()


def test_readme_engine_snippet_runs():
    """The notebook example in the README is real code: run it."""
    text = (ROOT / "README.md").read_text()
    api = text.split("## Engine API", 1)[1]
    code = re.search(r"```python\n(.*?)```", api, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["toks"].tokens and scope["att"].weights.shape[0] == 6
    assert abs(float(scope["pick"].final_probs.sum()) - 1.0) < 1e-5
    assert scope["turn"].hits and "Oslo" in scope["turn"].hits[0].text
    assert scope["report"].bleu.score > 0 and len(scope["sizes"]) >= 1
    assert len(scope["text"].token_ids) == 20 and 1.0 < scope["ppl"] < 1e4
    assert scope["n_ctx"] == 256
