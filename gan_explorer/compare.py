"""Two runs side by side: two configurations trained in turn on one thread, from the same seed
and so the same fixed noise, so a class sees what one setting changes and nothing else.

Stop, pause and resume act on both; each run keeps its own history, grid and checkpoint.
`in_turn` is the interleaving itself: the app's session (sessions.py) and the headless lessons
(lesson_runner.py) train their runs with it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

from .config import ConfigError, TrainConfig
from .data import MNISTTensors
from .trainer import StepMetrics, Trainer, TrainingDiverged

NAMES = ("A", "B")


class RunDiverged(TrainingDiverged):
    """One run of a comparison diverged; every run was stopped and the message names the one."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index  # which of the runs


def differences(a: TrainConfig, b: TrainConfig) -> list[str]:
    """The settings that differ, in the config's field order ("loss", "d_lr", ...)."""
    return [f.name for f in dataclasses.fields(TrainConfig) if getattr(a, f.name) != getattr(b, f.name)]


def run_names(a: TrainConfig, b: TrainConfig, most: int = 2) -> tuple[str, str]:
    """Each run named by what differs, e.g. ("A: loss minimax", "B: loss non_saturating"), so a
    chart's legend says what the comparison is about; at most `most` settings are named."""
    names = differences(a, b)
    shown, more = names[:most], " …" if len(names) > most else ""

    def name(tag: str, cfg: TrainConfig) -> str:
        return f"{tag}: " + ", ".join(f"{n} {getattr(cfg, n):g}" if isinstance(getattr(cfg, n), float)
                                      else f"{n} {getattr(cfg, n)}" for n in shown) + more

    return name(NAMES[0], a), name(NAMES[1], b)


def paired(a: TrainConfig, b: TrainConfig) -> TrainConfig:
    """Run B's settings for a comparison with run A: B's own, from A's seed (the same weights where
    the architectures allow it, the same fixed noise); refused when nothing else differs."""
    b = b.replace(seed=a.seed)
    if not differences(a, b):
        raise ConfigError("The two runs have the same settings (the seed is always shared): "
                          "change at least one other setting of run B.")
    return b


def in_turn(trainers: Sequence[Trainer], max_steps: int | None = None, names: Sequence[str] = (),
            keep_going: bool = False) -> Iterator[tuple[StepMetrics | None, ...]]:
    """One step of each run in turn, `max_steps` times (one thread: neither run gets ahead), as
    Trainer.run does for one: each waits while paused, and the whole ends when any run is stopped.

    A run that diverges stops every run and raises RunDiverged naming it (`names[i]`); with
    `keep_going` it stops alone, yields None from then on (its history shows why) and the others go on.
    """
    runs = [trainer.run(max_steps=max_steps) for trainer in trainers]
    going = [True] * len(runs)
    while any(going):
        metrics: list[StepMetrics | None] = [None] * len(runs)
        for i, run in enumerate(runs):
            if not going[i]:
                continue
            try:
                metrics[i] = next(run)
            except StopIteration:
                return
            except TrainingDiverged as e:
                if not keep_going:
                    raise _stop_all(trainers, names, i, e) from e
                going[i] = False
        yield tuple(metrics)


def step_each(trainers: Sequence[Trainer], names: Sequence[str] = ()) -> tuple[StepMetrics, ...]:
    """One step of each run, in turn, by hand (Step; also while paused, where in_turn would wait).
    A run that diverges stops every run and raises RunDiverged naming it."""
    metrics = []
    for i, trainer in enumerate(trainers):
        try:
            metrics.append(trainer.step())
        except TrainingDiverged as e:
            raise _stop_all(trainers, names, i, e) from e
    return tuple(metrics)


def _stop_all(trainers: Sequence[Trainer], names: Sequence[str], i: int, error: TrainingDiverged) -> RunDiverged:
    for trainer in trainers:
        trainer.stop()
    name = names[i] if i < len(names) else ""
    return RunDiverged(f"{name} · {error}" if name else str(error), i)


class Comparison:
    """Two trainers stepped in turn. Their configurations must differ, or there is nothing to see;
    they share the seed, so their weights start alike where the architectures allow it and their
    grids show the same noise."""

    def __init__(self, a: TrainConfig, b: TrainConfig, device: str = "auto",
                 data: MNISTTensors | None = None, data_root: str | None = None) -> None:
        b = paired(a, b)  # the same fixed noise, so the two grids show the same z
        self.trainers = (Trainer(a, device, data=data, data_root=data_root),
                         Trainer(b, device, data=data, data_root=data_root))
        self.names = run_names(a, b)

    @property
    def step_count(self) -> int:
        return min(t.step_count for t in self.trainers)

    def step(self) -> tuple[StepMetrics, ...]:
        """One step of each run."""
        return step_each(self.trainers, self.names)

    def run(self, max_steps: int) -> Iterator[tuple[StepMetrics | None, ...]]:
        """`max_steps` steps of each, in turn (in_turn). Ends early when either run is stopped;
        a run that diverges stops both and raises RunDiverged naming it."""
        yield from in_turn(self.trainers, max_steps, self.names)

    def pause(self) -> None:
        for t in self.trainers:
            t.pause()

    def resume(self) -> None:
        for t in self.trainers:
            t.resume()

    def stop(self) -> None:
        for t in self.trainers:
            t.stop()

    @property
    def paused(self) -> bool:
        return self.trainers[0].paused

    def info(self) -> dict[str, Any]:
        """What a saved checkpoint of either run should record of the comparison."""
        return {"compared": list(self.names)}
