"""`gan-explorer lab`: train a 2-D lab preset for a few seeds and measure each run's samples
(modes covered and high-quality share for the Gaussian mixtures, modes.py), as JSON or one line a seed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from .checkpoints import save_checkpoint
from .cli_args import add_config_flags, config_overrides, positive_int, prepare_output
from .datasets import DATASETS, POINTS
from .device import cpu_summary
from .modes import coverage_line
from .parsing import InputError, number_list
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
    p.add_argument("--out", help="save the run as a checkpoint (.safetensors; one seed), for gan-explorer evaluate")
    add_config_flags(p, "ring", skip=("seed",))  # --seeds gives the seeds
    p.set_defaults(handler=_lab)


def lab_runs(name: str, steps: int, seeds: list[int], settings: dict[str, Any] | None = None,
             out: Path | None = None) -> list[dict[str, Any]]:
    """Each seed's run of the preset (with `settings` changed): its measure after `steps` steps and its
    training speed. `out`: where the last seed's run is saved."""
    results = []
    for seed in seeds:
        trainer = Trainer(preset(name, **(settings or {}), seed=seed), "cpu")
        for _ in trainer.run(max_steps=steps):
            pass
        config = trainer.config
        quality = DATASETS[config.dataset].quality(trainer.snapshot(), config) or {}
        results.append({"preset": name, "settings": settings or {}, "seed": seed, "steps": steps,
                        "steps_per_second": steps / max(trainer.train_seconds, 1e-9), **quality})
    if out is not None:
        save_checkpoint(trainer.to_checkpoint({"preset": name, "quality": [{"step": steps, **quality}]}), out)
    return results


def _lab(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    seeds = number_list("--seeds", args.seeds)
    if args.out and len(seeds) != 1:
        raise InputError(f"--out saves one run: give one seed (--seeds {seeds[0]}), not {len(seeds)}.")
    out = prepare_output(args.out, (".safetensors",)) if args.out else None
    settings = config_overrides(args)
    results = lab_runs(args.preset, args.steps, list(seeds), settings, out)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(cpu_summary(), file=sys.stderr)
    changed = f" ({', '.join(f'{k}={v}' for k, v in settings.items())})" if settings else ""
    for r in results:
        measured = coverage_line(r) if "modes" in r else "no measure for this dataset"
        print(f"{r['preset']}{changed} seed {r['seed']}, {r['steps']} steps ({r['steps_per_second']:.0f}/s): {measured}")
    if out is not None:
        print(f"Saved {out} (gan-explorer evaluate --checkpoint {out}).", file=sys.stderr)
    return 0
