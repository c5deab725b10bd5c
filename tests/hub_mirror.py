"""A local Hugging Face mirror on loopback (olah, offline mode) over repos built from our models.

The hub path is exercised for real with no network: ``huggingface_hub`` talks HTTP to olah,
which serves git repositories this helper makes from the project's own tiny-gpt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT, free_port

TINY_GPT = ROOT / "assets" / "models" / "tiny-gpt"
# hub id -> the folder its files come from: a catalog entry (picked in the sidebar) and an id a
# learner types. Both hold tiny-gpt, so the test can check the weights that arrive.
REPOS = {"openai-community/gpt2": TINY_GPT, "genai-playground/tiny-gpt": TINY_GPT}


def _git_repo(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy2(f, dest / f.name)
    git = ["git", "-c", "user.name=mirror", "-c", "user.email=mirror@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "mirror"], cwd=dest, check=True)


@contextmanager
def hub_mirror(workdir: Path):
    """Yield the mirror's URL (for ``HF_ENDPOINT``); the server stops on exit."""
    port = free_port()
    mirrors = workdir / "mirrors"
    for hub_id, src in REPOS.items():
        _git_repo(src, mirrors / "models" / hub_id)
    config = workdir / "olah.toml"
    config.write_text(
        "[basic]\n"
        f'host = "127.0.0.1"\nport = {port}\n'
        f'repos-path = "{workdir / "cache"}"\n'
        f'mirror-scheme = "http"\nmirror-netloc = "127.0.0.1:{port}"\n'
        f'mirror-lfs-netloc = "127.0.0.1:{port}"\n'
        f'mirrors-path = ["{mirrors}"]\n'
        "[accessibility]\noffline = true\n"
    )
    log = open(workdir / "olah.log", "w")
    cli = Path(sys.executable).with_name("olah-cli")
    proc = subprocess.Popen(
        [str(cli) if cli.exists() else "olah-cli", "-c", str(config)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/models/genai-playground/tiny-gpt", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(
                        f"olah did not start: {(workdir / 'olah.log').read_text()}"
                    ) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
