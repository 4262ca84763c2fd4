"""Reading the numbers people type or send: whole numbers in a range, and comma-separated lists.

The one place the library, the app and the CLI check such values, so every refusal reads alike and
says what was wanted. An InputError is a ValueError: the app shows its message as a gr.Error
(ui/common.friendly), the command line prints it in one line and exits with code 2.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

SHOWN_CHARS = 80  # a refused value is quoted up to this length: a pasted essay must not flood the page


class InputError(ValueError):
    """A value a person typed or sent is not what was asked for; the message names it and says what is."""


def shown(value: Any) -> str:
    """repr(value), cut to SHOWN_CHARS, for quoting in a message."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def number_text(n: int) -> str:
    """n as a person reads it: 5000, 10,000, and a type's limit such as 2**31 - 1 as the power of two it is."""
    if n >= 2**31 - 1 and (n + 1).bit_count() == 1:
        return f"2**{n.bit_length()} - 1"
    return f"{n:,}" if abs(n) >= 10_000 else str(n)


def is_whole(value: Any) -> bool:
    """An int (numpy's too), but not a bool: True is not a batch size."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def whole_number(name: str, value: Any, lo: int, hi: int, *, why: str = "", strict: bool = False) -> int:
    """value as an int from lo to hi (both included), else InputError naming `name`.

    A whole float such as 5.0 counts as 5: number boxes, sliders and JSON clients send them.
    strict=True refuses it, for library calls, where a float is the caller's mistake.
    `why` follows the range in the message, e.g. " (the size of the noise vector z)".
    """
    if not strict and isinstance(value, float) and value.is_integer():
        value = int(value)
    if not is_whole(value) or not lo <= value <= hi:
        raise InputError(f"{name} must be a whole number from {number_text(lo)} to {number_text(hi)}{why}; "
                         f"got {shown(value)}.")
    return int(value)


def number_list(name: str, text: Any, kind: type[int | float] = int, length: int | None = None,
                *, why: str = "") -> tuple[Any, ...]:
    """ "256, 512" (or "[256, 512]") -> (256, 512) of `kind`, else InputError naming `name`.

    Spaces and empty items are skipped; float lists refuse NaN and infinity. With `length`, exactly
    that many numbers; `why` follows the count in that message, e.g. " for this model (its latent_dim)".
    """
    what = "whole numbers such as 256, 512" if kind is int else "numbers such as 0.5, -1.2"
    count = f"{length} " if length is not None else ""
    values = _numbers(text, kind) if isinstance(text, str) else None
    if values is None:
        raise InputError(f"{name} must be {count}comma-separated {what}; got {shown(text)}.")
    if length is not None and len(values) != length:
        raise InputError(f"{name} must have exactly {length} values{why}; got {len(values)}.")
    if kind is float and not all(math.isfinite(v) for v in values):
        raise InputError(f"{name} must be finite numbers; got NaN or infinity.")
    return values


def _numbers(text: str, kind: type[int | float]) -> tuple[Any, ...] | None:
    try:
        return tuple(kind(part) for part in text.strip().strip("[]()").split(",") if part.strip())
    except ValueError:
        return None
