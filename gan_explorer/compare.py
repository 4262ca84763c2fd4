"""Two runs side by side: two configurations trained in turn on one thread, from the same seed
and so the same fixed noise, so a class sees what one setting changes and nothing else.

Stop, pause and resume act on both; each run keeps its own history, grid and checkpoint.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from .config import ConfigError, TrainConfig
from .data import MNISTTensors
from .trainer import StepMetrics, Trainer

NAMES = ("A", "B")


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


class Comparison:
    """Two trainers stepped in turn. Their configurations must differ, or there is nothing to see;
    they share the seed, so their weights start alike where the architectures allow it and their
    grids show the same noise."""

    def __init__(self, a: TrainConfig, b: TrainConfig, device: str = "auto",
                 data: MNISTTensors | None = None, data_root: str | None = None) -> None:
        b = b.replace(seed=a.seed)  # the same fixed noise, so the two grids show the same z
        if not differences(a, b):
            raise ConfigError("The two runs have the same settings (the seed is always shared): "
                              "change at least one other setting of run B.")
        self.trainers = (Trainer(a, device, data=data, data_root=data_root),
                         Trainer(b, device, data=data, data_root=data_root))
        self.names = run_names(a, b)

    @property
    def step_count(self) -> int:
        return min(t.step_count for t in self.trainers)

    def step(self) -> tuple[StepMetrics, StepMetrics]:
        """One step of each run."""
        return self.trainers[0].step(), self.trainers[1].step()

    def run(self, max_steps: int) -> Iterator[tuple[StepMetrics, StepMetrics]]:
        """`max_steps` steps of each, in turn (one thread: neither run gets ahead). Ends early when
        either run is stopped; a run that diverges raises TrainingDiverged as a single run does."""
        runs = [t.run(max_steps=max_steps) for t in self.trainers]
        yield from zip(*runs)

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
