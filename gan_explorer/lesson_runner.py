"""Run a lesson headless: train its runs interleaved on one thread, check their samples every
`check_every` steps, and stop as soon as the lesson's check says its effect showed.

The CLI (`gan-explorer lesson NAME`), benchmarks/lessons.py and the tests call run_lesson; the
app trains a lesson's runs in a session's thread, interleaved the same way (compare.in_turn), and
can ask the same check (Lesson.check) of what it has.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import metrics
from .checkpoints import SHIPPED_DIR, load_checkpoint
from .compare import in_turn
from .config import TrainConfig
from .data import MNISTTensors
from .datasets import DATASETS, IMAGES
from .lessons import Finding, Lesson, RunRecord, sample_spread
from .presets import PRESETS, preset
from .trainer import Trainer

QUALITY_SAMPLES = 500  # as the app's live check: what diagnosis' thresholds were measured at


@dataclass(frozen=True)
class LessonResult:
    lesson: Lesson
    shown_at: int | None  # the step at which the effect showed, None if not within the budget
    steps: int  # steps each run trained
    seconds: float  # wall-clock seconds from the start, training and checks, until shown or the budget ran out
    train_seconds: float  # of those, the seconds spent in training steps (all runs)
    runs: tuple[RunRecord, ...]
    findings: tuple[Finding, ...] = ()  # a checkpoint lesson's measured promises, when it has several

    @property
    def passed(self) -> bool:
        return self.shown_at is not None and self.shown_at <= self.lesson.max_steps


Progress = Callable[[tuple[RunRecord, ...], float], None]  # (the runs at a check, seconds so far)


def run_lesson(lesson: Lesson, data: MNISTTensors | None = None, *, device: str = "cpu",
               judge: metrics.Judge | None = None, reference: metrics.DigitReference | None = None,
               max_steps: int | None = None, progress: Progress | None = None) -> LessonResult:
    """Train the lesson's runs (A and B interleaved, step by step) up to its step budget (or
    `max_steps`), checking every check_every steps; a checkpoint lesson is checked once, with `data`
    its real digits (MNIST's test set) if its checks read any.
    `reference` (real digits' features, as the app's checks use) lets the checks tell real-looking
    digits from blobs the classifier reads as digits; without it they judge by confidence alone."""
    start = time.perf_counter()
    if lesson.checkpoint:
        ckpt = load_checkpoint(SHIPPED_DIR / f"{lesson.checkpoint}.safetensors")
        runs = (RunRecord(lesson.checkpoint, ckpt.config, ckpt.history, [], ckpt.step, ckpt.generator, data),)
        findings = tuple(lesson.findings(runs)) if lesson.findings else ()  # measured once, then reported
        shown = (0 if all(f.held for f in findings) else None) if findings else lesson.check(runs)
        return LessonResult(lesson, shown, 0, time.perf_counter() - start, 0.0, runs, findings)
    images = trains_on_images(lesson)
    if images and data is None:
        raise ValueError(f"Lesson {lesson.name} trains on MNIST: pass its training images.")
    judge = (judge or metrics.default_judge()) if images else None
    trainers = [Trainer(preset(name), device, data=data) for name in lesson.runs]
    quality: list[list[dict[str, Any]]] = [[] for _ in trainers]
    budget = lesson.max_steps if max_steps is None else max_steps
    runs: tuple[RunRecord, ...] = ()
    # A run whose losses become NaN stops there (its history shows it) and the other goes on.
    for step, _ in enumerate(in_turn(trainers, budget, keep_going=True), start=1):
        if step % lesson.check_every and step != budget:
            continue
        for trainer, checks in zip(trainers, quality):
            checks.append({"step": step, "sample_spread": sample_spread(trainer.sample_fixed()),
                           **_quality(trainer, judge, reference)})
        runs = tuple(RunRecord(name, t.config, list(t.history), list(q), step)
                     for name, t, q in zip(lesson.runs, trainers, quality))
        if progress is not None:
            progress(runs, time.perf_counter() - start)
        shown = lesson.check(runs)
        if shown is not None:
            return _result(lesson, shown, step, start, trainers, runs)
    return _result(lesson, None, budget, start, trainers, runs)


def trains_on_images(lesson: Lesson) -> bool:
    """Whether some run of the lesson learns images (it then needs MNIST and the classifier's checks)."""
    return any(DATASETS[preset(name).dataset].kind == IMAGES for name in lesson.runs)


def _quality(trainer: Trainer, judge: metrics.Judge | None, reference: metrics.DigitReference | None) -> dict[str, Any]:
    """The run's samples measured: by the dataset's own measure (modes covered, for the 2-D mixtures),
    or where it has none (images) by the MNIST classifier."""
    own = DATASETS[trainer.config.dataset].quality(trainer.snapshot(), trainer.config)
    if own is not None:
        return own
    return metrics.quick_quality(trainer.snapshot(), QUALITY_SAMPLES, judge=judge, reference=reference)


def _result(lesson: Lesson, shown: int | None, steps: int, start: float, trainers: list[Trainer],
            runs: tuple[RunRecord, ...]) -> LessonResult:
    return LessonResult(lesson, shown, steps, time.perf_counter() - start,
                        sum(t.train_seconds for t in trainers), runs)


def step_rate(lesson: Lesson, data: MNISTTensors, steps: int = 30, device: str = "cpu",
              configs: Sequence[Mapping[str, Any]] = ()) -> float:
    """Lesson steps per second of training alone (every run of the lesson one step), from `steps` timed
    steps after 5 warm-up steps: for turning steps-to-effect into seconds on this machine. `configs`
    (settings as dicts) replace the lesson's runs, to time a baseline the same way."""
    settings = configs or [PRESETS[name] for name in lesson.runs]
    trainers = [Trainer(TrainConfig(**s), device, data=data) for s in settings]
    for _ in in_turn(trainers, 5, keep_going=True):
        pass
    begin = [t.train_seconds for t in trainers]
    for _ in in_turn(trainers, steps, keep_going=True):
        pass
    return steps / sum(t.train_seconds - b for t, b in zip(trainers, begin))
