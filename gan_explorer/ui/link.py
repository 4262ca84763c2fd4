"""What a link to the page says: its URL's query parameters, read in this one place.

Each parameter is one entry in PARAMETERS (its name, how its text becomes a value of a LinkState
field). A parameter the page does not know, or a value it cannot use, is reported in one line and
otherwise ignored: a link always opens the page.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..lessons import LESSONS

# Gradio's own query parameters (theme, API page, deep links, ...): Gradio reads them, we leave them be.
GRADIO_PARAMETERS = frozenset({"__theme", "view", "deep_link", "write_token", "ui"})


@dataclass(frozen=True)
class LinkState:
    """The page state a link can set; fields not in the link keep these defaults."""
    present: bool = False  # the presentation layout: big text, settings hidden
    lesson: str = ""  # a lesson's name (lessons.LESSONS): its settings, text and tab


@dataclass(frozen=True)
class Parameter:
    field: str  # the LinkState field it sets
    parse: Callable[[str], Any]  # raises ValueError saying what it accepts


def _flag(text: str) -> bool:
    if text.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if text.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("use 1 or 0")


def _lesson(text: str) -> str:
    if text not in LESSONS:
        raise ValueError(f"unknown lesson; the lessons are {', '.join(LESSONS)}")
    return text


PARAMETERS: dict[str, Parameter] = {
    "present": Parameter("present", _flag),
    "lesson": Parameter("lesson", _lesson),
}


def read_link(query: Mapping[str, str]) -> tuple[LinkState, str]:
    """(the state the URL's parameters ask for, a one-line notice of what was ignored, or "")."""
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for name, text in query.items():
        if name in GRADIO_PARAMETERS:
            continue
        parameter = PARAMETERS.get(name)
        if parameter is None:
            ignored.append(f"{name} (unknown; the page reads {', '.join(sorted(PARAMETERS))})")
            continue
        try:
            values[parameter.field] = parameter.parse(text)
        except ValueError as e:
            ignored.append(f"{name}={text} ({e})")
    notice = f"Ignored in this page's link: {'; '.join(ignored)}." if ignored else ""
    return dataclasses.replace(LinkState(), **values), notice
