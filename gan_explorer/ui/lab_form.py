"""The 2-D lab's form: the settings a teacher changes (FORM, in the form's order), their controls, the
run they make with the chosen preset, and the values a preset puts in them.

The lab's endpoints, its link and its lessons all read and write the form through FORM, so a setting
added here reaches every one of them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..config import LABELS, TrainConfig
from ..datasets import DATASETS, POINTS
from ..losses import LOSSES
from ..optim import OPTIMIZERS
from ..presets import preset, presets_of
from .fields import Dropdown, Number
from .lab_draw import DrawPad, dataset_choices, pad, points_of

FORM = ("dataset", "loss", "g_optimizer", "d_optimizer", "g_lr", "d_lr")
PRESETS = presets_of(POINTS)
FIRST_PRESET = "ring"
NARROW_PX = 110  # two controls share a row of the settings column


@dataclass
class LabForm:
    preset: gr.Dropdown
    fields: dict[str, gr.components.Component]  # FORM's controls, by TrainConfig field
    draw: DrawPad  # the canvas shown while the dataset takes your own points

    @property
    def controls(self) -> list[gr.components.Component]:
        """FORM's controls in FORM's order."""
        return [self.fields[name] for name in FORM]


def _choice(cfg: TrainConfig, name: str, choices: Any) -> Dropdown:
    return Dropdown(list(choices), value=getattr(cfg, name), label=LABELS[name], min_width=NARROW_PX,
                    elem_id=f"lab-{name}")


def _rate(cfg: TrainConfig, name: str) -> Number:
    return Number(getattr(cfg, name), label=LABELS[name], step=1e-4, min_width=NARROW_PX, elem_id=f"lab-{name}")


def build_form() -> LabForm:
    """The preset, the dataset (with its drawing pad), the loss, the optimisers and the learning rates,
    laid out in place."""
    cfg = preset(FIRST_PRESET)
    preset_box = Dropdown(PRESETS, value=FIRST_PRESET, label="Preset", elem_id="lab-preset")
    fields: dict[str, gr.components.Component] = {"dataset": Dropdown(
        dataset_choices([n for n, d in DATASETS.items() if d.kind == POINTS]), value=cfg.dataset,
        label="Dataset", elem_id="lab-dataset")}
    draw = pad(cfg.dataset)
    fields["loss"] = _choice(cfg, "loss", LOSSES)
    with gr.Row():
        fields |= {name: _choice(cfg, name, OPTIMIZERS) for name in ("g_optimizer", "d_optimizer")}
    with gr.Row():
        fields |= {name: _rate(cfg, name) for name in ("g_lr", "d_lr")}
    return LabForm(preset_box, fields, draw)


def config_of(name: str, values: Sequence[Any], strokes: Any = None) -> TrainConfig:
    """The preset with the form's values (FORM's order), as a browser sends them (coerced and validated
    in config.py: a ConfigError names the bad one), and the points drawn for the dataset of your own."""
    form = dict(zip(FORM, values, strict=True))
    return TrainConfig.from_dict(preset(name).to_dict() | form | {"points": points_of(form["dataset"], strokes)})


def preset_values(name: str) -> list[Any]:
    """What the named preset puts in the form, in FORM's order."""
    cfg = preset(name)
    return [getattr(cfg, field) for field in FORM]
