"""The Train tab's settings controls: one per TrainConfig field, built from the registries.

Essentials are visible; everything else sits in an "Advanced" accordion. Choosing a preset
fills every control, and the controls' values turn back into a validated TrainConfig.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from ..config import DEFAULT_PRESET, PRECISIONS, PRESETS, ConfigError, TrainConfig, preset
from ..losses import LOSSES
from ..models import ARCHITECTURES, INITS
from ..optim import OPTIMIZERS
from .common import whole_number

DEFAULT_STEPS = 3000
MAX_RUN_STEPS = 1_000_000
INT_FIELDS = {f.name for f in dataclasses.fields(TrainConfig) if f.type in ("int", int)}
WIDTH_FIELDS = ("mlp_g_hidden", "mlp_d_hidden")
NARROW_PX = 110  # lets two or three controls share a row of the settings column instead of stacking


def _widths_text(widths: tuple[int, ...]) -> str:
    return ", ".join(str(w) for w in widths)


def _essentials(cfg: TrainConfig) -> dict[str, gr.components.Component]:
    c: dict[str, gr.components.Component] = {}
    with gr.Row():
        c["architecture"] = gr.Dropdown(list(ARCHITECTURES), value=cfg.architecture, label="Architecture",
                                        info="mlp: fully connected; dcgan: convolutional")
        c["loss"] = gr.Dropdown(list(LOSSES), value=cfg.loss, label="Loss", info=LOSSES[cfg.loss].description,
                                elem_id="train-loss")
    with gr.Row():
        c["g_lr"] = gr.Number(cfg.g_lr, label="G learning rate", info="a change applies at the next step")
        c["d_lr"] = gr.Number(cfg.d_lr, label="D learning rate", info="a change applies at the next step")
    with gr.Row():
        c["batch_size"] = gr.Number(cfg.batch_size, precision=0, label="Batch size")
        c["latent_dim"] = gr.Number(cfg.latent_dim, precision=0, label="Latent size (dim of z)")
    with gr.Row():
        c["seed"] = gr.Number(cfg.seed, precision=0, label="Seed")
        c["conditional"] = gr.Checkbox(cfg.conditional, label="Conditional (G and D see the digit label)")
    return c


def _advanced(cfg: TrainConfig) -> dict[str, gr.components.Component]:
    c: dict[str, gr.components.Component] = {}
    with gr.Row():
        c["g_optimizer"] = gr.Dropdown(list(OPTIMIZERS), value=cfg.g_optimizer, label="G optimiser")
        c["d_optimizer"] = gr.Dropdown(list(OPTIMIZERS), value=cfg.d_optimizer, label="D optimiser")
    with gr.Row():
        c["beta1"] = gr.Number(cfg.beta1, label="Adam beta1")
        c["beta2"] = gr.Number(cfg.beta2, label="Adam beta2")
        c["momentum"] = gr.Number(cfg.momentum, label="Momentum (SGD, RMSprop)")
    with gr.Row():
        c["n_critic"] = gr.Slider(1, 10, value=cfg.n_critic, step=1, label="n_critic (D steps per G step)")
        c["label_smoothing"] = gr.Slider(0.0, 0.5, value=cfg.label_smoothing, step=0.05,
                                         label="One-sided label smoothing (BCE losses)")
    with gr.Row():
        c["gp_weight"] = gr.Number(cfg.gp_weight, label="Gradient-penalty weight (wgan_gp)")
        c["clip_value"] = gr.Number(cfg.clip_value, label="Weight clip value (wgan)")
    with gr.Row():
        c["init"] = gr.Dropdown(list(INITS), value=cfg.init, label="Weight init")
        c["dcgan_width"] = gr.Number(cfg.dcgan_width, precision=0, label="DCGAN width (channels)")
        c["dcgan_fc"] = gr.Number(cfg.dcgan_fc, precision=0, label="DCGAN fully connected layer (0 = none)")
        c["mlp_dropout"] = gr.Number(cfg.mlp_dropout, label="MLP D dropout")
    with gr.Row():
        c["mlp_g_hidden"] = gr.Textbox(_widths_text(cfg.mlp_g_hidden), label="MLP G hidden widths")
        c["mlp_d_hidden"] = gr.Textbox(_widths_text(cfg.mlp_d_hidden), label="MLP D hidden widths")
        c["mlp_minibatch_std"] = gr.Checkbox(cfg.mlp_minibatch_std, label="MLP D minibatch std",
                                             info="D also sees how alike samples are")
    with gr.Row():
        c["lr_decay_every"] = gr.Number(cfg.lr_decay_every, precision=0, label="LR decay every (G steps, 0 = off)")
        c["lr_decay_gamma"] = gr.Number(cfg.lr_decay_gamma, label="LR decay factor")
        c["precision"] = gr.Dropdown(list(PRECISIONS), value=cfg.precision, label="Precision",
                                     info="auto: bf16 where the CPU has it natively (faster), fp32 on GPUs")
        c["ema_decay"] = gr.Number(cfg.ema_decay, label="G weight averaging (EMA decay, 0 = off)",
                                   info="samples come from a running average of G; 0.999 for long runs")
    return c


def build_settings() -> tuple[gr.Dropdown, dict[str, gr.components.Component], gr.Number]:
    """(preset dropdown, TrainConfig field -> control, steps-to-train control), laid out in place."""
    cfg = preset(DEFAULT_PRESET)
    preset_box = gr.Dropdown(list(PRESETS), value=DEFAULT_PRESET, label="Preset",
                             info="fills every setting below; fast is tuned to show digits soonest")
    settings = _essentials(cfg)
    steps = gr.Number(DEFAULT_STEPS, precision=0, label="Train for (generator steps)")
    with gr.Accordion("Advanced", open=False):
        settings |= _advanced(cfg)
    for control in settings.values():
        control.min_width = NARROW_PX
    # The loss's one-line explanation follows the choice (the preset box changes it too).
    settings["loss"].change(lambda name: gr.Dropdown(info=LOSSES[name].description if name in LOSSES else None),
                            settings["loss"], settings["loss"], api_visibility="private", concurrency_limit=None,
                            show_progress="hidden")
    missing = {f.name for f in dataclasses.fields(TrainConfig)} - set(settings)
    assert not missing, f"Train tab has no control for {missing}"  # a new TrainConfig field needs one
    return preset_box, settings, steps


def preset_values(name: str, settings: dict[str, gr.components.Component]) -> dict[Any, Any]:
    """Control -> value for every setting of the named preset (unlisted fields take defaults)."""
    return config_values(preset(name), settings)


def config_values(cfg: TrainConfig, settings: dict[str, gr.components.Component]) -> dict[Any, Any]:
    """Control -> value for every setting of `cfg` (a preset's, or a loaded checkpoint's)."""
    values = cfg.to_dict()
    for field in WIDTH_FIELDS:
        values[field] = _widths_text(getattr(cfg, field))
    return {settings[k]: values[k] for k in settings}


def _parse_widths(name: str, text: Any) -> tuple[int, ...]:
    """Widths from the text box ("256, 512"), or a list as given (a saved config, a JSON client)."""
    if isinstance(text, (list, tuple)):
        return tuple(text)
    try:
        return tuple(int(part) for part in str(text).replace(" ", "").split(",") if part)
    except ValueError:
        raise ConfigError(f"{name} must be whole numbers separated by commas, e.g. 256, 512; got {text!r}.") from None


def _as_int(value: Any) -> Any:
    """Sliders and JSON clients send 5.0 for 5; whole floats become ints, anything else is left for validate()."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def config_from(values: dict[str, Any]) -> TrainConfig:
    """A validated TrainConfig from control values; raises ConfigError naming the bad setting."""
    unknown = set(values) - {f.name for f in dataclasses.fields(TrainConfig)}
    if unknown:
        raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    values = {k: _as_int(v) if k in INT_FIELDS else v for k, v in values.items()}
    for field in WIDTH_FIELDS:
        if field in values:
            values[field] = _parse_widths(field, values[field])
    return TrainConfig(**values)


def check_steps(steps: Any) -> int:
    return whole_number("Train for", steps, 1, MAX_RUN_STEPS)
