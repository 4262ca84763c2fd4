"""The command line's argparse pieces: a parser that fails in one line, argument types that say
what they want, and one flag per TrainConfig field (so a new setting needs no CLI code).
"""
from __future__ import annotations

import argparse
import math
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from .config import PRECISIONS, TrainConfig
from .inits import INITS
from .losses import LOSSES
from .models import ARCHITECTURES
from .optim import OPTIMIZERS
from .parsing import InputError, number_list
from .presets import DEFAULT_PRESET, preset

EXIT_USER_ERROR = 2

CHOICES: dict[str, typing.Iterable[str]] = {
    "architecture": ARCHITECTURES, "loss": LOSSES, "init": INITS,
    "g_optimizer": OPTIMIZERS, "d_optimizer": OPTIMIZERS, "precision": PRECISIONS}


class UsageError(InputError):
    """A command-line value that argparse alone cannot check (paths, label on an unconditional model...)."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag gives one line pointing at --help instead of the whole usage."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text!r}")
    return value


def int_tuple(text: str) -> tuple[int, ...]:
    try:
        return number_list("widths", text)
    except InputError as e:  # argparse shows the message of this error only
        raise argparse.ArgumentTypeError(str(e)) from None


def add_config_flags(parser: argparse.ArgumentParser, default_preset: str = DEFAULT_PRESET,
                     skip: tuple[str, ...] = ()) -> None:
    """One flag per TrainConfig field but those in `skip`, so a new field is on the command line without
    extra code; each flag's help shows the default preset's value."""
    group = parser.add_argument_group("model and training settings (override the preset)")
    hints, defaults = typing.get_type_hints(TrainConfig), preset(default_preset)
    for f in (f for f in fields(TrainConfig) if f.name not in skip):
        flag, kind, default = "--" + f.name.replace("_", "-"), hints[f.name], getattr(defaults, f.name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        kwargs: dict[str, Any] = {"dest": f.name, "default": None, "help": f"{default_preset} preset: {shown}"}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is tuple:
            kwargs.update(type=int_tuple, metavar="W1,W2,...")
        else:
            kwargs["type"] = kind
            if f.name in CHOICES:
                kwargs["choices"] = list(CHOICES[f.name])
        group.add_argument(flag, **kwargs)


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (add_config_flags), by field."""
    return {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name, None) is not None}


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return preset(args.preset, **config_overrides(args))


def prepare_output(path: str, suffixes: tuple[str, ...]) -> Path:
    """Check an output path before minutes of work go into it; create its folder."""
    out = Path(path).expanduser()
    if out.suffix.lower() not in suffixes:
        raise UsageError(f"{path!r} must end in {' or '.join(suffixes)}.")
    if out.is_dir():
        raise UsageError(f"{path!r} is a folder; give a file name.")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out
