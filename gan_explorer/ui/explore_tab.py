"""Explore tab: one z, sliders on its first k dimensions, and G(z) drawn large.

The current z (all latent_dim values) lives in a per-tab gr.State, so the Interpolate tab can
start from it and a t-SNE click can replace it. The sliders set its first k dimensions.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..data import NUM_CLASSES
from ..images import to_uint8, upscale
from ..latent import MAX_SLIDERS, SLIDER_RANGE, generate, latent_from_seed, with_slider_values
from ..models import Generator
from ..parsing import number_list, whole_number
from ..sessions import Session
from . import directions_panel
from .common import DRAWING_POOL, bind, default_model, friendly, model_choices, resolve_generator
from .fields import Dropdown, Number, Radio, Slider, refuse
from .picture import WriteOnceImage
from .refusal import checked
from .sessions import SessionRegistry
from .slider_route import MovingPicture, follow

IMAGE_SCALE = 14  # 28 px -> 392 px, nearest-neighbour
DEFAULT_SLIDERS = 8
SLIDERS_PER_ROW = 4
MAX_SEED = 2**31 - 1
SEED_LABEL = "Seed (gives z)"
K_LABEL = "Sliders: first k dimensions of z"
NEAREST_LABEL = "Nearest training image (on release)"  # found when a slider is let go

# image (1, 28, 28) in [-1, 1] -> the closest MNIST training image; None when metrics are off
NearestFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class ExploreTab:
    """The tab's controls, and what its handlers draw with."""
    registry: SessionRegistry
    nearest_fn: NearestFn | None
    model: Dropdown
    seed: Number
    randomise: gr.Button
    reset: gr.Button
    digit: Radio
    k: Slider
    sliders: list[Slider]
    image: WriteOnceImage
    nearest: WriteOnceImage
    z: gr.State  # the current z as a list of floats
    z_text: gr.Textbox  # the /generate API's optional z: empty = z from the seed
    api_button: gr.Button  # /generate's trigger: the API has no button on the page

    @property
    def seed_inputs(self) -> list[Any]:
        """from_seed's inputs."""
        return [self.model, self.seed, self.k, self.digit]

    @property
    def z_outputs(self) -> list[Any]:
        """Everything show_z may update."""
        return [self.z, self.digit, *self.sliders, self.image, self.nearest]


def big_image(images: torch.Tensor) -> np.ndarray:
    """The first image of a batch as (H, W) uint8, upscaled without blur."""
    return upscale(to_uint8(images[:1])[0], IMAGE_SCALE)


def check_seed(seed: Any, label: str = "Seed") -> int:
    return whole_number(label, seed, 0, MAX_SEED)


def check_digit(generator: Generator, digit: Any, label: str = "Digit (conditional models)") -> int | None:
    """The digit label for a conditional generator (None for an unconditional one)."""
    if not generator.conditional:
        return None
    if not (isinstance(digit, int) and not isinstance(digit, bool) and 0 <= digit < NUM_CLASSES):
        raise refuse(label, f"this model is conditional: choose a digit from 0 to {NUM_CLASSES - 1}; got {digit!r}.")
    return digit


def parse_z(text: str, latent_dim: int) -> torch.Tensor:
    """z from comma-separated numbers (the /generate API)."""
    return torch.tensor(number_list("z", text, float, latent_dim, why=" for this model (its latent_dim)"))


def g_of(generator: Generator, z: torch.Tensor, digit: Any) -> torch.Tensor:
    """G(z) (1, 1, 28, 28), with the digit for a conditional generator (checked)."""
    return generate(generator, z, check_digit(generator, digit))


def draw(generator: Generator, z: torch.Tensor, digit: Any, nearest_fn: NearestFn | None) -> tuple[Any, Any]:
    """(G(z) large, the nearest training image large or None)."""
    images = g_of(generator, z, digit)
    if nearest_fn is None:
        return big_image(images), None
    return big_image(images), big_image(nearest_fn(images[0]).reshape(1, 1, 28, 28))


def check_k(k: Any) -> int:
    return whole_number(K_LABEL, k, 1, MAX_SLIDERS)


def show_z(tab: ExploreTab, generator: Generator, z: torch.Tensor, k: Any, digit: Any) -> dict[Any, Any]:
    """Show z: the sliders take its first values, the digit choice shows for a conditional model."""
    k = min(check_k(k), generator.latent_dim)
    values = z[:MAX_SLIDERS].tolist()
    sliders = {slider: gr.Slider(value=round(values[i], 2) if i < len(values) else 0.0, visible=i < k)
               for i, slider in enumerate(tab.sliders)}
    image, nearest = draw(generator, z, digit, tab.nearest_fn)
    return {tab.z: z.tolist(), tab.digit: gr.Radio(visible=generator.conditional), **sliders,
            tab.image: image, tab.nearest: nearest}


@friendly
def from_seed(tab: ExploreTab, request: gr.Request, model_choice: str, seed: Any, k: Any, digit: Any
              ) -> dict[Any, Any]:
    generator = resolve_generator(tab.registry.get(request), model_choice)
    return show_z(tab, generator, latent_from_seed(check_seed(seed, SEED_LABEL), generator.latent_dim), k, digit)


@friendly
def randomised(tab: ExploreTab, request: gr.Request, model_choice: str, k: Any, digit: Any) -> dict[Any, Any]:
    new_seed = random.randint(0, MAX_SEED)
    return {tab.seed: new_seed, **from_seed(tab, request, model_choice, new_seed, k, digit)}


def slid_z(generator: Generator, z: Sequence[float], seed: Any, k: Any, slider_values: Sequence[float]
           ) -> torch.Tensor:
    """z (or, when it is not one of this model's, z from the seed) with the sliders' values in its
    first k dimensions."""
    base = (torch.tensor(z) if len(z) == generator.latent_dim
            else latent_from_seed(check_seed(seed, SEED_LABEL), generator.latent_dim))
    return with_slider_values(base, slider_values[:min(check_k(k), generator.latent_dim)])


@friendly
def render(tab: ExploreTab, request: gr.Request, model_choice: str, z: list[float], seed: Any, digit: Any,
           k: Any, *slider_values: float) -> dict[Any, Any]:
    """G(z) with the sliders' values in z's first k dimensions, and the nearest training image."""
    generator = resolve_generator(tab.registry.get(request), model_choice)
    current = slid_z(generator, z, seed, k, slider_values)
    image, nearest = draw(generator, current, digit, tab.nearest_fn)
    return {tab.z: current.tolist(), tab.image: image, tab.nearest: nearest}


def draw_moving(session: Session, shown: tuple[Any, ...], slider_values: tuple[float, ...]) -> np.ndarray:
    """G(z) while a slider moves (slider_route), from what Explore shows: the nearest image waits for
    the release (render)."""
    model_choice, z, seed, digit, k = shown
    generator = resolve_generator(session, model_choice)
    return big_image(g_of(generator, slid_z(generator, z, seed, k, slider_values), digit))


MOVING = MovingPicture("explore", sliders="explore-z", image="explore-image", draw=draw_moving)


@friendly
def generate_api(tab: ExploreTab, request: gr.Request, model: str, seed: int, digit: int, z: str) -> np.ndarray:
    """G(z) upscaled, for z given as comma-separated numbers, or else z from the seed."""
    generator = resolve_generator(tab.registry.get(request), model)
    z = (z or "").strip()  # the API's default for z is empty: z from the seed
    vector = parse_z(z, generator.latent_dim) if z else latent_from_seed(check_seed(seed, SEED_LABEL),
                                                                          generator.latent_dim)
    return big_image(g_of(generator, vector, digit))


def check_model(tab: ExploreTab, request: gr.Request, model_choice: str, seed: Any) -> None:
    resolve_generator(tab.registry.get(request), model_choice)
    check_seed(seed)


@friendly
def choose_model(tab: ExploreTab, request: gr.Request, model_choice: str, seed: Any, k: Any, digit: Any
                 ) -> dict[Any, Any]:
    """Draw the chosen model; a model that cannot draw yet (Live run before training) is refused with
    one message and clears the pictures, which would otherwise stand under its name."""
    try:
        resolve_generator(tab.registry.get(request), model_choice)
    except gr.Error as e:
        gr.Warning(e.message)
        return {tab.image: None, tab.nearest: None}
    return from_seed(tab, request, model_choice, seed, k, digit)


@friendly
def show_sliders(tab: ExploreTab, k: Any) -> dict[Any, Any]:
    return {slider: gr.Slider(visible=i < check_k(k)) for i, slider in enumerate(tab.sliders)}


def _slider_grid() -> list[Slider]:
    sliders = []
    for row in range(0, MAX_SLIDERS, SLIDERS_PER_ROW):
        with gr.Row():
            for i in range(row, row + SLIDERS_PER_ROW):
                sliders.append(Slider(-SLIDER_RANGE, SLIDER_RANGE, value=0.0, step=0.05, label=f"z[{i}]",
                                      visible=i < DEFAULT_SLIDERS, elem_id=f"explore-z{i}", min_width=120))
    return sliders


def _layout(registry: SessionRegistry, nearest_fn: NearestFn | None) -> ExploreTab:
    with gr.Row():
        model = Dropdown(model_choices(), value=default_model(), label="Model", scale=3, elem_id="explore-model")
        seed = Number(0, precision=0, label=SEED_LABEL, scale=1, elem_id="explore-seed")
        randomise = gr.Button("Randomise", scale=1, elem_id="explore-randomise")
        reset = gr.Button("Reset", scale=1, elem_id="explore-reset")
    digit = Radio(list(range(NUM_CLASSES)), value=0, label="Digit (conditional models)", elem_id="explore-digit")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            k = Slider(1, MAX_SLIDERS, value=DEFAULT_SLIDERS, step=1, label=K_LABEL)
            sliders = _slider_grid()
        image = WriteOnceImage(label="G(z)", format="png", type="numpy", interactive=False, height=392, width=392,
                               elem_id="explore-image", elem_classes="gx-pixelated")
        nearest = WriteOnceImage(label=NEAREST_LABEL, format="png", type="numpy",
                                 interactive=False, height=392, width=392, visible=nearest_fn is not None,
                                 elem_id="explore-nearest", elem_classes="gx-pixelated")
    z_state = gr.State([])
    directions_panel.build(registry, model, z_state, digit)
    return ExploreTab(registry, nearest_fn, model, seed, randomise, reset, digit, k, sliders, image, nearest,
                      z_state, gr.Textbox("", label="z", visible=False), gr.Button(visible=False))


def build(registry: SessionRegistry, nearest_fn: NearestFn | None) -> ExploreTab:
    tab = _layout(registry, nearest_fn)
    fast = {**DRAWING_POOL, "show_progress": "hidden", "api_visibility": "private"}
    # User events, not .change: a t-SNE click or a Load sets these too, and must not redraw from the seed.
    # .select, not .input: Gradio 6.31's dropdown fires .input twice per choice (the message came twice).
    # A refused seed leaves the pictures as they were (refusal.py).
    tab.model.select(bind(choose_model, tab), tab.seed_inputs, tab.z_outputs, trigger_mode="always_last", **fast)
    for event in (tab.seed.input, tab.reset.click):
        checked(event, bind(check_model, tab), [tab.model, tab.seed], trigger_mode="always_last").success(
            bind(from_seed, tab), tab.seed_inputs, tab.z_outputs, **fast)
    tab.randomise.click(bind(randomised, tab), [tab.model, tab.k, tab.digit], [tab.seed, *tab.z_outputs], **fast)
    render_inputs, drawn = [tab.model, tab.z, tab.seed, tab.digit, tab.k, *tab.sliders], [tab.z, tab.image, tab.nearest]
    # While a slider moves, its picture comes from a plain route, not from a Gradio event per move
    # (slider_route.py: Gradio's front end spends more per event than the drawing costs); the route
    # draws from what the session remembers of these (draw_moving).
    follow(MOVING, tab.registry, [tab.model, tab.z, tab.seed, tab.digit, tab.k])
    # The release (mouse up, or leaving the number box) draws the picture the page keeps, with the
    # nearest training image: a second picture a student reads when the hand stops.
    gr.on([slider.release for slider in tab.sliders], bind(render, tab), render_inputs, drawn,
          trigger_mode="always_last", **fast)
    tab.digit.input(bind(render, tab), render_inputs, drawn, **fast)
    tab.k.release(bind(show_sliders, tab), tab.k, tab.sliders, **{**fast, "concurrency_limit": None, "concurrency_id": None})
    tab.api_button.click(bind(generate_api, tab), inputs_kwargs={"model": tab.model, "seed": tab.seed,
                                                                 "digit": tab.digit, "z": tab.z_text},
                         outputs=tab.image, api_name="generate", **DRAWING_POOL)
    return tab
