"""`gan-explorer lessons` (the list) and `gan-explorer lesson NAME` (run one headless).

`lesson NAME` exits 0 when the lesson's effect showed within its step budget, 1 when it did not,
and 2 for bad input (an unknown name gets the list of names), as every subcommand does.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import torch

from .cli_args import UsageError, positive_int
from .data import DATA_ENV, load_mnist
from .device import cpu_summary, resolve_device
from .lesson_runner import LessonResult, run_lesson, trains_on_images
from .lessons import LESSONS, Lesson, RunRecord
from .metrics import default_judge, digit_reference

EXIT_NOT_SHOWN = 1


def add_lessons(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lessons", help="list the lessons (one-click experiments with a promised effect)")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(handler=_lessons)


def lesson_dict(lesson: Lesson) -> dict[str, Any]:
    return {"name": lesson.name, "title": lesson.title, "text": lesson.text, "effect": lesson.effect,
            "runs": list(lesson.runs), "checkpoint": lesson.checkpoint or None, "tab": lesson.tab,
            "max_steps": lesson.max_steps, "check_every": lesson.check_every, "try_this": lesson.try_this}


def _lessons(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([lesson_dict(lesson) for lesson in LESSONS.values()], indent=1))
        return 0
    width = max(len(name) for name in LESSONS)
    for lesson in LESSONS.values():
        what = " vs ".join(lesson.runs) if lesson.runs else f"checkpoint {lesson.checkpoint}"
        budget = f"{lesson.max_steps:,} steps" if lesson.max_steps else "no training"
        print(f"{lesson.name:<{width}}  {lesson.title} ({what}; {budget})")
    return 0


def add_lesson(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lesson", help="run a lesson headless and say whether and when its effect showed",
                              description="Train the lesson's run (or both runs, interleaved on one thread) "
                                          "and check its promised effect as it trains. Exit 0: the effect "
                                          "showed within the lesson's step budget; 1: it did not.")
    p.add_argument("name", metavar="NAME", help="a lesson's name (gan-explorer lessons lists them)")
    p.add_argument("--max-steps", type=positive_int, help="stop earlier than the lesson's budget")
    p.add_argument("--data-root", help=f"folder holding MNIST/raw/ (default ${DATA_ENV} or ~/.cache/gan-explorer)")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=positive_int, default=1,
                   help="CPU threads for PyTorch (default 1: the lessons' budgets were measured so)")
    p.set_defaults(handler=_lesson)


def _lesson(args: argparse.Namespace) -> int:
    lesson = LESSONS.get(args.name)
    if lesson is None:
        raise UsageError(f"Unknown lesson {args.name!r}: choose one of {', '.join(LESSONS)}.")
    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    print(f"{lesson.title}\n{lesson.text}\nPromised: {lesson.effect}\n{cpu_summary()}", file=sys.stderr)
    data, reference = None, None
    if trains_on_images(lesson):
        data = load_mnist(args.data_root)
        reference = digit_reference(default_judge(), load_mnist(args.data_root, train=False))
    elif lesson.findings:  # a checkpoint lesson's checks read real test digits
        data = load_mnist(args.data_root, train=False)
    result = run_lesson(lesson, data, device=str(device), reference=reference, max_steps=args.max_steps,
                        progress=print_progress)
    for finding in result.findings:
        print(f"{'held' if finding.held else 'FAILED'}: {finding.what} ({finding.figures})")
    print(_verdict(result))
    return 0 if result.passed else EXIT_NOT_SHOWN


def print_progress(runs: tuple[RunRecord, ...], seconds: float) -> None:
    parts = []
    for label, run in zip("AB", runs):
        name = f"{label} ({run.preset})" if len(runs) > 1 else run.preset
        scores = ""
        if run.history:
            last = run.history[-1]
            d_real, d_fake = (last[k] if isinstance(last, dict) else getattr(last, k) for k in ("d_real", "d_fake"))
            scores = f"D(x) {d_real:.2f}, D(G(z)) {d_fake:.2f}, "
        parts.append(f"{name}: {scores}{run.samples_line}, {run.finding_kind}")
    print(f"step {runs[0].step:,} ({seconds:.0f} s): " + " | ".join(parts), file=sys.stderr)


def _verdict(result: LessonResult) -> str:
    lesson = result.lesson
    if result.shown_at is None:
        return (f"{lesson.name}: the effect did NOT show within {result.steps:,} steps "
                f"({result.seconds:.0f} s). Promised: {lesson.effect}")
    where = f"at step {result.shown_at:,}" if lesson.runs else "on the shipped checkpoint"
    return f"{lesson.name}: the effect showed {where} ({result.seconds:.0f} s). {lesson.effect}"
