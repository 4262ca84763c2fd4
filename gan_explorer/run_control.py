"""Run control: steps, limits, pause and stop from other threads, and the history of a run's metrics.

Thread model: one thread calls `step()` (or iterates `run()`); any other thread may call
`pause()`, `resume()`, `stop()` and the trainer's `update()`, `snapshot()`, `sample_fixed()`.
A lock makes those see the networks between steps, never half-way through an optimiser update.
"""
from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from .config import TrainConfig
from .datasets import Sampler
from .history import History, StepMetrics


class TrainingDiverged(RuntimeError):
    """The losses became NaN or infinite; the run was stopped."""


@dataclass(frozen=True)
class Launched:
    """A step queued on the device whose metrics have not been read yet."""
    step: int
    epoch: float
    start: float
    values: Tensor  # [d_loss, g_loss, D(x), D(G(z)), |grad G|, |grad D|]
    done: torch.cuda.Event | None
    g_lr: float
    d_lr: float


# Every run of this process that has not been garbage-collected, so that a test or an operator can
# find the runs still going (live_runs) without holding them alive. Only RunControl adds to it.
_RUNS: weakref.WeakSet[RunControl] = weakref.WeakSet()
_RUNS_LOCK = threading.Lock()


def live_runs() -> list[RunControl]:
    """The runs in this process that have not been stopped (training, paused or waiting for a step)."""
    with _RUNS_LOCK:
        runs = list(_RUNS)
    return [run for run in runs if not run.stopped]


class RunControl:
    """Stepping, limits, pause and stop; the subclass queues a step's work (`_launch`)."""

    config: TrainConfig
    device: torch.device
    sampler: Sampler

    def _init_control(self) -> None:
        self.step_count = 0
        self.train_seconds = 0.0
        self._last_finish = 0.0
        self.history = History()
        self._lock = threading.Lock()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._stopped = threading.Event()
        # Called with each change of live settings (Trainer.update): a run training in a process of its
        # own (process_run.py) passes them on to it.
        self.on_update: Callable[[dict[str, Any]], None] | None = None
        with _RUNS_LOCK:
            _RUNS.add(self)

    def _launch(self) -> Launched:
        """Queue one step's work on the device; its metrics are read by _finish()."""
        raise NotImplementedError

    def _check_not_stopped(self) -> None:
        if self._stopped.is_set():
            raise RuntimeError("This run was stopped; create a new Trainer (Reset) to train again.")

    def step(self) -> StepMetrics:
        """One generator update preceded by n_critic discriminator updates."""
        return self._finish(self._launch())

    def _finish(self, launched: Launched) -> StepMetrics:
        """Wait for a launched step and record its metrics (the step's one device sync)."""
        if launched.done is not None:
            launched.done.synchronize()
        cfg = self.config
        with self._lock:
            now = time.perf_counter()
            # Time since the later of this step's launch and the previous step's end: the step's
            # own cost both when steps run one at a time and when run() overlaps them.
            elapsed = now - max(launched.start, self._last_finish)
            self._last_finish = now
            self.train_seconds += elapsed
            metrics = StepMetrics(
                launched.step, launched.epoch, *launched.values.tolist(),
                images_per_sec=cfg.batch_size * cfg.n_critic / max(elapsed, 1e-9),
                wall_time=self.train_seconds, g_lr=launched.g_lr, d_lr=launched.d_lr)
            self.history.append(metrics)
        if not (math.isfinite(metrics.d_loss) and math.isfinite(metrics.g_loss)):
            self._stopped.set()
            raise TrainingDiverged(
                f"Training diverged at step {metrics.step}: the losses became "
                f"D={metrics.d_loss}, G={metrics.g_loss}. The run was stopped. Try lower learning "
                f"rates (now G {cfg.g_lr:g}, D {cfg.d_lr:g}) or a more stable loss such as wgan_gp.")
        return metrics

    def _limit_reached(self, start: tuple[int, float, float], max_steps: int | None, max_seconds: float | None,
                       max_epochs: float | None) -> bool:
        start_step, start_seconds, start_epoch = start
        return ((max_steps is not None and self.step_count - start_step >= max_steps)
                or (max_seconds is not None and self.train_seconds - start_seconds >= max_seconds)
                or (max_epochs is not None and self.sampler.epoch - start_epoch >= max_epochs))

    def run(self, max_steps: int | None = None, max_seconds: float | None = None,
            max_epochs: float | None = None) -> Iterator[StepMetrics]:
        """Train until stopped or the first limit is reached, yielding each step's metrics.

        While paused this blocks between steps; `stop()` from any thread ends it.
        Limits count from this call, so a second run() trains further. On a GPU the next step is
        queued before the last one's metrics are read, so the GPU never waits for Python.
        """
        start = (self.step_count, self.train_seconds, self.sampler.epoch)
        overlap = self.device.type == "cuda"
        pending: Launched | None = None
        while not self._stopped.is_set():
            if self._limit_reached(start, max_steps, max_seconds, max_epochs):
                break
            if pending is not None and self.paused:  # show the last step before waiting
                yield self._finish(pending)
                pending = None
            self._unpaused.wait()
            if self._stopped.is_set():
                break
            previous, pending = pending, self._launch()
            if previous is not None:
                yield self._finish(previous)
            if not overlap:
                yield self._finish(pending)
                pending = None
        if pending is not None:
            yield self._finish(pending)

    @property
    def lock(self) -> threading.Lock:
        """Held while a step changes the networks: hold it to read them between two steps (a view's frame)."""
        return self._lock

    # ------------------------------------------------------------------ control from other threads
    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    def stop(self) -> None:
        self._stopped.set()
        self._unpaused.set()  # wake a paused run() so it can return

    def rest(self, seconds: float) -> None:
        """Wait between two steps (slow motion) for `seconds`, or until the run is stopped."""
        self._stopped.wait(seconds)

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()
