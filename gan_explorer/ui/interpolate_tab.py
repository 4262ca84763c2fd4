"""Interpolate tab: walk from one z to another and watch G's output morph, as a strip and a GIF."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import torch

from ..data import NUM_CLASSES
from ..images import gif_bytes, grid, to_uint8, upscale
from ..latent import INTERPOLATION_NOTE, MAX_STEPS, MIN_STEPS, interpolation_frames, latent_from_seed
from ..models import Generator
from ..parsing import whole_number
from .common import DRAWING_POOL, bind, default_model, friendly, model_choices, resolve_generator
from .downloads import write_download
from .explore_tab import check_digit, check_seed
from .fields import Dropdown, Number, Radio, Slider, chosen, refuse
from .picture import WriteOnceImage
from .sessions import SessionRegistry

FROM_SEED, FROM_EXPLORE = "seed", "Explore z"
METHODS = {"spherical (slerp)": "slerp", "linear": "linear"}
STRIP_PER_ROW = 16
STRIP_SCALE = 4
GIF_SCALE = 8


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


def _endpoint_controls(title: str, seed: int, digit: int) -> _Endpoint:
    """Each control labelled with its end, so a message about it says which one."""
    with gr.Column():
        gr.Markdown(f"**{title}**")
        source = Radio([FROM_SEED, FROM_EXPLORE], value=FROM_SEED, label=f"{title}: z from")
        seed_box = Number(seed, precision=0, label=f"{title} seed")
        digit_box = Radio(list(range(NUM_CLASSES)), value=digit, label=f"{title} digit (conditional models)")
    return _Endpoint(source, seed_box, digit_box)


@dataclass
class InterpolateTab:
    """The tab's controls, and the Explore tab's z that an end may start from."""
    registry: SessionRegistry
    explore_z: gr.State
    model: Dropdown
    start: _Endpoint
    end: _Endpoint
    steps: Slider
    method: Radio
    run: gr.Button
    strip: WriteOnceImage
    animation: gr.Image
    gif_file: gr.File


@friendly
def interpolate(tab: InterpolateTab, request: gr.Request, model: str, start_seed: int, end_seed: int,
                start_digit: int, end_digit: int, steps: int, method: str, start_source: str = FROM_SEED,
                end_source: str = FROM_SEED, explore_z: list[float] | None = None) -> dict[Any, Any]:
    generator = resolve_generator(tab.registry.get(request), model)
    z0 = tab.start.z(generator, start_source, start_seed, explore_z or [])
    z1 = tab.end.z(generator, end_source, end_seed, explore_z or [])
    steps = whole_number(tab.steps.label, steps, MIN_STEPS, MAX_STEPS)
    frames = interpolation_frames(generator, z0, z1, steps, chosen(method, METHODS, tab.method.label),
                                  check_digit(generator, start_digit, tab.start.digit.label),
                                  check_digit(generator, end_digit, tab.end.digit.label))
    gif = gif_bytes([upscale(frame, GIF_SCALE) for frame in to_uint8(frames)])
    path = str(write_download("interpolation", ".gif", gif))
    return {tab.strip: grid(frames, nrow=min(len(frames), STRIP_PER_ROW), scale=STRIP_SCALE),
            tab.animation: path, tab.gif_file: path}


@friendly
def show_digits(tab: InterpolateTab, request: gr.Request, model_choice: str) -> dict[Any, Any]:
    conditional = resolve_generator(tab.registry.get(request), model_choice).conditional
    return {tab.start.digit: gr.Radio(visible=conditional), tab.end.digit: gr.Radio(visible=conditional)}


def _layout(registry: SessionRegistry, explore_z: gr.State) -> InterpolateTab:
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
    return InterpolateTab(registry, explore_z, model, start, end, steps, method, run, strip, animation, gif_file)


def build(registry: SessionRegistry, explore_z: gr.State) -> InterpolateTab:
    tab = _layout(registry, explore_z)
    inputs = {"model": tab.model, "start_seed": tab.start.seed, "end_seed": tab.end.seed,
              "start_digit": tab.start.digit, "end_digit": tab.end.digit, "steps": tab.steps, "method": tab.method,
              "start_source": tab.start.source, "end_source": tab.end.source, "explore_z": tab.explore_z}
    tab.model.input(bind(show_digits, tab), tab.model, [tab.start.digit, tab.end.digit], api_visibility="private",
                    concurrency_limit=None)
    tab.run.click(bind(interpolate, tab), inputs_kwargs=inputs, outputs=[tab.strip, tab.animation, tab.gif_file],
                  api_name="interpolate", **DRAWING_POOL)
    return tab
