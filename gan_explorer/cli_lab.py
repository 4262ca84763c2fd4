"""`gan-explorer lab`: train a 2-D lab preset for a few seeds and measure each run's samples
(modes covered and high-quality share for the Gaussian mixtures, modes.py), as JSON or one line a seed.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import torch

from .cli_args import add_config_flags, config_overrides, positive_int
from .datasets import DATASETS, POINTS
from .device import cpu_summary
from .modes import coverage_line
from .parsing import number_list
from .presets import preset, presets_of
from .trainer import Trainer


def add_lab(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lab", help="train a 2-D lab preset on a few seeds and measure its modes covered",
                              description="Train a 2-D preset (ring, grid, moons, curve) for each seed on one "
                                          "CPU thread and print the dataset's own measure of G's points.")
    p.add_argument("--preset", default="ring", choices=presets_of(POINTS), help="default ring")
    p.add_argument("--steps", type=positive_int, default=300, help="generator steps per run (default 300)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    add_config_flags(p, "ring", skip=("seed",))  # --seeds gives the seeds
    p.set_defaults(handler=_lab)


def lab_runs(name: str, steps: int, seeds: list[int], settings: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each seed's run of the preset (with `settings` changed): its measure after `steps` steps and its
    training speed."""
    results = []
    for seed in seeds:
        trainer = Trainer(preset(name, **(settings or {}), seed=seed), "cpu")
        for _ in trainer.run(max_steps=steps):
            pass
        config = trainer.config
        quality = DATASETS[config.dataset].quality(trainer.snapshot(), config) or {}
        results.append({"preset": name, "settings": settings or {}, "seed": seed, "steps": steps,
                        "steps_per_second": steps / max(trainer.train_seconds, 1e-9), **quality})
    return results


def _lab(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    seeds = number_list("--seeds", args.seeds)
    settings = config_overrides(args)
    results = lab_runs(args.preset, args.steps, list(seeds), settings)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(cpu_summary(), file=sys.stderr)
    changed = f" ({', '.join(f'{k}={v}' for k, v in settings.items())})" if settings else ""
    for r in results:
        measured = coverage_line(r) if "modes" in r else "no measure for this dataset"
        print(f"{r['preset']}{changed} seed {r['seed']}, {r['steps']} steps ({r['steps_per_second']:.0f}/s): {measured}")
    return 0
