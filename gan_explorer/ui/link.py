"""What a link to the page says: its URL's query parameters, read and written in this one place.

A link names a lesson, or a preset and the settings that differ from it, the steps to train, the open tab,
the presentation layout and run B's preset (`compare`). Each parameter is one entry in PARAMETERS (how its
text becomes a value of a LinkState field); every TrainConfig field is a parameter by its own name, its
value checked by the config's own validation. A lesson and settings together: the lesson's run fills the
form, then `preset` and the settings go on top. A parameter the page does not know, or a value it cannot
use, is reported in one line and otherwise ignored: a link always opens the page.

A 2-D preset (`?tab=lab&preset=ring-slow-d&compare=ring-wgan-gp`) is the 2-D lab's: it and its settings
(the dataset too, which the lab's form has) fill the lab, never the Train form (ui/lab_link.py).
"""
from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..config import FIELD_TYPES, FORM_FIELDS, TrainConfig
from ..datasets import POINTS
from ..lessons import LESSONS
from ..parsing import SHOWN_CHARS
from ..presets import DEFAULT_PRESET, PRESETS, preset, presets_of
from .train_controls import DEFAULT_STEPS, check_steps, config_from

# Gradio's own query parameters (theme, API page, deep links, ...): Gradio reads them, we leave them be.
GRADIO_PARAMETERS = frozenset({"__theme", "view", "deep_link", "write_token", "ui"})
# The page opens on the lesson whose run is the default preset, so picker, text and form agree (and the
# API page advertises a default name); a link to it says nothing.
FIRST_LESSON = next(lesson.name for lesson in LESSONS.values() if lesson.runs == (DEFAULT_PRESET,))
FIRST_TAB = "train"  # the tab the page opens on; builder.py passes the page's tab ids to read_link
PLANE_PRESETS = frozenset(presets_of(POINTS))  # the 2-D lab's presets
LINK_FIELDS = (*FORM_FIELDS, "dataset")  # the settings a link carries: the Train form's, and the lab's dataset


@dataclass(frozen=True)
class LinkState:
    """The page state a link can set; fields not in the link keep these defaults."""
    present: bool = False  # the presentation layout: big text, settings hidden
    lesson: str = ""  # a lesson's name (lessons.LESSONS): its settings, text and tab
    preset: str = ""  # a preset's name: fills the form (after the lesson's run, before the settings)
    settings: Mapping[str, Any] = field(default_factory=dict)  # TrainConfig field -> value, validated
    steps: int = DEFAULT_STEPS  # the Train tab's "Train for (generator steps)"
    tab: str = ""  # the tab to open ("" : the lesson's tab, or the first)
    compare: str = ""  # run B's preset, for "Compare with" of the Train tab or (a 2-D preset) the 2-D lab

    @property
    def on_lab(self) -> bool:
        """Whether the link's run is the 2-D lab's (its preset, or its lesson's run, is a 2-D preset)."""
        return self.baseline() in PLANE_PRESETS

    def config(self) -> TrainConfig | None:
        """The Train form's settings as the link sets them, or None when the link leaves that form alone."""
        if not (self.preset or self.settings) or self.on_lab:
            return None
        return _with_settings(self.baseline(), self.settings)

    def lab_config(self) -> TrainConfig | None:
        """The 2-D lab's settings as the link sets them, or None when the link leaves the lab alone."""
        if not (self.preset or self.settings) or not self.on_lab:
            return None
        return _with_settings(self.baseline(), self.settings)

    def baseline(self) -> str:
        """The preset the link's settings are changes to."""
        lesson = LESSONS.get(self.lesson)
        return self.preset or (lesson.runs[0] if lesson and lesson.runs else DEFAULT_PRESET)


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


def _one_of(names: Sequence[str], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in names:
            raise ValueError(f"unknown {what}; the {what}s are {', '.join(names)}")
        return text
    return parse


PARAMETERS: dict[str, Parameter] = {
    "present": Parameter("present", _flag),
    "lesson": Parameter("lesson", _one_of(list(LESSONS), "lesson")),
    "preset": Parameter("preset", _one_of(list(PRESETS), "preset")),
    "compare": Parameter("compare", _one_of(list(PRESETS), "preset")),
    "steps": Parameter("steps", lambda text: check_steps(_decoded(int, text))),
}


def _cut(text: str) -> str:
    """A refused value as the notice quotes it: a pasted essay must not flood the page."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def _decoded(kind: Any, text: str) -> Any:
    """A setting's URL text as the value a form would send: a number, true/false, or the text itself.
    Only the text's form is read here; config.coerce and validate judge the value, naming the setting."""
    if kind is str or typing.get_origin(kind) is tuple:  # coerce reads widths from "256,512"
        return text
    if kind is bool:
        try:
            return _flag(text)
        except ValueError:
            return text
    try:
        return json.loads(text)  # 0.0004, 2000, [256, 512]; "256,512" stays text for coerce
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." deeper than json reads
        return text


def _with_settings(baseline: str, settings: Mapping[str, Any]) -> TrainConfig:
    return TrainConfig.from_dict({**preset(baseline).to_dict(), **settings})


def _valid_settings(baseline: str, texts: Mapping[str, str], ignored: list[str]) -> dict[str, Any]:
    """The settings that make a valid config on top of `baseline`; each one refused is reported."""
    values = {name: _decoded(FIELD_TYPES[name], text) for name, text in texts.items()}
    while values:
        try:
            config = _with_settings(baseline, values)
        except (ValueError, TypeError) as e:  # ConfigError names one setting; a size limit names none:
            culprit = getattr(e, "field", None)  # then the link's last setting goes
            culprit = culprit if culprit in values else list(values)[-1]
            ignored.append(f"{culprit}={_cut(texts[culprit])} ({str(e).rstrip('.')})")
            del values[culprit]
            continue
        return {name: getattr(config, name) for name in values}
    return {}


def query_of(search: str) -> dict[str, str]:
    """The parameters of a URL's query string ("?a=1&b" or "a=1&b"), the last of a repeated one."""
    return dict(parse_qsl(search.removeprefix("?"), keep_blank_values=True))


def read_link(query: Mapping[str, str], tabs: Sequence[str] = (FIRST_TAB,)) -> tuple[LinkState, str]:
    """(the state the URL's parameters ask for, a one-line notice of what was ignored, or "").

    `tabs`: the page's tab ids, which the `tab` parameter may name."""
    parameters = {**PARAMETERS, "tab": Parameter("tab", _one_of(list(tabs), "tab"))}
    values: dict[str, Any] = {}
    settings: dict[str, str] = {}
    ignored: list[str] = []
    for name, text in query.items():
        if name in GRADIO_PARAMETERS:
            continue
        if name in LINK_FIELDS:
            settings[name] = text
            continue
        parameter = parameters.get(name)
        if parameter is None:
            ignored.append(f"{name} (unknown; the page reads {', '.join(sorted(parameters))} and the settings)")
            continue
        try:
            values[parameter.field] = parameter.parse(text)
        except ValueError as e:
            ignored.append(f"{name}={_cut(text)} ({str(e).rstrip('.')})")
    state = dataclasses.replace(LinkState(), **values)
    state = dataclasses.replace(state, settings=_valid_settings(state.baseline(), settings, ignored))
    notice = f"Ignored in this page's link: {'; '.join(ignored)}." if ignored else ""
    return state, notice


def page_state(*, lesson: Any, preset_name: Any, settings: Mapping[str, Any], steps: Any, tab: str,
               present: bool, compare: Any = "") -> LinkState:
    """The shortest LinkState that reopens the page as it is: the lesson while the form holds its run,
    else the preset box's preset and the settings that differ from it. Raises ConfigError (or
    InputError for the steps) naming a form value that is not valid."""
    config, steps = config_from(dict(settings)), check_steps(steps)
    chosen = LESSONS.get(lesson) if isinstance(lesson, str) else None
    compare = compare if compare in PRESETS and compare not in PLANE_PRESETS else ""
    rival = chosen.runs[1] if chosen and len(chosen.runs) == 2 else ""  # the lesson's run B sets Compare
    if chosen and config == preset(chosen.runs[0] if chosen.runs else DEFAULT_PRESET) and compare == rival:
        name, base, changed = ("" if chosen.name == FIRST_LESSON else chosen.name), "", {}
        opens_on, compare = chosen.tab, ""
    else:
        base = preset_name if preset_name in PRESETS else DEFAULT_PRESET
        start = preset(base)
        changed = {f: getattr(config, f) for f in FORM_FIELDS if getattr(config, f) != getattr(start, f)}
        name, base, opens_on = "", ("" if base == DEFAULT_PRESET else base), FIRST_TAB
    return LinkState(present=bool(present), lesson=name, preset=base, settings=changed, steps=steps,
                     tab="" if tab == opens_on else tab, compare=compare)


def _text(value: Any) -> str:
    """A setting's value as a link writes it, read back to the same value by _decoded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)  # the shortest text that reads back as the same float
    return str(value)


def write_link(base: str, state: LinkState) -> str:
    """`base` (the page's address, as the browser has it) with the query that reopens `state`."""
    query = {"lesson": state.lesson, "preset": state.preset,
             **{name: _text(value) for name, value in state.settings.items()},
             "steps": "" if state.steps == DEFAULT_STEPS else str(state.steps),
             "compare": state.compare, "tab": state.tab, "present": "1" if state.present else ""}
    text = urlencode({k: v for k, v in query.items() if v}, safe=",")
    return f"{base.split('?')[0].split('#')[0]}{'?' + text if text else ''}"
