"""The `gan-explorer` CLI: train, sample, info, evaluate, train-classifier, invert, directions, lessons, lesson, lab.

Each subcommand is one `_add_<name>(subparsers)` function that declares its flags and sets
`handler`; `main` parses, dispatches, and turns any user error into one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from . import __version__, images
from .checkpoints import CheckpointError, load_checkpoint, save_checkpoint, sidecar_path
from .classifier import DEFAULT_CLASSIFIER, ClassifierError, load_classifier, train_classifier
from .cli_args import (
    EXIT_USER_ERROR,
    Parser,
    UsageError,
    add_config_flags,
    config_from_args,
    positive_float,
    positive_int,
    prepare_output,
)
from .cli_lab import add_lab
from .cli_latent import add_directions, add_invert
from .cli_lessons import add_lesson, add_lessons
from .config import ConfigError
from .data import DATA_ENV, NUM_CLASSES, DataNotFoundError, load_mnist
from .datasets import DATASETS, IMAGES, POINTS
from .device import DeviceError, precision_warning, resolve_device
from .latent import generate, sample
from .metrics import REFERENCE_STATS, MetricsError, evaluate_generator, quality_bar_failures
from .modes import QUALITY_SAMPLES
from .parsing import InputError
from .presets import DEFAULT_PRESET, presets_of
from .reference import build_reference
from .timelapse import DEFAULT_EVERY, MAX_FRAMES, Timelapse
from .trainer import GRID_SIDE, Trainer, TrainingDiverged

EXIT_INTERRUPTED = 130  # the shell convention for Ctrl-C
DEFAULT_STEPS = 1000  # used when no --steps/--epochs/--max-seconds is given
GRID_SCALE = 3  # PNG grids are upscaled so 28-pixel digits are visible at a glance
SAMPLE_CHUNK = 1024  # generate in chunks so --n 100000 does not need one huge batch

# ---------------------------------------------------------------- train

def _add_data_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", help=f"folder holding MNIST/raw/ (default ${DATA_ENV} or ~/.cache/gan-explorer)")


def _add_train(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a GAN on MNIST and save a checkpoint",
                              description="Train a GAN on MNIST. Stops at whichever limit comes first "
                                          f"(default --steps {DEFAULT_STEPS}) or on Ctrl-C, then saves.")
    p.add_argument("--preset", default=DEFAULT_PRESET, choices=presets_of(),
                   help=f"starting settings (default {DEFAULT_PRESET}); flags below override them")
    p.add_argument("--steps", type=positive_int, help="stop after this many generator steps")
    p.add_argument("--epochs", type=positive_float, help="stop after this many passes over MNIST")
    p.add_argument("--max-seconds", type=positive_float, help="stop after this much training time")
    p.add_argument("--out", required=True, metavar="CHECKPOINT",
                   help="where to save, e.g. runs/a.safetensors (a .json sidecar goes beside it)")
    p.add_argument("--grid", metavar="PNG", help="also save the fixed-noise sample grid as a PNG")
    p.add_argument("--timelapse", metavar="GIF", help="also save the fixed-noise grid through the run as a GIF")
    p.add_argument("--checkpoint-every", type=positive_int, metavar="STEPS",
                   help="also save OUT-stepNNNNNNN.safetensors every STEPS steps, to compare a run's stages")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--cuda-graph", action=argparse.BooleanOptionalAction, default=None,
                   help="replay each step as a CUDA graph (default: on with a GPU)")
    p.add_argument("--compile", action="store_true",
                   help="run G and D through torch.compile: fewer, fused kernels after a compile at the start")
    _add_data_root(p)
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST")
    p.add_argument("--threads", type=positive_int, help="CPU threads for PyTorch (default: PyTorch's choice)")
    add_config_flags(p)
    p.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if DATASETS[config.dataset].kind != IMAGES:
        raise ConfigError(f"{config.dataset} is a set of points, not images: train it in the 2-D lab, "
                          f"gan-explorer lab --dataset {config.dataset} (--out saves the run).", "dataset")
    out = prepare_output(args.out, (".safetensors",))
    grid_path = prepare_output(args.grid, (".png",)) if args.grid else None
    gif_path = prepare_output(args.timelapse, (".gif",)) if args.timelapse else None
    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    steps = args.steps if args.steps or args.epochs or args.max_seconds else DEFAULT_STEPS
    data = load_mnist(args.data_root, train=True, download=not args.no_download)
    trainer = Trainer(config, device, data=data, cuda_graph=args.cuda_graph, compile_models=args.compile)
    print(f"Training {config.architecture} / {config.loss} (preset {args.preset}) on {device}.", file=sys.stderr)
    warning = precision_warning(config.precision, trainer.device)
    if warning:
        print(f"Warning: {warning}", file=sys.stderr)

    # The model card's command: the flags as typed, so the run can be repeated from its checkpoint.
    info = {"command": shlex.join(["gan-explorer", *args.argv]), "preset": args.preset, "device": str(device),
            "threads": torch.get_num_threads()}
    outcome = "finished"
    # About half the frame budget over the planned steps: a grid costs about what a training step does.
    timelapse = Timelapse(every=max(1, 2 * steps // MAX_FRAMES) if steps else DEFAULT_EVERY) if gif_path else None
    try:
        _run_with_progress(trainer, steps, args.epochs, args.max_seconds, out, args.checkpoint_every, info, timelapse)
    except KeyboardInterrupt:
        outcome = "interrupted"  # fall through and save: Ctrl-C must not lose the run
    path = save_checkpoint(trainer.to_checkpoint({**info, "outcome": outcome}), out)
    print(f"{outcome.capitalize()} after {trainer.step_count} steps ({trainer.train_seconds:.1f} s). "
          f"Saved {path} and {sidecar_path(path).name}.", file=sys.stderr)
    if grid_path is not None:
        images.save_png(images.grid(trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE), grid_path)
        print(f"Saved the sample grid to {grid_path}.", file=sys.stderr)
    if timelapse is not None and gif_path is not None:
        timelapse.record(trainer.step_count, trainer.sample_fixed())
        gif_path.write_bytes(timelapse.gif())
        print(f"Saved the timelapse ({len(timelapse.frames)} frames) to {gif_path}.", file=sys.stderr)
    return EXIT_INTERRUPTED if outcome == "interrupted" else 0


def _run_with_progress(trainer: Trainer, steps: int | None, epochs: float | None, seconds: float | None,
                       out: Path, checkpoint_every: int | None, info: dict[str, Any],
                       timelapse: Timelapse | None) -> None:
    """Iterate trainer.run() with a tqdm bar (its total is the step limit when one is known),
    saving an intermediate checkpoint every `checkpoint_every` steps and keeping timelapse frames."""
    if timelapse is not None:
        timelapse.record(trainer.step_count, trainer.sample_fixed())  # the noise it starts from
    per_epoch = len(trainer.sampler.data) / (trainer.config.batch_size * trainer.config.n_critic)
    totals = [t for t in (steps, math.ceil(epochs * per_epoch) if epochs else None) if t]
    with tqdm(total=min(totals) if totals else None, unit="step", dynamic_ncols=True) as bar:
        for m in trainer.run(max_steps=steps, max_seconds=seconds, max_epochs=epochs):
            bar.set_postfix({"d_loss": f"{m.d_loss:.3f}", "g_loss": f"{m.g_loss:.3f}",
                             "D(x)": f"{m.d_real:.2f}", "D(G(z))": f"{m.d_fake:.2f}"}, refresh=False)
            bar.update()
            # step_count, not m.step: on a GPU run() has already queued the next step, and the
            # checkpoint holds the weights after it.
            if checkpoint_every and trainer.step_count % checkpoint_every == 0:
                ckpt = trainer.to_checkpoint({**info, "outcome": "intermediate"})
                save_checkpoint(ckpt, out.with_name(f"{out.stem}-step{ckpt.step:07d}{out.suffix}"))
            if timelapse is not None and timelapse.due(trainer.step_count):
                timelapse.record(trainer.step_count, trainer.sample_fixed())


# ---------------------------------------------------------------- sample

def _add_sample(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sample", help="generate images from a checkpoint",
                              description="Generate images: F.npy gets an (N, 28, 28) float32 array in "
                                          "[-1, 1]; F.png gets a grid picture. From a 2-D lab run (gan-explorer "
                                          "lab --out): F.npy gets its (N, 2) points.")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--n", type=positive_int, default=64, help="how many images (default 64)")
    p.add_argument("--out", required=True, metavar="F.npy|F.png")
    p.add_argument("--label", type=int, help="digit 0-9 to draw (conditional models only; "
                                             "default: all digits in turn)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.set_defaults(handler=_sample)


def _sample(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    ckpt = load_checkpoint(args.checkpoint, device)
    out = prepare_output(args.out, (".npy", ".png"))
    points = DATASETS[ckpt.config.dataset].kind == POINTS
    if points and out.suffix.lower() == ".png":
        raise UsageError(f"This checkpoint learned points ({ckpt.config.dataset}), not images: save them as "
                         "F.npy (an (N, 2) array), or see them in the app's 2-D lab.")
    generator = ckpt.generator
    if args.label is not None and not generator.conditional:
        raise UsageError("--label only works with a conditional model; this checkpoint is unconditional.")
    if args.label is not None and not 0 <= args.label < NUM_CLASSES:
        raise UsageError(f"--label must be a digit from 0 to {NUM_CLASSES - 1}, got {args.label}.")
    z, labels = sample(args.n, generator.latent_dim, torch.Generator(device).manual_seed(args.seed),
                       generator.conditional, args.label)
    chunks = [slice(i, i + SAMPLE_CHUNK) for i in range(0, args.n, SAMPLE_CHUNK)]
    samples = torch.cat([generate(generator, z[c], None if labels is None else labels[c]) for c in chunks])
    if out.suffix.lower() == ".npy":
        np.save(out, (samples if points else samples[:, 0]).numpy().astype(np.float32))
    else:
        nrow = NUM_CLASSES if generator.conditional and args.label is None else math.ceil(math.sqrt(args.n))
        images.save_png(images.grid(samples, nrow=nrow, scale=GRID_SCALE), out)
    print(f"Saved {args.n} samples to {out}.", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- info

def _add_info(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="describe a checkpoint: settings, progress, sizes, versions")
    p.add_argument("--checkpoint", required=True)
    p.set_defaults(handler=_info)


def _parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _info(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    sidecar = sidecar_path(args.checkpoint)
    versions = json.loads(sidecar.read_text()).get("versions", {}) if sidecar.is_file() else {}
    print(f"checkpoint: {args.checkpoint}")
    print(f"step: {ckpt.step}")
    print(f"train time: {ckpt.train_seconds:.1f} s")
    print(f"parameters: generator {_parameter_count(ckpt.generator):,}, "
          f"discriminator {_parameter_count(ckpt.discriminator):,}")
    if ckpt.history:
        last = ckpt.history[-1]
        print(f"last step: d_loss {last['d_loss']:.4f}, g_loss {last['g_loss']:.4f}, "
              f"D(x) {last['d_real']:.3f}, D(G(z)) {last['d_fake']:.3f}, epoch {last['epoch']:.2f}")
    print("config:")
    for key, value in ckpt.config.to_dict().items():
        print(f"  {key}: {value}")
    for title, section in (("info", ckpt.info), ("versions", versions)):
        if section:
            print(f"{title}:")
            for key, value in section.items():
                print(f"  {key}: {value}")
    return 0


# ---------------------------------------------------------------- evaluate

def _add_evaluate(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="measure a checkpoint: MNIST-FID, Inception Score, digit mix, "
                                               "precision/recall (JSON on stdout)")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--n", type=positive_int, help="how many samples (default 2000 for images: the floors are "
                                                   f"measured at 500 and 2000; {QUALITY_SAMPLES:,} for points)")
    p.add_argument("--seed", type=int, default=0, help="noise and real-subset seed (default 0)")
    _add_data_root(p)
    p.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    dataset = DATASETS[ckpt.config.dataset]
    if dataset.kind == POINTS:  # the dataset's own measure: modes covered and high-quality share
        n = args.n or QUALITY_SAMPLES
        result = dataset.quality(ckpt.generator, ckpt.config, n, args.seed)
        print(json.dumps({"dataset": ckpt.config.dataset, "step": ckpt.step, "samples": n, "seed": args.seed,
                          **(result or {"note": f"{ckpt.config.dataset} has no measure: judge its points by eye"})},
                         indent=1))
        return 0
    result = evaluate_generator(ckpt.generator, n=args.n or 2000, seed=args.seed, data_root=args.data_root)
    result["quality_bar_failures"] = quality_bar_failures(result)
    print(json.dumps(result, indent=1))
    return 0


# ---------------------------------------------------------------- train-classifier

def _add_train_classifier(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train-classifier", help="train the MNIST classifier the metrics use, and "
                                                       "recompute the reference statistics and floors")
    p.add_argument("--epochs", type=positive_int, default=3, help="passes over MNIST (default 3)")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--out", default=str(DEFAULT_CLASSIFIER), help=f"default {DEFAULT_CLASSIFIER}")
    p.add_argument("--stats-out", default=str(REFERENCE_STATS), help=f"default {REFERENCE_STATS}")
    _add_data_root(p)
    p.add_argument("--threads", type=positive_int, help="CPU threads for PyTorch (default: PyTorch's choice)")
    p.set_defaults(handler=_train_classifier)


def _train_classifier(args: argparse.Namespace) -> int:
    out = prepare_output(args.out, (".safetensors",))
    stats_out = prepare_output(args.stats_out, (".safetensors",))
    if args.threads:
        torch.set_num_threads(args.threads)
    report = train_classifier(args.data_root, epochs=args.epochs, seed=args.seed, out=out)
    print(f"Test accuracy {report.test_accuracy:.2%} after {report.epochs} epochs "
          f"({report.train_seconds:.0f} s). Saved {out}.", file=sys.stderr)
    # The reference statistics live in this classifier's feature space, so they are redone with it.
    floors = build_reference(load_classifier(out), args.data_root, stats_out)
    print(f"Saved {stats_out} and its floors: {json.dumps(floors)}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- entry point

def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gan-explorer", description="Train, sample and inspect GANs on MNIST.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_sample, _add_info, _add_evaluate, _add_train_classifier, add_invert, add_directions,
                add_lessons, add_lesson, add_lab):
        add(subparsers)
    return parser


USER_ERRORS = (InputError, DeviceError, CheckpointError, DataNotFoundError, TrainingDiverged, OSError,
               ClassifierError, MetricsError)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed usage and the error (or --help)
        return int(e.code or 0)
    args.argv = argv
    try:
        return args.handler(args)
    except USER_ERRORS as e:
        # A setting's message names it as the app labels it; on the command line, its flag says which.
        flag = f"--{e.field.replace('_', '-')}: " if isinstance(e, ConfigError) and e.field else ""
        print(f"gan-explorer {args.command}: error: {flag}{e}", file=sys.stderr)
        return EXIT_USER_ERROR
