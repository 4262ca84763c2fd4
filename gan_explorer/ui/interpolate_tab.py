"""Interpolate tab: walk from one z to another and watch G's output morph, as a strip and a GIF."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..images import gif_bytes, grid, to_uint8, upscale
from ..latent import INTERPOLATION_NOTE, MAX_STEPS, MIN_STEPS, interpolation_frames, latent_from_seed
from ..models import Generator
from .common import default_model, friendly, model_choices, resolve_generator, whole_number
from .downloads import write_download
from .picture import WriteOnceImage
from .explore_tab import check_digit, check_seed
from .sessions import SessionRegistry

FROM_SEED, FROM_EXPLORE = "seed", "Explore z"
METHODS = {"spherical (slerp)": "slerp", "linear": "linear"}
STRIP_PER_ROW = 16
STRIP_SCALE = 4
GIF_SCALE = 8


@dataclass
class InterpolateTab:
    model: gr.Dropdown


def _endpoint(generator: Generator, source: str, seed: Any, explore_z: list[float]) -> torch.Tensor:
    if source == FROM_EXPLORE:
        if len(explore_z) != generator.latent_dim:
            raise gr.Error("The Explore tab has no z for this model yet: open Explore with the same model, "
                           "or use a seed.")
        return torch.tensor(explore_z)
    if source != FROM_SEED:
        raise gr.Error(f"Endpoint source must be {FROM_SEED!r} or {FROM_EXPLORE!r}; got {source!r}.")
    return latent_from_seed(check_seed(seed), generator.latent_dim)


def _method(name: str) -> str:
    if name in METHODS.values():
        return name
    if name not in METHODS:
        raise gr.Error(f"Method must be one of {', '.join(METHODS)}; got {name!r}.")
    return METHODS[name]


def _endpoint_controls(title: str, seed: int, digit: int) -> tuple[gr.Radio, gr.Number, gr.Radio]:
    with gr.Column():
        gr.Markdown(f"**{title}**")
        source = gr.Radio([FROM_SEED, FROM_EXPLORE], value=FROM_SEED, label="z from")
        seed_box = gr.Number(seed, precision=0, label="Seed")
        digit_box = gr.Radio(list(range(10)), value=digit, label="Digit (conditional models)")
    return source, seed_box, digit_box


def build(registry: SessionRegistry, explore_z: gr.State) -> InterpolateTab:
    model = gr.Dropdown(model_choices(), value=default_model(), label="Model", elem_id="interpolate-model")
    with gr.Row():
        start_source, start_seed, start_digit = _endpoint_controls("Start", 1, 3)
        end_source, end_seed, end_digit = _endpoint_controls("End", 2, 8)
        with gr.Column():
            steps = gr.Slider(MIN_STEPS, MAX_STEPS, value=10, step=1, label="Steps (endpoints included)")
            method = gr.Radio(list(METHODS), value="spherical (slerp)", label="Path")
            gr.Markdown(f"*Why spherical?* {INTERPOLATION_NOTE}")
            run = gr.Button("Interpolate", variant="primary", elem_id="interpolate-run")
    strip = WriteOnceImage(label="Strip: start to end", format="png", type="numpy", interactive=False,
                           elem_id="interpolate-strip", elem_classes="gx-pixelated")
    with gr.Row():
        animation = gr.Image(label="Animation", type="filepath", interactive=False, height=240, width=240,
                             elem_classes="gx-pixelated")
        gif_file = gr.File(label="Download the GIF", interactive=False)

    @friendly
    def interpolate(request: gr.Request, model: str, start_seed: int, end_seed: int, start_digit: int,
                    end_digit: int, steps: int, method: str, start_source: str = FROM_SEED,
                    end_source: str = FROM_SEED, explore_z: list[float] | None = None
                    ) -> tuple[np.ndarray, str, str]:
        generator = resolve_generator(registry.get(request), model)
        z0 = _endpoint(generator, start_source, start_seed, explore_z or [])
        z1 = _endpoint(generator, end_source, end_seed, explore_z or [])
        steps = whole_number("Steps", steps, MIN_STEPS, MAX_STEPS)
        frames = interpolation_frames(generator, z0, z1, steps, _method(method),
                                      check_digit(generator, start_digit), check_digit(generator, end_digit))
        strip_image = grid(frames, nrow=min(len(frames), STRIP_PER_ROW), scale=STRIP_SCALE)
        gif = gif_bytes([upscale(frame, GIF_SCALE) for frame in to_uint8(frames)])
        path = write_download("interpolation", ".gif", gif)
        return strip_image, str(path), str(path)

    inputs = {"model": model, "start_seed": start_seed, "end_seed": end_seed, "start_digit": start_digit,
              "end_digit": end_digit, "steps": steps, "method": method, "start_source": start_source,
              "end_source": end_source, "explore_z": explore_z}
    @friendly
    def show_digits(request: gr.Request, model_choice: str) -> tuple[Any, Any]:
        conditional = resolve_generator(registry.get(request), model_choice).conditional
        return gr.Radio(visible=conditional), gr.Radio(visible=conditional)

    model.input(show_digits, model, [start_digit, end_digit], api_visibility="private", concurrency_limit=None)
    run.click(interpolate, inputs_kwargs=inputs, outputs=[strip, animation, gif_file], api_name="interpolate",
              concurrency_limit=None)
    return InterpolateTab(model)
