"""Explore's discovered directions: SeFa or GANSpace, a preview strip per direction, and sliders along them.

The raw sliders move z one coordinate at a time; these move it along directions the model itself
makes matter most (gan_explorer.directions). Each strip shows G from -3 to +3 sigma along one direction
from Explore's current z, so a student sees what a direction does before moving its slider.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..directions import DEFAULT_DIRECTIONS, PREVIEW_SPAN, PREVIEW_STEPS, find_directions, moved, preview_strips
from ..images import grid, to_uint8, upscale
from ..latent import generate, latent_from_seed
from ..models import Generator
from ..sessions import Session
from .common import DRAWING_POOL, bind, friendly, resolve_generator
from .fields import Radio, Slider, chosen, refuse
from .picture import WriteOnceImage
from .sessions import SessionRegistry
from .slider_route import MovingPicture, follow

METHODS = {"SeFa (closed form)": "sefa", "GANSpace (PCA)": "ganspace"}
STRIP_SCALE = 3
IMAGE_SCALE = 8
NOTE = ("**Discovered directions.** SeFa reads them from the weights of G's first layer (the moves of z it "
        "amplifies most); GANSpace from the principal components of that layer's activations over many z. "
        "Each row shows G from -3σ to +3σ along one direction, from the current z. For a conditional model "
        "the digit stays fixed: these directions keep the digit and change its style (slant, width, stroke).")


def _base(generator: Generator, z: list[float] | None) -> torch.Tensor:
    """Explore's current z when it belongs to this model, else the z of seed 0."""
    return torch.tensor(z) if z and len(z) == generator.latent_dim else latent_from_seed(0, generator.latent_dim)


@dataclass
class DirectionsPanel:
    """The panel's controls, and the Explore controls it reads (model, z, digit)."""
    registry: SessionRegistry
    model: gr.Dropdown
    z_state: gr.State
    digit: gr.Radio
    method: Radio
    show: gr.Button
    strips: WriteOnceImage
    sliders: list[Slider]
    image: WriteOnceImage
    directions: gr.State  # the directions shown, as lists, for the sliders


def strips_and_directions(panel: DirectionsPanel, request: gr.Request, model: str, method: str,
                          z: list[float] | None, digit: Any) -> tuple[np.ndarray, list[list[float]]]:
    from .explore_tab import check_digit  # here: explore_tab imports this module

    generator = resolve_generator(panel.registry.get(request), model)
    found = find_directions(generator, chosen(method, METHODS, panel.method.label), DEFAULT_DIRECTIONS)
    frames = preview_strips(generator, _base(generator, z), found, check_digit(generator, digit))
    return grid(frames, nrow=PREVIEW_STEPS, scale=STRIP_SCALE), found.tolist()


@friendly
def preview(panel: DirectionsPanel, request: gr.Request, model: str, method: str, z: list[float] | None,
            digit: Any) -> tuple[Any, ...]:
    """New strips and directions; the sliders along them go back to 0, the picture to G(z) unmoved (a
    moving slider redraws a picture that is there: slider_route)."""
    picture, found = strips_and_directions(panel, request, model, method, z, digit)
    unmoved = moved_picture(panel.registry.get(request), model, z or [], digit, found, [])
    return picture, found, *[gr.Slider(value=0.0) for _ in panel.sliders], unmoved


@friendly
def directions_api(panel: DirectionsPanel, request: gr.Request, model: str, method: str,
                   z: list[float] | None = None, digit: Any = 0) -> np.ndarray:
    """Preview strips (PNG, one row per direction, -3 to +3 sigma) of a model's top directions by a method,
    from the z of seed 0 (Explore's current z on the page)."""
    return strips_and_directions(panel, request, model, method, z, digit)[0]


def moved_picture(session: Session, model: str, z: list[float], digit: Any, shown: list[list[float]],
                  amounts: Sequence[Any]) -> np.ndarray:
    """G of Explore's z moved by `amounts` along the `shown` directions, upscaled."""
    from .explore_tab import check_digit  # here: explore_tab imports this module

    generator = resolve_generator(session, model)
    if not shown or len(shown[0]) != generator.latent_dim:
        raise gr.Error("Press “Preview from the current z” first: the directions belong to a model.",
                       print_exception=False)
    values = [a if isinstance(a, (int, float)) and not isinstance(a, bool) else math.nan for a in amounts]
    if len(values) > len(shown) or not all(abs(v) <= PREVIEW_SPAN for v in values):  # NaN fails this too
        raise refuse("direction", f"at most {len(shown)} amounts from -{PREVIEW_SPAN} to {PREVIEW_SPAN}; "
                                  f"got {values}.")
    z_moved = moved(_base(generator, z), torch.tensor(shown), values)
    return upscale(to_uint8(generate(generator, z_moved, check_digit(generator, digit)))[0], IMAGE_SCALE)


@friendly
def slide(panel: DirectionsPanel, request: gr.Request, model: str, z: list[float], digit: Any,
          shown: list[list[float]], *amounts: Any) -> np.ndarray:
    return moved_picture(panel.registry.get(request), model, z, digit, shown, amounts)


MOVING = MovingPicture("directions", sliders="directions-d", image="directions-image",
                       draw=lambda session, inputs, values: moved_picture(session, *inputs, values))


def _layout(registry: SessionRegistry, model: gr.Dropdown, z_state: gr.State, digit: gr.Radio) -> DirectionsPanel:
    with gr.Accordion("Discovered directions (SeFa, GANSpace)", open=True, elem_id="directions-panel"):
        gr.Markdown(NOTE)
        with gr.Row():
            method = Radio(list(METHODS), value=next(iter(METHODS)), label="Method", elem_id="directions-method")
            show = gr.Button("Preview from the current z", elem_id="directions-show")
        with gr.Row(equal_height=False):
            strips = WriteOnceImage(label=f"Top {DEFAULT_DIRECTIONS} directions, one per row: -3σ … +3σ",
                                    format="png", type="numpy", interactive=False, elem_id="directions-strips",
                                    elem_classes="gx-pixelated", scale=3)
            with gr.Column(scale=2):
                sliders = [Slider(-PREVIEW_SPAN, PREVIEW_SPAN, value=0.0, step=0.1, label=f"direction {i + 1}",
                                  elem_id=f"directions-d{i}") for i in range(DEFAULT_DIRECTIONS)]
                image = WriteOnceImage(label="G(z moved along the directions)", format="png", type="numpy",
                                       interactive=False, height=224, width=224, elem_id="directions-image",
                                       elem_classes="gx-pixelated")
    return DirectionsPanel(registry, model, z_state, digit, method, show, strips, sliders, image, gr.State([]))


def build(registry: SessionRegistry, model: gr.Dropdown, z_state: gr.State, digit: gr.Radio) -> None:
    """The panel, under Explore's picture; reads Explore's model, z and digit."""
    panel = _layout(registry, model, z_state, digit)
    api_button = gr.Button(visible=False)
    page_inputs = [model, panel.method, z_state, digit]
    previewed = [panel.strips, panel.directions, *panel.sliders, panel.image]
    for event in (panel.show.click, panel.method.input):
        event(bind(preview, panel), page_inputs, previewed, api_visibility="private", **DRAWING_POOL)
    api_button.click(bind(directions_api, panel),
                     inputs_kwargs={"model": model, "method": panel.method, "z": z_state, "digit": digit},
                     outputs=panel.strips, api_name="directions", **DRAWING_POOL)
    # As Explore's sliders: drawn by a plain route while they move (slider_route), by Gradio on release.
    follow(MOVING, registry, [model, z_state, digit, panel.directions])
    gr.on([slider.release for slider in panel.sliders], bind(slide, panel),
          [model, z_state, digit, panel.directions, *panel.sliders], panel.image,
          trigger_mode="always_last", show_progress="hidden", api_visibility="private", **DRAWING_POOL)
