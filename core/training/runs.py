"""Run folders: one folder per saved run under the runs directory, never overwritten.

A run is saved by writing everything into a hidden temporary folder next to its final place,
then one ``os.rename``: a process killed mid-save leaves either the whole run or nothing listed
(the hidden leftover is swept later). A name already taken, on disk or by a run still training,
is refused with a free suggestion (:class:`RunNameTaken`), or made unique on request. Each run
records a tag of its owner (a hash, never the session id itself) so a list can show a learner
their own runs first and mark the others'.

>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> run = save_run("classrun", lambda p: None, {"score": 1}, kind="demo", owner="s1", runs_dir=d)
>>> run.name, run.meta["score"], run.mine("s1"), run.mine("s2")
('classrun', 1, True, False)
>>> suggest_name("classrun", d)
'classrun-2'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
META = "run.json"
LEGACY_META = {"lora_run.json": "lora"}  # folders saved before run.json existed
PARTIAL = ".partial-"  # prefix of the temporary folders a save writes into
RESERVED_KEYS = ("name", "kind", "owner_tag", "saved_at", "saved_ts")
PARTIAL_MAX_AGE_S = 600.0  # a save takes seconds: a partial folder this old was left by a kill


class RunNameTaken(ValueError):
    """The name is used by a saved run or by one still training; ``suggestion`` is free."""

    def __init__(self, name: str, suggestion: str) -> None:
        self.name, self.suggestion = name, suggestion
        super().__init__(
            f"a run named {name!r} exists already (or is still training): "
            f"pick another name, for example {suggestion!r}"
        )


def validate_run_name(name: str) -> str:
    """A run name safe to use as one folder under the runs directory.

    Only letters, digits, ``_`` and ``-`` (1 to 64 of them): no separators, no ``..``, no
    hidden files, so the folder can never land outside the runs directory.

    >>> validate_run_name("sentiment-r8")
    'sentiment-r8'

    Raises:
        ValueError: the name has any other character, or is empty or too long.
    """
    name = (name or "").strip()
    if not RUN_NAME.match(name) or ".." in name:
        raise ValueError(
            f"{name!r} is not a valid run name: use 1 to 64 letters, digits, '_' or '-' "
            "(no spaces, dots or slashes)."
        )
    return name


def owner_tag(owner: str) -> str:
    """What a run stores about its owner: a short hash (the session id itself stays secret).

    >>> owner_tag("abc") == owner_tag("abc") != owner_tag("abd"), owner_tag("")
    (True, '')
    """
    return hashlib.sha256(owner.encode()).hexdigest()[:16] if owner else ""


def runs_root(runs_dir: str | Path | None = None) -> Path:
    """The runs directory: ``runs_dir`` or the settings' ``data/runs``."""
    if runs_dir is not None:
        return Path(runs_dir).resolve()
    from core.settings import get_settings

    return get_settings().runs_dir.resolve()


def run_path(name: str, runs_dir: str | Path | None = None) -> Path:
    """The folder of a run: ``runs_dir / name`` with ``name`` validated (no path tricks)."""
    base = runs_root(runs_dir)
    path = (base / validate_run_name(name)).resolve()
    if path.parent != base:
        raise ValueError(f"{name!r} would leave the runs folder")
    return path


# --- names taken, on disk or by a run still training ----------------------------------------
_RESERVED: dict[Path, str] = {}  # run folder -> token of the reservation holding it
_RESERVED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Reservation:
    """A name held for a run that will be saved later (see :func:`reserve`)."""

    name: str
    path: Path
    token: str = field(repr=False)

    def release(self) -> None:
        """Let the name go (idempotent): the run was saved, cancelled or failed."""
        with _RESERVED_LOCK:
            if _RESERVED.get(self.path) == self.token:
                del _RESERVED[self.path]


def _taken(path: Path, token: str | None = None) -> bool:
    held = _RESERVED.get(path)
    return path.exists() or (held is not None and held != token)


def suggest_name(name: str, runs_dir: str | Path | None = None) -> str:
    """The first free ``name-2``, ``name-3``... (``name`` itself if free).

    Raises:
        ValueError: ``name`` is not a valid run name.
    """
    name = validate_run_name(name)
    base = runs_root(runs_dir)
    stem = re.sub(r"-\d{1,3}$", "", name) if _taken(base / name) else name
    with _RESERVED_LOCK:
        for i in range(1, 100_000):
            suffix = "" if i == 1 else f"-{i}"
            candidate = stem[: 64 - len(suffix)] + suffix
            if not _taken(base / candidate):
                return candidate
    raise ValueError(f"no free name left like {name!r}")  # pragma: no cover - 100k runs


def reserve(name: str, runs_dir: str | Path | None = None) -> Reservation:
    """Hold ``name`` for a run that is about to train, so no other run can take it meanwhile.

    Raises:
        ValueError: the name is not valid.
        RunNameTaken: a saved run or a reservation has it; the error carries a suggestion.
    """
    path = run_path(name, runs_dir)
    with _RESERVED_LOCK:
        if not _taken(path):
            token = uuid.uuid4().hex
            _RESERVED[path] = token
            return Reservation(path.name, path, token)
    raise RunNameTaken(path.name, suggest_name(path.name, runs_dir))


# --- saving ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SavedRun:
    """A saved run: its folder and what its ``run.json`` says."""

    name: str
    path: str
    kind: str
    owner_tag: str
    saved_at: str  # "2026-12-01 10:00:00 UTC"
    saved_ts: float  # seconds since the epoch, for sorting
    meta: dict = field(compare=False)  # the kind's own fields (spec, scores...)

    def mine(self, owner: str) -> bool:
        """Whether ``owner`` saved this run (False for runs saved without an owner)."""
        return bool(self.owner_tag) and self.owner_tag == owner_tag(owner)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def save_run(
    name: str,
    write: Callable[[Path], None],
    meta: dict[str, Any],
    *,
    kind: str,
    owner: str = "",
    runs_dir: str | Path | None = None,
    reservation: Reservation | None = None,
    unique: bool = False,
) -> SavedRun:
    """Save a run atomically: ``write(tmp)`` fills a hidden folder, ``run.json`` goes in last,
    then the folder is renamed into place.

    Args:
        name: the run's name (validated).
        write: writes the run's files into the folder it is given (adapter weights...).
        meta: JSON-able fields stored in ``run.json`` next to the name, kind, owner and time.
        kind: what saved it (``"lora"``...), so each page lists only its own runs.
        owner: who saved it (stored as :func:`owner_tag`).
        runs_dir: the runs directory (default: the settings').
        reservation: the :func:`reserve` that holds ``name`` for this run (released here).
        unique: if the name is taken, save under :func:`suggest_name`'s instead of raising.

    Returns:
        The :class:`SavedRun` (its ``name`` is the one used).

    Raises:
        RunNameTaken: the name is taken and ``unique`` is False.
        ValueError: bad name, or ``meta`` uses a reserved key.
    """
    bad = [k for k in RESERVED_KEYS if k in meta]
    if bad:
        raise ValueError(f"meta may not set {bad}: save_run writes them")
    base = runs_root(runs_dir)
    path = run_path(name, base)
    token = reservation.token if reservation is not None and reservation.path == path else None
    base.mkdir(parents=True, exist_ok=True)
    sweep_partial(base)
    tmp = base / f"{PARTIAL}{path.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write(tmp)
        now = time.time()
        record = {
            "name": path.name,
            "kind": kind,
            "owner_tag": owner_tag(owner),
            "saved_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now)),
            "saved_ts": now,
            **meta,
        }
        with open(tmp / META, "w") as f:
            json.dump(record, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        while True:
            with _RESERVED_LOCK:
                if not _taken(path, token):
                    try:
                        os.rename(tmp, path)  # atomic; fails if another process got there first
                    except OSError:
                        if not path.exists():
                            raise
                    else:
                        break
            if not unique:
                raise RunNameTaken(path.name, suggest_name(path.name, base))
            path = base / suggest_name(path.name, base)
            record["name"] = path.name
            (tmp / META).write_text(json.dumps(record, indent=1))
        _fsync_dir(base)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if reservation is not None:
            reservation.release()
    saved = _read(path)
    if saved is None:  # pragma: no cover - the folder was just renamed into place
        raise OSError(f"the run saved in {path} cannot be read back")
    return saved


def sweep_partial(runs_dir: str | Path | None = None, *, older_than_s: float = PARTIAL_MAX_AGE_S):
    """Delete the hidden folders that saves killed midway left behind; returns how many."""
    base = runs_root(runs_dir)
    if not base.is_dir():
        return 0
    n = 0
    cutoff = time.time() - older_than_s
    for d in base.iterdir():
        try:
            if d.name.startswith(PARTIAL) and d.stat().st_mtime <= cutoff:
                shutil.rmtree(d, ignore_errors=True)
                n += 1
        except OSError:
            continue
    return n


# --- listing and loading ---------------------------------------------------------------------
def _record(path: Path) -> tuple[dict, str] | None:
    """``(run.json's fields, kind)`` of a folder, reading a legacy meta file if need be."""
    try:
        record = json.loads((path / META).read_text())
        return (record, str(record["kind"])) if isinstance(record, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for legacy, kind in LEGACY_META.items():
        try:
            record = json.loads((path / legacy).read_text())
            if isinstance(record, dict):
                record.setdefault("saved_ts", (path / legacy).stat().st_mtime)
                return record, kind
        except (OSError, ValueError):
            continue
    return None


def _read(path: Path) -> SavedRun | None:
    """The run saved in ``path``, or None if it is not a complete run folder."""
    if not RUN_NAME.match(path.name) or not path.is_dir():
        return None
    found = _record(path)
    if found is None:
        return None
    record, kind = found
    meta = {k: v for k, v in record.items() if k not in RESERVED_KEYS}
    try:
        return SavedRun(
            name=path.name,
            path=str(path),
            kind=kind,
            owner_tag=str(record.get("owner_tag") or ""),
            saved_at=str(record.get("saved_at") or ""),
            saved_ts=float(record.get("saved_ts") or 0.0),
            meta=meta,
        )
    except (TypeError, ValueError):
        return None


def list_runs(
    runs_dir: str | Path | None = None, *, kind: str | None = None, owner: str | None = None
) -> list[SavedRun]:
    """Complete saved runs, newest first; with ``owner``, that owner's runs come first.

    Hidden folders (saves in progress or killed), folders without a readable ``run.json`` and
    runs of another ``kind`` are left out.
    """
    base = runs_root(runs_dir)
    if not base.is_dir():
        return []
    runs = [r for d in base.iterdir() if (r := _read(d)) is not None]
    runs = [r for r in runs if kind is None or r.kind == kind]
    runs.sort(key=lambda r: r.saved_ts, reverse=True)
    if owner is not None:
        runs.sort(key=lambda r: not r.mine(owner))  # stable: newest first within each group
    return runs


def get_run(name: str, runs_dir: str | Path | None = None, *, kind: str | None = None) -> SavedRun:
    """The saved run called ``name``.

    Raises:
        ValueError: bad name, or no complete run of that name (and kind).
    """
    run = _read(run_path(name, runs_dir))
    if run is None or (kind is not None and run.kind != kind):
        what = f"{kind} run" if kind else "run"
        raise ValueError(f"there is no saved {what} named {name!r}")
    return run
