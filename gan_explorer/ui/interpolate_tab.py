"""Interpolate tab: walk from one z to another and watch G's output morph, as a strip and a GIF."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..data import NUM_CLASSES
from ..images import gif_bytes, grid, to_uint8, upscale
from ..latent import INTERPOLATION_NOTE, MAX_STEPS, MIN_STEPS, interpolation_frames, latent_from_seed
from ..models import Generator
from ..parsing import whole_number
from .common import DRAWING_POOL, default_model, friendly, model_choices, resolve_generator
from .downloads import write_download
from .explore_tab import check_digit, check_seed
from .fields import Dropdown, Number, Radio, Slider, refuse
from .picture import WriteOnceImage
from .sessions import SessionRegistry

FROM_SEED, FROM_EXPLORE = "seed", "Explore z"
METHODS = {"spherical (slerp)": "slerp", "linear": "linear"}
STRIP_PER_ROW = 16
STRIP_SCALE = 4
GIF_SCALE = 8


@dataclass
class InterpolateTab:
    model: gr.Dropdown


@dataclass
class _Endpoint:
    """The controls of one end of the walk."""
    source: Radio
    seed: Number
    digit: Radio

    def z(self, generator: Generator, source: Any, seed: Any, explore_z: list[float]) -> torch.Tensor:
        if source == FROM_EXPLORE:
            if len(explore_z) != generator.latent_dim:
                raise refuse(self.source.label, "the Explore tab has no z for this model yet: open Explore with "
                                                "the same model, or use a seed.")
            return torch.tensor(explore_z)
        if source != FROM_SEED:
            raise refuse(self.source.label, f"must be {FROM_SEED!r} or {FROM_EXPLORE!r}; got {source!r}.")
        return latent_from_seed(check_seed(seed, self.seed.label), generator.latent_dim)


def _method(name: str, label: str) -> str:
    if name in METHODS.values():
        return name
    if name not in METHODS:
        raise refuse(label, f"must be one of {', '.join(METHODS)}; got {name!r}.")
    return METHODS[name]


def _endpoint_controls(title: str, seed: int, digit: int) -> _Endpoint:
    """Each control labelled with its end, so a message about it says which one."""
    with gr.Column():
        gr.Markdown(f"**{title}**")
        source = Radio([FROM_SEED, FROM_EXPLORE], value=FROM_SEED, label=f"{title}: z from")
        seed_box = Number(seed, precision=0, label=f"{title} seed")
        digit_box = Radio(list(range(NUM_CLASSES)), value=digit, label=f"{title} digit (conditional models)")
    return _Endpoint(source, seed_box, digit_box)


def build(registry: SessionRegistry, explore_z: gr.State) -> InterpolateTab:
    model = Dropdown(model_choices(), value=default_model(), label="Model", elem_id="interpolate-model")
    with gr.Row():
        start, end = _endpoint_controls("Start", 1, 3), _endpoint_controls("End", 2, 8)
        with gr.Column():
            steps = Slider(MIN_STEPS, MAX_STEPS, value=10, step=1, label="Steps (endpoints included)")
            method = Radio(list(METHODS), value="spherical (slerp)", label="Path")
            gr.Markdown(f"*Why spherical?* {INTERPOLATION_NOTE}")
            run = gr.Button("Interpolate", variant="primary", elem_id="interpolate-run")
    strip = WriteOnceImage(label="Strip: start to end", format="png", type="numpy", interactive=False,
                           elem_id="interpolate-strip", elem_classes="gx-pixelated")
    with gr.Row():
        animation = gr.Image(label="Animation", type="filepath", interactive=False, height=240, width=240,
                             elem_classes="gx-pixelated")
        gif_file = gr.File(label="Download the GIF", interactive=False)
    steps_label, method_label = steps.label, method.label  # the handler's parameters shadow the controls

    @friendly
    def interpolate(request: gr.Request, model: str, start_seed: int, end_seed: int, start_digit: int,
                    end_digit: int, steps: int, method: str, start_source: str = FROM_SEED,
                    end_source: str = FROM_SEED, explore_z: list[float] | None = None
                    ) -> tuple[np.ndarray, str, str]:
        generator = resolve_generator(registry.get(request), model)
        z0 = start.z(generator, start_source, start_seed, explore_z or [])
        z1 = end.z(generator, end_source, end_seed, explore_z or [])
        steps = whole_number(steps_label, steps, MIN_STEPS, MAX_STEPS)
        frames = interpolation_frames(generator, z0, z1, steps, _method(method, method_label),
                                      check_digit(generator, start_digit, start.digit.label),
                                      check_digit(generator, end_digit, end.digit.label))
        strip_image = grid(frames, nrow=min(len(frames), STRIP_PER_ROW), scale=STRIP_SCALE)
        gif = gif_bytes([upscale(frame, GIF_SCALE) for frame in to_uint8(frames)])
        path = write_download("interpolation", ".gif", gif)
        return strip_image, str(path), str(path)

    inputs = {"model": model, "start_seed": start.seed, "end_seed": end.seed, "start_digit": start.digit,
              "end_digit": end.digit, "steps": steps, "method": method, "start_source": start.source,
              "end_source": end.source, "explore_z": explore_z}
    @friendly
    def show_digits(request: gr.Request, model_choice: str) -> tuple[Any, Any]:
        conditional = resolve_generator(registry.get(request), model_choice).conditional
        return gr.Radio(visible=conditional), gr.Radio(visible=conditional)

    model.input(show_digits, model, [start.digit, end.digit], api_visibility="private", concurrency_limit=None)
    run.click(interpolate, inputs_kwargs=inputs, outputs=[strip, animation, gif_file], api_name="interpolate",
              **DRAWING_POOL)
    return InterpolateTab(model)
