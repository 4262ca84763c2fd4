"""A person's session: their run, the background thread that trains it, their uploaded checkpoints.

Each Session owns its Trainer and the thread that trains it, so a run outlives any single
request: a UI's stream only watches it, and Stop/Pause/lr changes from other requests act on it
between steps. Plain Python: the app keeps one per browser tab (ui/sessions.py), a script or a
test may hold its own.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .checkpoints import Checkpoint
from .diagnosis import Finding, RunState, diagnose
from .models import Generator
from .timelapse import Timelapse
from .trainer import Trainer, TrainingDiverged

log = logging.getLogger(__name__)

# quick_quality(generator) -> {"fid", "inception_score", "class_histogram", "confident_share", ...}; None = off
QualityFn = Callable[[Generator], dict[str, Any]]
STOP_TIMEOUT_S = 5.0
DIAGNOSE_EVERY = 25  # steps between the training thread's checks for a hopeless run (a few ms each)
HISTORY_WINDOW = 3000  # steps a diagnosis reads: enough for G's earlier gradient level, cheap to scan
MAX_UPLOADS = 4  # uploaded checkpoints a session keeps in memory (each is a G and a D); the oldest goes


class RunAlreadyGoing(RuntimeError):
    """Start was asked for while the session's run is training."""


class Uploads(OrderedDict):
    """A session's uploaded checkpoints by label, at most MAX_UPLOADS: a class uploading files for an
    hour must not grow the server without limit. Uploading a label again makes it the newest."""

    def __setitem__(self, label: str, checkpoint: Checkpoint) -> None:
        self.pop(label, None)
        super().__setitem__(label, checkpoint)
        while len(self) > MAX_UPLOADS:
            self.popitem(last=False)


@dataclass
class Run:
    """One training run and everything the page says about it. A new Trainer gets a new Run, so
    no target, quality check, error or diagnosis of an earlier run can show under it."""
    trainer: Trainer
    target_step: int = 0  # the step the last Start trains up to; 0 when stepped by hand
    start_step: int = 0  # the step that Start began from
    quality: list[dict[str, Any]] = field(default_factory=list)  # {"step", "fid", ...} per check
    quality_thread: threading.Thread | None = None
    error: str | None = None  # why the run ended early, shown in the status line
    timelapse: Timelapse = field(default_factory=Timelapse)  # the fixed-noise grid through the run, for replay

    def keep_frame(self, force: bool = False) -> None:
        """Keep the fixed-noise grid of now when the timelapse is due (or empty: the noise the run
        starts from), or always when `force`d (a run's last step). A grid costs about one step."""
        step = self.trainer.step_count
        if force or not self.timelapse.frames or self.timelapse.due(step):
            self.timelapse.record(step, self.trainer.sample_fixed())

    def diagnosis(self) -> Finding:
        cfg = self.trainer.config
        return diagnose(RunState(self.trainer.history[-HISTORY_WINDOW:], list(self.quality), cfg.conditional,
                                 cfg.loss, cfg.g_lr, cfg.d_lr))


@dataclass
class Session:
    run: Run | None = None
    thread: threading.Thread | None = None
    checkpoints: dict[str, Checkpoint] = field(default_factory=Uploads)  # uploaded, by label
    embedding: Any = None  # the last t-SNE Embedding, so a click can find its point's z
    embedding_colours: str = ""  # what the last map's colours are read from, to redraw it in another style
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def trainer(self) -> Trainer | None:
        return self.run.trainer if self.run is not None else None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def adopt(self, trainer: Trainer) -> Run:
        """The Run of `trainer`: the current one, or a fresh one when the trainer is new."""
        if self.run is None or self.run.trainer is not trainer:
            self.run = Run(trainer)
            self.run.keep_frame()  # the grid it starts from
        return self.run

    def start_run(self, trainer: Trainer, steps: int, quality_fn: QualityFn | None,
                  quality_every: int) -> None:
        """Train `steps` more steps in a background thread."""
        if self.running:
            raise RunAlreadyGoing("A run is already going: Pause/Resume or Stop it (Reset starts afresh).")
        run = self.adopt(trainer)
        run.error, run.start_step = None, trainer.step_count
        run.target_step = trainer.step_count + steps
        self.thread = threading.Thread(target=self._train, args=(run, steps, quality_fn, quality_every),
                                       name="gan-explorer-train", daemon=True)
        self.thread.start()

    @staticmethod
    def _train(run: Run, steps: int, quality_fn: QualityFn | None, quality_every: int) -> None:
        trainer = run.trainer
        try:
            for metrics in trainer.run(max_steps=steps):
                run.keep_frame()
                if quality_fn is not None and metrics.step % quality_every == 0:
                    _check_quality(run, quality_fn)
                if metrics.step % DIAGNOSE_EVERY == 0 and (finding := run.diagnosis()).hopeless:
                    run.error = f"{finding.line}. The run was stopped."
                    trainer.stop()
        except TrainingDiverged as e:
            run.error = str(e)
        except Exception as e:  # a bug must not kill the server silently: log it and show a short reason
            log.exception("training thread failed")
            run.error = f"Training stopped by an unexpected error: {type(e).__name__}: {e}"
        finally:
            _keep_last_frame(run)

    def stop_run(self) -> None:
        """Stop the run after its current step; the trainer is kept (Save and Explore still work)."""
        if self.trainer is not None:
            self.trainer.stop()
        if self.thread is not None:
            self.thread.join(STOP_TIMEOUT_S)

    def reset(self) -> None:
        self.stop_run()
        self.run, self.thread = None, None


def _keep_last_frame(run: Run) -> None:
    """The grid where the run ended, so a replay reaches its last step (a diverged G may fail to draw)."""
    try:
        run.keep_frame(force=True)
    except Exception:
        log.exception("could not keep the run's last grid")


def _check_quality(run: Run, quality_fn: QualityFn) -> None:
    """Score a snapshot in its own thread, so the training loop never waits for the metric."""
    if run.quality_thread is not None and run.quality_thread.is_alive():
        return  # the previous check is still running: skip this one rather than queue up
    generator, step = run.trainer.snapshot(), run.trainer.step_count

    def score() -> None:
        try:
            run.quality.append({"step": step, **quality_fn(generator)})
        except Exception:
            log.exception("quality check failed")

    run.quality_thread = threading.Thread(target=score, name="gan-explorer-quality", daemon=True)
    run.quality_thread.start()
