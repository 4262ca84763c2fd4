"""The 2-D lab's part of the page's link (link.py reads and writes it): `?tab=lab&preset=ring-slow-d&
compare=ring-wgan-gp` fills the lab's form and its "Compare with", `?lesson=mode-collapse-2d` the lab
lesson's runs (lesson_panel), and Copy link on the lab gives such a link back.
"""
from __future__ import annotations

from typing import Any

import gradio as gr

from ..lessons import LESSONS
from ..presets import preset
from .lab_form import FORM, config_of
from .lab_tab import LabTab
from .link import PLANE_PRESETS, LinkState

TAB = "lab"


def lab_outputs(lab: LabTab) -> list[gr.components.Component]:
    """What a link sets in the lab: its form, then "Compare with"."""
    return [lab.form.preset, *lab.form.controls, lab.compare]


def lab_values(lab: LabTab, state: LinkState) -> list[Any]:
    """The lab's controls as the link sets them (lab_outputs' order); gr.skip() for what it leaves alone."""
    config = state.lab_config()
    form = [state.baseline(), *(getattr(config, name) for name in FORM)] if config else [gr.skip()] * (1 + len(FORM))
    return [*form, state.compare if state.compare in PLANE_PRESETS else gr.skip()]


def opens_lab(state: LinkState) -> bool:
    """A link that sets the lab's run and names no tab opens the lab, where that run is."""
    return not state.tab and state.lab_config() is not None


def lab_page_state(*, lesson: Any, preset_name: Any, form: list[Any], compare: Any, present: bool) -> LinkState:
    """The shortest LinkState that reopens the lab as it is: a lab lesson while the lab holds its runs, else
    the preset, the settings that differ from it, and run B. Raises ConfigError naming a bad form value."""
    config = config_of(preset_name, form)
    compare = compare if compare in PLANE_PRESETS else ""
    chosen = LESSONS.get(lesson) if isinstance(lesson, str) else None
    if chosen and chosen.tab == TAB and chosen.runs and config == preset(chosen.runs[0]) \
            and compare == (chosen.runs[1] if len(chosen.runs) == 2 else ""):
        return LinkState(present=bool(present), lesson=chosen.name)
    start = preset(preset_name)
    changed = {name: getattr(config, name) for name in FORM if getattr(config, name) != getattr(start, name)}
    return LinkState(present=bool(present), preset=preset_name, settings=changed, tab=TAB, compare=compare)
