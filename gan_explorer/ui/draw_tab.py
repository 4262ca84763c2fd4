"""Draw tab: draw (or upload) a digit, and find the z from which the chosen generator draws it.

The library does the work (gan_explorer.inversion); this tab wires a sketchpad and a picture upload
to it, shows what G was asked to draw (the picture made like MNIST), what it drew, how far apart they
are, and the nearest training image; "Open in Explore" and "Interpolate from here" hand the z found on.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..classifier import ClassifierError, MNISTClassifier, load_classifier
from ..images import to_uint8, upscale
from ..inversion import Inversion, invert
from .common import DRAWING_POOL, bind, default_model, friendly, model_choices, resolve_generator
from .drawing import PictureInput, drawn_picture, sketchpad
from .explore_tab import ExploreTab, NearestFn, show_z
from .fields import Dropdown
from .interpolate_tab import FROM_EXPLORE, InterpolateTab
from .picture import WriteOnceImage
from .sessions import SessionRegistry

PICTURE_SCALE = 7  # 28 px -> 196 px, nearest-neighbour: three pictures side by side at 1280 px
PROGRESS_EVERY = 10  # steps between progress messages
INTRO = ("Draw a digit, white on black, or upload a picture of one, and press **Find its z**: gradient descent "
         "on z (several starts, the best kept) looks for the z from which the generator draws it. *Asked for* is "
         "your picture made like MNIST's digits (scaled into 20 x 20, centred by its centre of mass). A conditional "
         "model also tries the two digits the classifier reads. An uploaded picture is used while it is there.")


@dataclass
class DrawTab:
    """The tab's controls, and what its handlers search with and hand the z found to."""
    registry: SessionRegistry
    nearest_fn: NearestFn | None
    explore: ExploreTab
    interpolate: InterpolateTab
    tabs: gr.Tabs
    model: gr.Dropdown
    pad: Any
    upload: Any
    find: gr.Button
    to_explore: gr.Button
    to_interpolate: gr.Button
    target: WriteOnceImage
    drawn: WriteOnceImage
    nearest: WriteOnceImage
    summary: gr.Markdown
    found: gr.State  # (model, z list, label) of the last search, for Open in Explore


@functools.cache  # read-only weights, shared by every session
def _classifier() -> MNISTClassifier | None:
    """The classifier that picks the digits a conditional model tries (all ten without it)."""
    try:
        return load_classifier()
    except ClassifierError:
        return None


def _big(image: torch.Tensor) -> np.ndarray:
    return upscale(to_uint8(image.reshape(1, 1, 28, 28))[0], PICTURE_SCALE)


def _z_text(found: Inversion) -> str:
    return ",".join(f"{v:.4f}" for v in found.z.tolist())


def _summary(found: Inversion) -> str:
    digit = f" as a **{found.label}**" if found.label is not None else ""
    real = ("" if found.nearest_distance is None else
            f"; the nearest training image is at {found.nearest_distance:.2f}")
    return (f"G drew it{digit} at distance **{found.distance:.2f}** (L2 on [-1, 1] pixels; 0 is a perfect "
            f"copy{real}). |z|² = {found.z.pow(2).sum():.0f}, typical for this model: {found.z.numel()}.")


def search(tab: DrawTab, request: gr.Request, model_choice: str, image: np.ndarray | None,
           progress: gr.Progress | None = None) -> Inversion:
    generator = resolve_generator(tab.registry.get(request), model_choice)
    if image is None:
        raise gr.Error("Draw a digit on the black square (or upload a picture of one) first.", print_exception=False)

    def report(done: int, total: int) -> None:
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done / total, desc=f"Searching z: step {done} of {total}")

    return invert(generator, image, classify=_classifier(), nearest=tab.nearest_fn, progress=report)


@friendly
def find_z(tab: DrawTab, request: gr.Request, model_choice: str, drawing: dict | None, uploaded: np.ndarray | None,
           progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008 (Gradio's way to ask for progress)
    image = uploaded if uploaded is not None else drawn_picture(drawing)
    found = search(tab, request, model_choice, image, progress)
    return {tab.target: _big(found.target), tab.drawn: _big(found.reconstruction),
            tab.nearest: None if found.nearest is None else _big(found.nearest), tab.summary: _summary(found),
            tab.found: (model_choice, found.z.tolist(), found.label), tab.to_explore: gr.Button(interactive=True),
            tab.to_interpolate: gr.Button(interactive=True)}


@friendly
def invert_api(tab: DrawTab, request: gr.Request, image: np.ndarray | None = None,
               model: str = default_model()) -> tuple[Any, str, int | None]:
    """G's reconstruction of a picture of one digit (196 px PNG), z as comma-separated numbers, and the
    digit label for a conditional model (None otherwise)."""
    found = search(tab, request, model, image)
    return _big(found.reconstruction), _z_text(found), found.label


def _to_explore(tab: DrawTab, request: gr.Request, found: tuple | None, k_value: Any) -> dict[Any, Any]:
    """The z found (and its model and digit) shown in the Explore tab."""
    if not found:
        raise gr.Error("Find a z first.", print_exception=False)
    model_choice, z, label = found
    explore = tab.explore
    generator = resolve_generator(tab.registry.get(request), model_choice)
    shown = show_z(explore, generator, torch.tensor(z), k_value, label)
    digit = gr.Radio(value=label, visible=True) if label is not None else gr.Radio(visible=False)
    return {**shown, explore.model: model_choice, explore.digit: digit}


@friendly
def open_in_explore(tab: DrawTab, request: gr.Request, found: tuple | None, k_value: Any) -> dict[Any, Any]:
    shown = _to_explore(tab, request, found, k_value)
    gr.Info("Explore now shows the z found in Draw (the seed box still holds the old seed).")
    return {**shown, tab.tabs: gr.Tabs(selected="explore")}


@friendly
def interpolate_from_here(tab: DrawTab, request: gr.Request, found: tuple | None, k_value: Any) -> dict[Any, Any]:
    """The z found becomes Explore's z and the start of Interpolate's walk; the Interpolate tab opens."""
    shown = _to_explore(tab, request, found, k_value)
    model_choice, _, label = found  # _to_explore refused an empty search
    start = tab.interpolate.start
    gr.Info("Interpolate starts from the z found in Draw: choose the end and press Interpolate.")
    return {**shown, tab.interpolate.model: model_choice, start.source: FROM_EXPLORE,
            start.digit: gr.Radio(value=label, visible=True) if label is not None else gr.Radio(visible=False),
            tab.interpolate.end.digit: gr.Radio(visible=label is not None),
            tab.tabs: gr.Tabs(selected="interpolate")}


def _layout(registry: SessionRegistry, nearest_fn: NearestFn | None, explore: ExploreTab,
            interpolate: InterpolateTab, tabs: gr.Tabs) -> DrawTab:
    gr.Markdown(INTRO)
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            model = Dropdown(model_choices(), value=default_model(), label="Model", elem_id="draw-model")
            with gr.Tabs():
                with gr.Tab("Draw"):
                    pad = sketchpad(label="Draw a digit", elem_id="draw-pad", height=360)
                with gr.Tab("Upload"):
                    upload = PictureInput(label="Picture of one digit", type="numpy", sources=["upload", "clipboard"],
                                          height=300, elem_id="draw-upload")
            with gr.Row():
                find = gr.Button("Find its z", variant="primary", elem_id="draw-find")
                to_explore = gr.Button("Open in Explore", interactive=False, elem_id="draw-open-explore")
                to_interpolate = gr.Button("Interpolate from here", interactive=False, elem_id="draw-interpolate")
        with gr.Column(scale=3):
            with gr.Row():
                # The height holds the label above the 196 px picture.
                picture = {"format": "png", "type": "numpy", "interactive": False, "height": 250,
                           "elem_classes": "gx-pixelated", "buttons": ["download"]}
                target = WriteOnceImage(label="Asked for", elem_id="draw-target", **picture)
                drawn = WriteOnceImage(label="G(z) found", elem_id="draw-reconstruction", **picture)
                nearest = WriteOnceImage(label="Nearest real", visible=nearest_fn is not None,
                                         elem_id="draw-nearest", **picture)
            summary = gr.Markdown(elem_id="draw-summary")
    return DrawTab(registry, nearest_fn, explore, interpolate, tabs, model, pad, upload, find, to_explore,
                   to_interpolate, target, drawn, nearest, summary, gr.State(None))


def build(registry: SessionRegistry, nearest_fn: NearestFn | None, explore: ExploreTab, interpolate: InterpolateTab,
          tabs: gr.Tabs) -> DrawTab:
    tab = _layout(registry, nearest_fn, explore, interpolate, tabs)
    # The /invert API's outputs: the reconstruction (in the G(z) picture), z and the label.
    z_text, label_out = gr.Textbox(label="z", visible=False), gr.Number(label="label", visible=False)
    api_button = gr.Button(visible=False)
    tab.find.click(bind(find_z, tab), [tab.model, tab.pad, tab.upload],
                   [tab.target, tab.drawn, tab.nearest, tab.summary, tab.found, tab.to_explore, tab.to_interpolate],
                   api_visibility="private", **DRAWING_POOL)
    tab.to_explore.click(bind(open_in_explore, tab), [tab.found, explore.k],
                         [explore.model, explore.digit, *explore.sliders, explore.image, explore.nearest, explore.z,
                          tabs], api_visibility="private", concurrency_limit=None)
    explore_outputs = [explore.model, explore.digit, *explore.sliders, explore.image, explore.nearest, explore.z]
    tab.to_interpolate.click(bind(interpolate_from_here, tab), [tab.found, explore.k],
                             [*explore_outputs, interpolate.model, interpolate.start.source, interpolate.start.digit,
                              interpolate.end.digit, tabs], api_visibility="private", concurrency_limit=None)
    api_button.click(bind(invert_api, tab), inputs_kwargs={"image": tab.upload, "model": tab.model},
                     outputs=[tab.drawn, z_text, label_out], api_name="invert", **DRAWING_POOL)
    return tab
