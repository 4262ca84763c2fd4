"""The Train tab's settings controls: one per TrainConfig field, built from the registries.

Essentials are visible; everything else sits in an "Advanced" accordion. Choosing a preset
fills every control, and the controls' values turn back into a validated TrainConfig.
"""
from __future__ import annotations

import typing
from typing import Any

import gradio as gr

from ..config import FIELD_TYPES, FORM_FIELDS, LABELS, TrainConfig
from ..datasets import IMAGES
from ..device import precision_choices, resolve_device
from ..inits import INITS
from ..losses import LOSSES
from ..models import ARCHITECTURES
from ..optim import OPTIMIZERS
from ..parsing import whole_number
from ..presets import DEFAULT_PRESET, preset, presets_of
from .common import friendly
from .fields import Dropdown, Number, Slider

DEFAULT_STEPS = 3000
MAX_RUN_STEPS = 1_000_000
STEPS_LABEL = "Train for (generator steps)"
NARROW_PX = 110  # lets two or three controls share a row of the settings column instead of stacking
# What one click on a number box's arrow adds: a fraction of the setting's usual values (Gradio's
# default of 1 turned a learning rate of 0.001 into 1.001).
FLOAT_STEPS = {"g_lr": 1e-4, "d_lr": 1e-4, "beta1": 0.01, "beta2": 0.001, "momentum": 0.05, "gp_weight": 1.0,
               "clip_value": 0.005, "r1_gamma": 0.1, "mlp_dropout": 0.05, "lr_decay_gamma": 0.05, "ema_decay": 0.001}


def _is_widths(name: str) -> bool:
    return typing.get_origin(FIELD_TYPES[name]) is tuple


def _shown(cfg: TrainConfig, name: str) -> Any:
    """A field's value as its control shows it: widths as "256, 512"."""
    value = getattr(cfg, name)
    return ", ".join(str(w) for w in value) if _is_widths(name) else value


def _number(cfg: TrainConfig, name: str, **kwargs: Any) -> Number:
    whole = FIELD_TYPES[name] is int
    return Number(getattr(cfg, name), label=LABELS[name], precision=0 if whole else None,
                  step=1 if whole else FLOAT_STEPS[name], **kwargs)


def _choice(cfg: TrainConfig, name: str, choices: Any, **kwargs: Any) -> Dropdown:
    return Dropdown(list(choices), value=getattr(cfg, name), label=LABELS[name], **kwargs)


def _essentials(cfg: TrainConfig) -> dict[str, gr.components.Component]:
    c: dict[str, gr.components.Component] = {}
    # one a row: side by side at 1280 px wide, "dcgan" or "non_saturating" was cut off
    c["architecture"] = _choice(cfg, "architecture", ARCHITECTURES, info="mlp: fully connected; dcgan: convolutional")
    c["loss"] = _choice(cfg, "loss", LOSSES, info=LOSSES[cfg.loss].description, elem_id="train-loss")
    with gr.Row():
        c["g_lr"] = _number(cfg, "g_lr", info="a change applies at the next step")
        c["d_lr"] = _number(cfg, "d_lr", info="a change applies at the next step")
    with gr.Row():
        c["batch_size"] = _number(cfg, "batch_size")
        c["latent_dim"] = _number(cfg, "latent_dim")
    with gr.Row():
        c["seed"] = _number(cfg, "seed")
        c["conditional"] = gr.Checkbox(cfg.conditional, label=LABELS["conditional"])
    return c


def _advanced(cfg: TrainConfig) -> dict[str, gr.components.Component]:
    c: dict[str, gr.components.Component] = {}
    with gr.Row():
        c["g_optimizer"] = _choice(cfg, "g_optimizer", OPTIMIZERS)
        c["d_optimizer"] = _choice(cfg, "d_optimizer", OPTIMIZERS)
    with gr.Row():
        for name in ("beta1", "beta2", "momentum"):
            c[name] = _number(cfg, name)
    with gr.Row():
        c["n_critic"] = Slider(1, 10, value=cfg.n_critic, step=1, label=LABELS["n_critic"])
        c["label_smoothing"] = Slider(0.0, 0.5, value=cfg.label_smoothing, step=0.05, label=LABELS["label_smoothing"])
    with gr.Row():
        c["gp_weight"] = _number(cfg, "gp_weight")
        c["clip_value"] = _number(cfg, "clip_value")
        c["r1_gamma"] = _number(cfg, "r1_gamma")
    with gr.Row():
        c["init"] = _choice(cfg, "init", INITS)
        for name in ("dcgan_width", "dcgan_fc", "mlp_dropout"):
            c[name] = _number(cfg, name)
    with gr.Row():
        for name in ("mlp_g_hidden", "mlp_d_hidden"):
            c[name] = gr.Textbox(_shown(cfg, name), label=LABELS[name])
        c["mlp_minibatch_std"] = gr.Checkbox(cfg.mlp_minibatch_std, label=LABELS["mlp_minibatch_std"],
                                             info="D also sees how alike samples are")
    with gr.Row():
        c["lr_decay_every"] = _number(cfg, "lr_decay_every")
        c["lr_decay_gamma"] = _number(cfg, "lr_decay_gamma")
        c["precision"] = _choice(cfg, "precision", precision_choices(resolve_device()),
                                 info="auto: bf16 where the CPU has it natively (faster), else fp32")
        c["ema_decay"] = _number(cfg, "ema_decay", info="samples come from a running average of G; 0.999 for long runs")
    return c


def build_settings() -> tuple[gr.Dropdown, dict[str, gr.components.Component], gr.Number]:
    """(preset dropdown, TrainConfig field -> control, steps-to-train control), laid out in place."""
    cfg = preset(DEFAULT_PRESET)
    preset_box = Dropdown(presets_of(IMAGES), value=DEFAULT_PRESET, label="Preset", elem_id="train-preset",
                          info="fills every setting below; fast is tuned to show digits soonest")
    settings = _essentials(cfg)
    steps = Number(DEFAULT_STEPS, precision=0, label=STEPS_LABEL)
    with gr.Accordion("Advanced", open=False):
        settings |= _advanced(cfg)
    for name, control in settings.items():
        control.min_width = NARROW_PX
        control.elem_id = control.elem_id or f"train-{name}"  # for tests and page scripts: #train-g_lr
    # The loss's one-line explanation follows the choice (the preset box changes it too).
    settings["loss"].change(lambda name: gr.Dropdown(info=LOSSES[name].description if name in LOSSES else None),
                            settings["loss"], settings["loss"], api_visibility="private", concurrency_limit=None,
                            show_progress="hidden")
    missing = set(FORM_FIELDS) - set(settings)
    assert not missing, f"Train tab has no control for {missing}"  # a new TrainConfig field needs one
    return preset_box, settings, steps


@friendly
def preset_values(name: str, settings: dict[str, gr.components.Component]) -> dict[Any, Any]:
    """Control -> value for every setting of the named preset (unlisted fields take defaults)."""
    return config_values(preset(name), settings)


def config_values(cfg: TrainConfig, settings: dict[str, gr.components.Component]) -> dict[Any, Any]:
    """Control -> value for every setting of `cfg` (a preset's, or a loaded checkpoint's)."""
    return {control: _shown(cfg, field) for field, control in settings.items()}


def config_from(values: dict[str, Any]) -> TrainConfig:
    """A validated TrainConfig from control values (as sent: see config.coerce); raises ConfigError
    naming the bad setting as the page labels it."""
    return TrainConfig.from_dict(values)


def check_steps(steps: Any) -> int:
    return whole_number(STEPS_LABEL, steps, 1, MAX_RUN_STEPS)
