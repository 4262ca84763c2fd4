"""Every lesson's promised effect, checked on its full run: steps and seconds to the effect.

Steps to the effect are what the lesson's check counts, and on the CPU a run is deterministic given
its seed, so they do not depend on how busy the machine is. Seconds come two ways: as this run took
them (training and quality checks, on whatever else this machine was doing), and predicted for the
issue's 2-core AVX2 CPU, where the old `fast` recipe (batch 64, no weight average) trained
TARGET_BASELINE_STEPS_PER_S steps/s with one thread: steps / (the lesson's step rate here x
TARGET_BASELINE_STEPS_PER_S / the old recipe's step rate here), both rates measured in this process
(training only), and the whole run's seconds here, quality checks included, scaled by the same ratio of
machines (noisier: the load changes during the run). A pair lesson's step is one step of each run. Run it with ATEN_CPU_CAPABILITY=avx2
ONEDNN_MAX_CPU_ISA=AVX2 to imitate that CPU.

    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/lessons.py
    python benchmarks/lessons.py --lesson saturating-loss --lesson wgan-gp
"""
from __future__ import annotations

import argparse

import torch

from gan_explorer.cli_lessons import print_progress
from gan_explorer.data import MNISTTensors, load_mnist
from gan_explorer.device import cpu_summary
from gan_explorer.lesson_runner import run_lesson, step_rate
from gan_explorer.lessons import LESSONS, Lesson
from gan_explorer.metrics import default_judge, digit_reference
from gan_explorer.presets import DEFAULT_PRESET, PRESETS

TARGET_BASELINE_STEPS_PER_S = 15.5  # a real 2-core AVX2 CPU, the old `fast` recipe, one thread (15.1-16.0 measured)
BASELINE = {**PRESETS[DEFAULT_PRESET], "batch_size": 64, "ema_decay": 0.0}  # that recipe
RATE_STEPS = 20
RATE_ROUNDS = 3  # baseline and lesson timed in turn; the best round of each, as other jobs come and go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", action="append", choices=list(LESSONS), help="default: every lesson")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(cpu_summary(), f"torch threads {torch.get_num_threads()}")
    data, test = load_mnist(), load_mnist(train=False)
    reference = digit_reference(default_judge(), test)
    print(f"{'lesson':<22} {'shown at':>9} {'budget':>7} {'s here':>7} {'steps/s (old fast)':>19} "
          f"{'predicted s: training':>22} {'all':>5}")
    for name in args.lesson or list(LESSONS):
        lesson = LESSONS[name]
        # a checkpoint lesson's checks read real test digits
        result = run_lesson(lesson, data if lesson.runs else test, reference=reference, progress=print_progress)
        shown = "no" if result.shown_at is None else f"{result.shown_at:,}"
        if lesson.runs:
            baseline, rate = rates(lesson, data)
            steps = result.shown_at if result.shown_at is not None else result.steps
            training = steps * baseline / rate / TARGET_BASELINE_STEPS_PER_S
            scaled = result.seconds * baseline / TARGET_BASELINE_STEPS_PER_S
            rate_text = f"{rate:.1f} ({baseline:.1f})"
            print(f"{name:<22} {shown:>9} {lesson.max_steps:>7,} {result.seconds:>7.0f} {rate_text:>19} "
                  f"{training:>22.0f} {scaled:>5.0f}")
        else:
            print(f"{name:<22} {shown:>9} {'-':>7} {result.seconds:>7.1f} {'-':>19} {'-':>22} {'-':>5}")


def rates(lesson: Lesson, data: MNISTTensors) -> tuple[float, float]:
    """(the old fast recipe's steps/s, the lesson's steps/s), each the best of RATE_ROUNDS rounds in turn."""
    baseline = Lesson("baseline", "", "", "", lambda runs: None)
    rounds = [(step_rate(baseline, data, RATE_STEPS, configs=[BASELINE]), step_rate(lesson, data, RATE_STEPS))
              for _ in range(RATE_ROUNDS)]
    return max(r[0] for r in rounds), max(r[1] for r in rounds)


if __name__ == "__main__":
    main()
