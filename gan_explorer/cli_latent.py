"""The command line's look inside a generator: `invert` (a picture -> its z) and `directions` (SeFa, GANSpace strips).

Registered in cli.py like every subcommand: `add_invert` / `add_directions` declare the flags and set `handler`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError

from . import images
from .checkpoints import SHIPPED_DIR, SUFFIX, Checkpoint, load_checkpoint
from .classifier import ClassifierError, load_classifier
from .cli_args import UsageError, positive_int, prepare_output
from .directions import DEFAULT_DIRECTIONS, METHODS, PREVIEW_STEPS, find_directions, preview_strips
from .inversion import DEFAULT_RESTARTS, DEFAULT_STEPS, InversionError, invert
from .latent import latent_from_seed
from .models import NUM_CLASSES

PICTURE_SCALE = 8  # 28 px -> 224 px PNGs, nearest-neighbour
STRIP_SCALE = 3


def _checkpoint(name: str) -> Checkpoint:
    """A checkpoint by path, or a shipped one by name ("dcgan_conditional")."""
    shipped = SHIPPED_DIR / f"{name}{SUFFIX}"
    return load_checkpoint(shipped if not Path(name).exists() and shipped.is_file() else name)


def _checkpoint_help() -> str:
    names = sorted(p.stem for p in SHIPPED_DIR.glob(f"*{SUFFIX}") if not p.stem.startswith("mnist_"))
    return f"a checkpoint file, or a shipped one by name ({', '.join(names)})"


def add_invert(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("invert", help="find the z (and digit) from which a generator draws a picture",
                              description="Prepare a picture of one digit as MNIST's were (either polarity), then "
                                          "search z by gradient descent. Prints the label, the distance and z.")
    p.add_argument("image", metavar="IMAGE", help="a PNG/JPEG of one digit")
    p.add_argument("--checkpoint", required=True, help=_checkpoint_help())
    p.add_argument("--out", metavar="PNG", help="also save the target and G's reconstruction side by side")
    p.add_argument("--restarts", type=positive_int, default=DEFAULT_RESTARTS,
                   help=f"searches per digit tried (default {DEFAULT_RESTARTS})")
    p.add_argument("--steps", type=positive_int, default=DEFAULT_STEPS, help=f"Adam steps (default {DEFAULT_STEPS})")
    p.add_argument("--seed", type=int, default=0, help="seed of the random starts (default 0)")
    p.set_defaults(handler=_invert)


def _invert(args: argparse.Namespace) -> int:
    generator = _checkpoint(args.checkpoint).generator
    out = prepare_output(args.out, (".png",)) if args.out else None
    try:
        picture = Image.open(args.image)
        picture.load()
    except (UnidentifiedImageError, OSError) as e:
        raise UsageError(f"{args.image!r} is not a picture that can be read: {e}") from None
    try:
        classify = load_classifier() if generator.conditional else None
    except ClassifierError as e:
        raise UsageError(f"a conditional model needs the classifier to pick the digit: {e}") from None
    try:
        found = invert(generator, picture, restarts=args.restarts, steps=args.steps, seed=args.seed, classify=classify)
    except InversionError as e:
        raise UsageError(str(e)) from None
    if found.label is not None:
        print(f"label: {found.label}")
    print(f"distance: {found.distance:.3f}")
    print("z: " + ",".join(f"{v:.4f}" for v in found.z.tolist()))
    if out is not None:
        pair = images.grid(torch.stack([found.target, found.reconstruction]), nrow=2,
                           scale=PICTURE_SCALE)
        images.save_png(pair, out)
        print(f"Saved the target and its reconstruction to {out}.", file=sys.stderr)
    return 0


def add_directions(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("directions", help="preview strips along directions found in a generator "
                                                 "(SeFa, GANSpace)",
                              description="One row per direction: G(z + t * direction) for t from -3 to +3.")
    p.add_argument("--checkpoint", required=True, help=_checkpoint_help())
    p.add_argument("--method", default="sefa", choices=list(METHODS), help="default sefa")
    p.add_argument("--out", required=True, metavar="PNG")
    p.add_argument("--k", type=positive_int, default=DEFAULT_DIRECTIONS,
                   help=f"how many directions (default {DEFAULT_DIRECTIONS})")
    p.add_argument("--seed", type=int, default=0, help="seed of the base z (default 0)")
    p.add_argument("--label", type=int, help="digit 0-9 (conditional models; default 0)")
    p.set_defaults(handler=_directions)


def _directions(args: argparse.Namespace) -> int:
    generator = _checkpoint(args.checkpoint).generator
    out = prepare_output(args.out, (".png",))
    if args.label is not None and not (generator.conditional and 0 <= args.label < NUM_CLASSES):
        raise UsageError(f"--label takes a digit from 0 to {NUM_CLASSES - 1}, and only for a conditional model.")
    try:
        directions = find_directions(generator, args.method, args.k)
        z = latent_from_seed(args.seed, generator.latent_dim)
    except ValueError as e:
        raise UsageError(str(e)) from None
    label = (args.label or 0) if generator.conditional else None
    strips = preview_strips(generator, z, directions, label)
    images.save_png(images.grid(strips, nrow=PREVIEW_STEPS, scale=STRIP_SCALE), out)
    print(f"Saved {len(directions)} {args.method} directions to {out}.", file=sys.stderr)
    return 0
