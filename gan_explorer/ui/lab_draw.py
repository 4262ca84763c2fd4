"""The 2-D lab's "draw your own": a canvas over the plane, shown while the dataset takes your own
points, whose strokes become the run's points (gan_explorer/drawn_points.py does the work).

In a module of its own so the lab tab only places the pad and hands its strokes to config_of. The
strokes reach Start and the step buttons through a gr.State, not as an input of the lab's API endpoints:
an API client gives no drawing, and a canvas payload there would be one more value for Gradio to refuse
opaquely. The State is filled by a click event that runs before theirs (`reading`): Gradio 6.31's canvas
sends no change event for the first stroke, so the change event only keeps the hint's count current.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from ..datasets import DATASETS
from ..drawn_points import MAX_DRAWN_POINTS, flat, plane_picture, points_from_drawing
from ..parsing import InputError
from ..plane import REAL

OWN = next(name for name, dataset in DATASETS.items() if dataset.own_points)
CANVAS = 240  # px: 40 a plane unit over the 6 units of the plane; the editor fits it unzoomed at 1280 px
BRUSH_RADIUS = 5
HINT = (f"**Draw your own**: draw strokes or dots on the plane (x and y from -3 to 3), then press **Start**. "
        f"Each piece of a stroke becomes a small cloud of real points (at most {MAX_DRAWN_POINTS}).")


@dataclass
class DrawPad:
    box: gr.Column
    hint: gr.Markdown
    canvas: gr.Sketchpad
    strokes: gr.State  # the canvas's strokes layer (RGBA), None before the first stroke


def _own(dataset: Any) -> bool:
    return dataset in DATASETS and DATASETS[dataset].own_points


def _bounds() -> tuple[float, float, float, float]:
    bounds = DATASETS[OWN].bounds
    assert bounds is not None  # a dataset of points in the plane has its plane
    return bounds


def pad(dataset: str) -> DrawPad:
    """The hint and the canvas, in a box shown only while `dataset` takes your own points."""
    with gr.Column(visible=_own(dataset), elem_id="lab-draw-box") as box:
        hint = gr.Markdown(HINT, elem_id="lab-draw-hint")
        brush = gr.Brush(colors=[REAL], default_color=REAL, color_mode="fixed", default_size=BRUSH_RADIUS)
        canvas = gr.Sketchpad(
            value={"background": plane_picture(_bounds(), CANVAS), "layers": [], "composite": None}, type="numpy",
            image_mode="RGBA", canvas_size=(CANVAS, CANVAS), fixed_canvas=True, brush=brush,
            eraser=gr.Eraser(default_size=BRUSH_RADIUS * 2), layers=False, transforms=(), format="png",
            label="Draw your own points", show_label=False, elem_id="lab-draw")
    return DrawPad(box, hint, canvas, gr.State(None))


def strokes(value: Any) -> np.ndarray | None:
    """The canvas's strokes layer (RGBA, transparent where nothing is drawn), or None."""
    if not isinstance(value, dict) or not value.get("layers"):
        return None
    return np.asarray(value["layers"][0])


def points_of(dataset: str, layer: np.ndarray | None) -> tuple[float, ...]:
    """TrainConfig.points for `dataset`: the drawing's points for the dataset that takes them (an
    InputError when the drawing is empty or too sparse), none for the others."""
    if not _own(dataset):
        return ()
    return flat(points_from_drawing(layer if layer is not None else np.zeros((1, 1, 4)), _bounds()))


def remember(value: Any) -> tuple[np.ndarray | None, str]:
    """The strokes kept for Start, and the hint with what they give."""
    layer = strokes(value)
    try:
        count = len(points_of(OWN, layer)) // 2
    except InputError as e:
        return layer, f"{HINT}\n\n{e}"
    return layer, f"{HINT}\n\nYour drawing: **{count} points**."


def dataset_choices(names: list[str]) -> list[tuple[str, str]]:
    """The dataset picker's (label, name) pairs: the one that takes your own points says so."""
    return [(f"{name} (draw your own)" if _own(name) else name, name) for name in names]


def _show(dataset: str) -> dict[str, Any]:
    return gr.update(visible=_own(dataset))


def reading(draw: DrawPad, button: gr.Button) -> Any:
    """The button's click, keeping the canvas's strokes first: chain the button's own handler with .then."""
    return button.click(remember, draw.canvas, [draw.strokes, draw.hint], api_visibility="private",
                        concurrency_limit=None, show_progress="hidden")


def wire(draw: DrawPad, dataset: gr.Dropdown) -> None:
    draw.canvas.change(remember, draw.canvas, [draw.strokes, draw.hint], api_visibility="private",
                       concurrency_limit=None, show_progress="hidden")
    dataset.change(_show, dataset, draw.box, api_visibility="private", concurrency_limit=None,
                   show_progress="hidden")
