"""Checks of one setting's value, each refusing a bad one with a ConfigError that names the setting as
the app labels it, says why and what is allowed. config.validate runs them over a TrainConfig (the one
place settings are validated); here they only know a setting by its field name and its label.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .parsing import InputError, is_whole, shown, whole_number


class ConfigError(InputError):
    """A setting is invalid. The message names it as the app labels it, says why, and what is allowed;
    `field` is the TrainConfig field (None when the message is about several)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Checks:
    """`check(ok, name, message)` and the checks of a kind of value, for settings labelled by `labels`."""
    labels: Mapping[str, str]

    def __call__(self, ok: bool, name: str | None, message: str) -> None:
        if not ok:
            raise ConfigError(message, name)

    def choice(self, name: str, value: Any, choices: Iterable[str]) -> None:
        self(isinstance(value, str) and value in choices, name,
             f"{self.labels[name]} must be one of {', '.join(choices)}; got {shown(value)}.")

    def boolean(self, name: str, value: Any) -> None:
        self(isinstance(value, bool), name, f"{self.labels[name]} must be true or false; got {shown(value)}.")

    def whole(self, name: str, value: Any, lo: int, hi: int, why: str = "") -> None:
        try:
            whole_number(self.labels[name], value, lo, hi, why=why, strict=True)  # coerce() has turned 5.0 into 5
        except InputError as e:
            raise ConfigError(str(e), name) from None

    def number(self, name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False, why: str = "") -> None:
        ok = is_number(value) and (value > lo if lo_open else value >= lo) and value <= hi
        lower = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
        self(ok, name, f"{self.labels[name]} must be a number {lower} and at most {hi:g}{why}; got {shown(value)}.")

    def widths(self, name: str, widths: Any, max_layers: int, max_width: int) -> None:
        ok = (isinstance(widths, tuple) and 1 <= len(widths) <= max_layers
              and all(is_whole(w) and 1 <= w <= max_width for w in widths))
        self(ok, name, f"{self.labels[name]} must be 1 to {max_layers} layer widths from 1 to {max_width}, "
                       f"separated by commas, e.g. 256, 512; got {shown(widths)}.")
