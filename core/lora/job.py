"""Run :func:`core.lora.train_lora` in a background thread and watch it from anywhere.

A web page must not block while a model trains: other browser sessions share the server.
:class:`LoraJob` starts the run in a daemon thread; any thread reads a consistent
:class:`JobSnapshot` (progress, every loss so far, timing, the result) and can ask it to stop.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from core.lora.data import LoraDataset
from core.lora.evaluate import ForgettingCheck
from core.lora.spec import LoraConfigSpec
from core.lora.train import TRAIN_LOCK, LoraRunResult, StepInfo

State = Literal["queued", "loading", "training", "evaluating", "done", "error"]


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's progress at one moment."""

    state: State
    step: int
    total_steps: int
    epoch: int
    train_losses: tuple[float, ...]
    val_losses: tuple[tuple[int, float], ...]
    elapsed: float
    steps_per_s: float
    message: str
    result: LoraRunResult | None
    forgetting: ForgettingCheck | None

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    @property
    def remaining(self) -> float | None:
        """Seconds left at the current pace (None before the first step)."""
        if self.steps_per_s <= 0 or not self.total_steps:
            return None
        return (self.total_steps - self.step) / self.steps_per_s

    @property
    def finished(self) -> bool:
        return self.state in ("done", "error")


class LoraJob:
    """One LoRA run in a background thread.

    Args:
        spec: the run's settings.
        dataset: validated rows for ``spec.task``.
        out_dir: where the adapter is saved (None: not saved).
        num_threads: torch threads for the training thread (the server's others keep theirs).
        forgetting: run :func:`core.lora.forgetting_check` after training.

    >>> # job = LoraJob(spec, data).start(); job.snapshot().fraction; job.stop()
    """

    def __init__(
        self,
        spec: LoraConfigSpec,
        dataset: LoraDataset,
        *,
        out_dir: str | None = None,
        num_threads: int | None = None,
        forgetting: bool = True,
    ) -> None:
        self.spec, self.dataset, self.out_dir = spec, dataset, out_dir
        self.num_threads, self.forgetting = num_threads, forgetting
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.perf_counter()
        self._state: State = "queued"
        self._step = self._total = self._epoch = 0
        self._losses: list[float] = []
        self._val: list[tuple[int, float]] = []
        self._rate = 0.0
        self._message = "Waiting for another training run on this server to finish..."
        self._result: LoraRunResult | None = None
        self._forgetting: ForgettingCheck | None = None

    def start(self) -> LoraJob:
        """Start the thread (once) and return self."""
        if self._thread is None:
            self._t0 = time.perf_counter()
            self._thread = threading.Thread(target=self._run, name="lora-train", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current step; what it learned is kept."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> JobSnapshot:
        """Wait for the thread (tests and scripts) and return the last snapshot."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return JobSnapshot(
                state=self._state, step=self._step, total_steps=self._total, epoch=self._epoch,
                train_losses=tuple(self._losses), val_losses=tuple(self._val),
                elapsed=time.perf_counter() - self._t0, steps_per_s=self._rate,
                message=self._message, result=self._result, forgetting=self._forgetting,
            )  # fmt: skip

    def _set(self, **kw) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, f"_{k}", v)

    def _on_step(self, info: StepInfo) -> None:
        with self._lock:
            self._state = "evaluating" if info.step == info.total_steps else "training"
            self._step, self._total, self._epoch = info.step, info.total_steps, info.epoch
            self._losses.append(info.train_loss)
            if info.val_loss is not None:
                self._val.append((info.step, info.val_loss))
            self._rate = info.steps_per_s
            self._message = (
                "Scoring base vs adapter on the held-out rows..."
                if self._state == "evaluating"
                else f"Epoch {info.epoch} of {self.spec.epochs}"
            )

    def _run(self) -> None:
        from core.lora.evaluate import forgetting_check
        from core.lora.train import train_lora

        try:
            with TRAIN_LOCK:
                self._set(state="loading", message="Loading a fresh copy of the model...")
                if self._stop.is_set():
                    self._set(state="done", message="Stopped before training started.")
                    return
                result = train_lora(
                    self.spec, self.dataset, on_step=self._on_step,
                    should_stop=self._stop.is_set, out_dir=self.out_dir,
                    num_threads=self.num_threads,
                )  # fmt: skip
                with self._lock:
                    self._losses = list(result.train_losses)
                    self._val = list(result.val_losses)
                    self._total = result.total_steps
                forgot = None
                if self.forgetting and not result.diverged and result.steps_done:
                    self._set(state="evaluating", message="Checking for forgetting...")
                    forgot = forgetting_check(result.model, result.tokenizer, self.spec.task)
                self._set(state="done", result=result, forgetting=forgot, message=result.message)
        except Exception as e:  # shown on the page, never a traceback
            self._set(state="error", message=f"{type(e).__name__}: {e}")
