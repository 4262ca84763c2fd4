"""A person's session: their run (or two runs side by side), the background thread that trains it,
their uploaded checkpoints.

Each Session owns its Trainer and the thread that trains it, so a run outlives any single
request: a UI's stream only watches it, and Stop/Pause/lr changes from other requests act on it
between steps. A comparison's second run (`rival`, run B) trains in the same thread, in turn with
the first (compare.in_turn); Start, Stop, Pause, Step and Reset act on both. Plain Python: the app
keeps one per browser tab (ui/sessions.py), a script or a test may hold its own.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from .checkpoints import Checkpoint
from .compare import RunDiverged, in_turn, run_names, step_each
from .config import TrainConfig
from .cores import Borrower, CoreShare
from .diagnosis import Finding, RunState, diagnose
from .forkserver import Forkserver
from .models import Generator
from .process_run import can_train_apart, in_process
from .timelapse import Timelapse
from .trainer import Trainer

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
    name: str = ""  # in a comparison, the run named by what differs ("A: loss minimax"); else ""
    threads: int | None = None  # CPU threads its training uses now, where a server shares its cores out

    def keep_frame(self, force: bool = False) -> None:
        """Keep the fixed-noise grid of now when the timelapse is due (or empty: the noise the run
        starts from), or always when `force`d (a run's last step). A grid costs about one step."""
        step = self.trainer.step_count
        if force or not self.timelapse.frames or self.timelapse.due(step):
            self.timelapse.record(step, self.trainer.sample_fixed())

    def diagnosis(self) -> Finding:
        cfg = self.trainer.config
        return diagnose(RunState(self.trainer.history.tail(HISTORY_WINDOW), list(self.quality), cfg.conditional,
                                 cfg.loss, cfg.g_lr, cfg.d_lr))


@dataclass
class Session:
    run: Run | None = None
    rival: Run | None = None  # run B of a comparison, trained in turn with `run` (run A); None alone
    thread: threading.Thread | None = None
    checkpoints: dict[str, Checkpoint] = field(default_factory=Uploads)  # uploaded, by label
    embedding: Any = None  # the last t-SNE Embedding, so a click can find its point's z
    embedding_colours: str = ""  # what the last map's colours are read from, to redraw it in another style
    # what each panel whose picture follows its sliders shows: its inputs, by panel (ui/slider_route.py)
    moving: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    last_seen: float = field(default_factory=time.monotonic)
    cores: CoreShare | None = None  # the server's cores, when a server shares them out (ui/sessions.py)
    # Slow motion: the training thread rests this long after each round of steps (0: full speed). Read at
    # every round, so a run can be slowed down or sped up while it trains.
    rest_s: float = 0.0
    # Where its runs on drawn data train in a process of their own (process_run.py): the lab's sessions,
    # whose tab offers no Pause. None: they train in the session's thread, as every image run does.
    apart: Forkserver | None = None

    @property
    def trainer(self) -> Trainer | None:
        return self.run.trainer if self.run is not None else None

    @property
    def runs(self) -> tuple[Run, ...]:
        """The session's runs: none, run A alone, or runs A and B of a comparison."""
        return tuple(run for run in (self.run, self.rival) if run is not None)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def wait(self, seconds: float) -> None:
        """Block for `seconds`, or until the run ends if that is sooner. A lock wait, not a sleep loop: a
        thread that wakes to poll takes the GIL from the training thread between its operations."""
        thread = self.thread
        if thread is not None:
            thread.join(max(seconds, 0.0))

    @property
    def paused(self) -> bool:
        return self.trainer is not None and self.trainer.paused

    def adopt(self, trainer: Trainer, rival: Trainer | None = None) -> Run:
        """The Run of `trainer` (and of `rival`, run B beside it): the current ones, or fresh ones
        when either trainer is new. Two runs are named by what differs between them."""
        current = (self.trainer, self.rival.trainer if self.rival is not None else None)
        if current != (trainer, rival):
            names = run_names(trainer.config, rival.config) if rival is not None else ("", "")
            self.run = Run(trainer, name=names[0])
            self.rival = Run(rival, name=names[1]) if rival is not None else None
            for run in self.runs:
                run.keep_frame()  # the grid it starts from
        return self.run

    def kept_runs(self, config: TrainConfig, rival: TrainConfig | None) -> tuple[Trainer, Trainer | None] | None:
        """The session's trainers for run A's `config` and run B's `rival` settings when only live
        settings of run A changed (applied now) and run B is the same; None when new runs are needed."""
        trainer, current = self.trainer, self.rival.trainer if self.rival is not None else None
        if trainer is None or trainer.stopped or (current.config if current is not None else None) != rival:
            return None
        return None if trainer.apply(config).needs_new_run else (trainer, current)

    def start_run(self, trainer: Trainer, steps: int, quality_fn: QualityFn | None,
                  quality_every: int, rival: Trainer | None = None) -> None:
        """Train `steps` more steps (of each run, in turn, with a `rival`) in a background thread."""
        if self.running:
            raise RunAlreadyGoing("A run is already going: Pause/Resume or Stop it (Reset starts afresh).")
        self.adopt(trainer, rival)
        for run in self.runs:
            run.error, run.start_step = None, run.trainer.step_count
            run.target_step = run.trainer.step_count + steps
        self.thread = threading.Thread(target=self._train, name="gan-explorer-train", daemon=True,
                                       args=(self.runs, steps, quality_fn, quality_every, self.cores,
                                             lambda: self.rest_s, self.apart))
        self.thread.start()

    @staticmethod
    def _train(runs: tuple[Run, ...], steps: int, quality_fn: QualityFn | None, quality_every: int,
               cores: CoreShare | None, rest: Callable[[], float], apart: Forkserver | None) -> None:
        trainers = [run.trainer for run in runs]
        if cores is not None and quality_fn is not None:
            quality_fn = cores.on_server_share(quality_fn)  # type: ignore[assignment]
        try:
            with cores.training() if cores is not None else nullcontext() as borrower:
                _next_round(borrower, runs)
                names = [run.name for run in runs]
                child = apart.child() if apart is not None and can_train_apart(trainers) else None
                rounds = in_process(trainers, *child, steps, names, rest) if child else in_turn(trainers, steps, names)
                for metrics in rounds:
                    _next_round(borrower, runs)  # between two rounds of steps: borrow or give back a core
                    for run, step in zip(runs, metrics):
                        _after_step(run, step.step, runs, quality_fn, quality_every)
                    if child is None and (seconds := rest()) > 0:
                        trainers[0].rest(seconds)  # Stop ends the rest
        except RunDiverged as e:  # said on the line of the run that diverged, which a comparison names
            runs[e.index].error = str(e) if len(runs) == 1 else f"{e} Both runs were stopped."
        except Exception as e:  # a bug must not kill the server silently: log it and show a short reason
            log.exception("training thread failed")
            runs[0].error = f"Training stopped by an unexpected error: {type(e).__name__}: {e}"
        finally:
            for run in runs:
                _keep_last_frame(run)

    def pause(self) -> None:
        """Pause training after the step in progress. Only run A's trainer waits: in a comparison the
        thread then halts where a round of steps begins, so both runs wait at the same step."""
        if self.run is not None:
            self.run.trainer.pause()

    def resume(self) -> None:
        for run in self.runs:
            run.trainer.resume()

    def step(self) -> None:
        """One step of each run by hand (Step), in turn; a run that diverges stops both (RunDiverged)."""
        step_each([run.trainer for run in self.runs], [run.name for run in self.runs])
        for run in self.runs:
            run.keep_frame()  # a stepped run replays too

    def to_checkpoints(self, info: dict[str, Any]) -> list[tuple[str, Checkpoint]]:
        """(tag, checkpoint) of each run, its quality checks in the info (loading it draws them again):
        tag "" alone; in a comparison "A" and "B", and each checkpoint records both runs' names."""
        compared = {"compared": [run.name for run in self.runs]} if self.rival is not None else {}
        return [(run.name.split(":")[0] if self.rival is not None else "",
                 run.trainer.to_checkpoint({**info, **compared, "quality": list(run.quality)})) for run in self.runs]

    def stop_run(self) -> None:
        """Stop the runs after their current step; the trainers are kept (Save and Explore still work).
        A comparison stops where a round of steps ends, so both runs stop at the same step: run A stops
        first (its next step would begin a round) and a paused run B finishes the round in progress."""
        first, *others = self.runs or (None,)
        if first is not None:
            first.trainer.stop()
        for run in others:
            run.trainer.resume()
        if self.thread is not None:
            self.thread.join(STOP_TIMEOUT_S)
        for run in others:
            run.trainer.stop()

    def reset(self) -> None:
        self.stop_run()
        self.run, self.rival, self.thread = None, None, None


def _next_round(borrower: Borrower | None, runs: tuple[Run, ...]) -> None:
    if borrower is not None:
        threads = borrower.next_round()
        for run in runs:
            run.threads = threads


def _after_step(run: Run, step: int, runs: tuple[Run, ...], quality_fn: QualityFn | None,
                quality_every: int) -> None:
    """What the training thread does after each step of a run: keep its grid when due, start a quality
    check, and stop every run when this one cannot recover (the reason names it in a comparison)."""
    run.keep_frame()
    if quality_fn is not None and step % quality_every == 0:
        _check_quality(run, quality_fn)
    if step % DIAGNOSE_EVERY == 0 and (finding := run.diagnosis()).hopeless:
        alone = len(runs) == 1
        run.error = f"{finding.line}. The run was stopped." if alone else \
            f"{run.name} · {finding.line}. Both runs were stopped."
        for other in runs:
            other.trainer.stop()


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
