"""Background training jobs, the queue they wait in, and run folders: one service for every page.

- :class:`Job`: work in its own thread with progress reports, Stop that keeps what was learned,
  a result, and an owner (a browser session id) whose end stops it.
- :class:`JobQueue`: first come, first served, ``GENAI_TRAIN_WORKERS`` at a time, each waiting
  job told its :class:`QueuePlace`; :func:`default_queue` is the process's one.
- :mod:`core.training.runs`: validated run names, atomic saves that never overwrite, lists that
  put the learner's own runs first.

>>> from core.training import Job, JobQueue
>>> JobQueue(workers=1).submit(Job(lambda ctx: "done", owner="s")).join(5).state
'done'

Importing this package loads neither torch nor streamlit.
"""

from __future__ import annotations

from core.training.job import (
    OWNER_GONE,
    STOPPED_BY_OWNER,
    Job,
    JobContext,
    JobStatus,
    OwnerWatch,
)
from core.training.queue import JobQueue, QueueError, QueuePlace, default_queue, ordinal
from core.training.runs import (
    Reservation,
    RunNameTaken,
    SavedRun,
    get_run,
    list_runs,
    owner_tag,
    reserve,
    run_path,
    save_run,
    suggest_name,
    sweep_partial,
    validate_run_name,
)

__all__ = [
    "OWNER_GONE",
    "STOPPED_BY_OWNER",
    "Job",
    "JobContext",
    "JobQueue",
    "JobStatus",
    "OwnerWatch",
    "QueueError",
    "QueuePlace",
    "Reservation",
    "RunNameTaken",
    "SavedRun",
    "default_queue",
    "get_run",
    "list_runs",
    "ordinal",
    "owner_tag",
    "reserve",
    "run_path",
    "save_run",
    "suggest_name",
    "sweep_partial",
    "validate_run_name",
]
