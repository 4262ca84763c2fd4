"""Explore tab: one z, sliders on its first k dimensions, and G(z) drawn large.

The current z (all latent_dim values) lives in a per-tab gr.State, so the Interpolate tab can
start from it and a t-SNE click can replace it. The sliders set its first k dimensions.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..images import to_uint8, upscale
from ..latent import MAX_SLIDERS, SLIDER_RANGE, generate, latent_from_seed, with_slider_values
from ..models import Generator
from . import directions_panel
from .common import DRAWING_POOL, default_model, friendly, model_choices, resolve_generator, whole_number
from .fields import Dropdown, Number, Radio, Slider, refuse
from .picture import WriteOnceImage
from .refusal import checked
from .sessions import SessionRegistry

IMAGE_SCALE = 14  # 28 px -> 392 px, nearest-neighbour
DEFAULT_SLIDERS = 8
SLIDERS_PER_ROW = 4
MAX_SEED = 2**31 - 1

# image (1, 28, 28) in [-1, 1] -> the closest MNIST training image; None when metrics are off
NearestFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class ExploreTab:
    model: gr.Dropdown
    seed: gr.Number
    digit: gr.Radio
    sliders: list[gr.Slider]
    image: gr.Image
    nearest: gr.Image
    z: gr.State  # the current z as a list of floats
    k: gr.Slider
    show_seed: Callable[..., tuple[Any, ...]]  # handler: (model, seed, k, digit) -> z_outputs
    set_z: Callable[..., tuple[Any, ...]]  # (generator, z, k, digit) -> z_outputs values
    seed_inputs: list[Any]
    z_outputs: list[Any]


def big_image(images: torch.Tensor) -> np.ndarray:
    """The first image of a batch as (H, W) uint8, upscaled without blur."""
    return upscale(to_uint8(images[:1])[0], IMAGE_SCALE)


def check_seed(seed: Any, label: str = "Seed") -> int:
    return whole_number(label, seed, 0, MAX_SEED)


def check_digit(generator: Generator, digit: Any, label: str = "Digit (conditional models)") -> int | None:
    """The digit label for a conditional generator (None for an unconditional one)."""
    if not generator.conditional:
        return None
    if not (isinstance(digit, int) and not isinstance(digit, bool) and 0 <= digit <= 9):
        raise refuse(label, f"this model is conditional: choose a digit from 0 to 9; got {digit!r}.")
    return digit


def parse_z(text: str, latent_dim: int) -> torch.Tensor:
    """z from comma-separated numbers (the /generate API)."""
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise refuse("z", f"must be {latent_dim} numbers separated by commas; got {text[:80]!r}.") from None
    if len(values) != latent_dim:
        raise refuse("z", f"must have exactly {latent_dim} values for this model (its latent_dim); got {len(values)}.")
    if not all(math.isfinite(v) for v in values):
        raise refuse("z", "must be finite numbers; got NaN or infinity.")
    return torch.tensor(values)


def draw(generator: Generator, z: torch.Tensor, digit: Any, nearest_fn: NearestFn | None) -> tuple[Any, Any]:
    """(G(z) large, the nearest training image large or None)."""
    images = generate(generator, z, check_digit(generator, digit))
    if nearest_fn is None:
        return big_image(images), None
    return big_image(images), big_image(nearest_fn(images[0]).reshape(1, 1, 28, 28))


def build(registry: SessionRegistry, nearest_fn: NearestFn | None) -> ExploreTab:
    with gr.Row():
        model = Dropdown(model_choices(), value=default_model(), label="Model", scale=3, elem_id="explore-model")
        seed = Number(0, precision=0, label="Seed (gives z)", scale=1, elem_id="explore-seed")
        randomise = gr.Button("Randomise", scale=1, elem_id="explore-randomise")
        reset = gr.Button("Reset", scale=1, elem_id="explore-reset")
    digit = Radio(list(range(10)), value=0, label="Digit (conditional models)", elem_id="explore-digit")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            k = Slider(1, MAX_SLIDERS, value=DEFAULT_SLIDERS, step=1, label="Sliders: first k dimensions of z")
            sliders = []
            for row in range(0, MAX_SLIDERS, SLIDERS_PER_ROW):
                with gr.Row():
                    for i in range(row, row + SLIDERS_PER_ROW):
                        sliders.append(Slider(-SLIDER_RANGE, SLIDER_RANGE, value=0.0, step=0.05, label=f"z[{i}]",
                                                 visible=i < DEFAULT_SLIDERS, elem_id=f"explore-z{i}", min_width=120))
        image = WriteOnceImage(label="G(z)", format="png", type="numpy", interactive=False, height=392, width=392,
                               elem_id="explore-image", elem_classes="gx-pixelated")
        nearest = WriteOnceImage(label="Nearest training image", format="png", type="numpy",
                                 interactive=False, height=392, width=392, visible=nearest_fn is not None,
                                 elem_id="explore-nearest", elem_classes="gx-pixelated")
    z_state = gr.State([])
    directions_panel.build(registry, model, z_state, digit)
    z_text = gr.Textbox("", label="z", visible=False)  # the /generate API's optional z: empty = z from the seed
    api_button = gr.Button(visible=False)
    seed_label = seed.label

    def check_k(k_value: Any) -> int:
        return whole_number(k.label, k_value, 1, MAX_SLIDERS)

    def set_z(generator: Generator, z: torch.Tensor, k_value: int, digit_value: Any) -> tuple[Any, ...]:
        """Show z: sliders take its first values; returns (z state, digit, *sliders, image, nearest)."""
        k_value = min(check_k(k_value), generator.latent_dim)
        values = z[:MAX_SLIDERS].tolist()
        slider_updates = [gr.Slider(value=round(values[i], 2) if i < len(values) else 0.0, visible=i < k_value)
                          for i in range(MAX_SLIDERS)]
        return (z.tolist(), gr.Radio(visible=generator.conditional), *slider_updates,
                *draw(generator, z, digit_value, nearest_fn))

    @friendly
    def from_seed(request: gr.Request, model_choice: str, seed_value: Any, k_value: int, digit_value: Any):
        generator = resolve_generator(registry.get(request), model_choice)
        z = latent_from_seed(check_seed(seed_value, seed.label), generator.latent_dim)
        return set_z(generator, z, k_value, digit_value)

    @friendly
    def randomised(request: gr.Request, model_choice: str, k_value: int, digit_value: Any):
        new_seed = random.randint(0, MAX_SEED)
        return new_seed, *from_seed(request, model_choice, new_seed, k_value, digit_value)

    @friendly
    def render(request: gr.Request, model_choice: str, z: list[float], seed_value: Any, digit_value: Any,
               k_value: int, *slider_values: float):
        generator = resolve_generator(registry.get(request), model_choice)
        base = (torch.tensor(z) if len(z) == generator.latent_dim
                else latent_from_seed(check_seed(seed_value, seed.label), generator.latent_dim))
        k_value = min(check_k(k_value), generator.latent_dim)
        current = with_slider_values(base, slider_values[:k_value])
        return current.tolist(), *draw(generator, current, digit_value, nearest_fn)

    @friendly
    def generate_api(request: gr.Request, model: str, seed: int, digit: int, z: str) -> np.ndarray:
        """G(z) upscaled, for z given as comma-separated numbers, or else z from the seed."""
        generator = resolve_generator(registry.get(request), model)
        z = (z or "").strip()  # the API's default for z is empty: z from the seed
        vector = parse_z(z, generator.latent_dim) if z else latent_from_seed(check_seed(seed, seed_label),
                                                                              generator.latent_dim)
        return big_image(generate(generator, vector, check_digit(generator, digit)))

    z_outputs = [z_state, digit, *sliders, image, nearest]
    seed_inputs = [model, seed, k, digit]
    fast = {**DRAWING_POOL, "show_progress": "hidden", "api_visibility": "private"}
    def check_model(request: gr.Request, model_choice: str, seed_value: Any) -> None:
        resolve_generator(registry.get(request), model_choice)
        check_seed(seed_value)

    @friendly
    def choose_model(request: gr.Request, model_choice: str, seed_value: Any, k_value: int, digit_value: Any):
        """Draw the chosen model; a model that cannot draw yet (Live run before training) is refused with
        one message and clears the pictures, which would otherwise stand under its name."""
        try:
            resolve_generator(registry.get(request), model_choice)
        except gr.Error as e:
            gr.Warning(e.message)
            return (*(gr.skip() for _ in z_outputs[:-2]), None, None)
        return from_seed(request, model_choice, seed_value, k_value, digit_value)

    # User events, not .change: a t-SNE click or a Load sets these too, and must not redraw from the seed.
    # .select, not .input: Gradio 6.31's dropdown fires .input twice per choice (the message came twice).
    # A refused seed leaves the pictures as they were (refusal.py).
    model.select(choose_model, seed_inputs, z_outputs, trigger_mode="always_last", **fast)
    for event in (seed.input, reset.click):
        checked(event, check_model, [model, seed], trigger_mode="always_last").success(
            from_seed, seed_inputs, z_outputs, **fast)
    randomise.click(randomised, [model, k, digit], [seed, *z_outputs], **fast)
    render_inputs = [model, z_state, seed, digit, k, *sliders]
    for slider in sliders:
        slider.release(render, render_inputs, [z_state, image, nearest], trigger_mode="always_last", **fast)
    digit.input(render, render_inputs, [z_state, image, nearest], **fast)
    k.release(friendly(lambda k_value: [gr.Slider(visible=i < check_k(k_value)) for i in range(MAX_SLIDERS)]),
              k, sliders, **{**fast, "concurrency_limit": None, "concurrency_id": None})
    api_button.click(generate_api, inputs_kwargs={"model": model, "seed": seed, "digit": digit, "z": z_text},
                     outputs=image, api_name="generate", **DRAWING_POOL)
    return ExploreTab(model, seed, digit, sliders, image, nearest, z_state, k, from_seed, set_z, seed_inputs,
                      z_outputs)
