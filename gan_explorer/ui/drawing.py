"""The Draw tab's picture inputs: a picture upload that refuses a non-picture by its label, and a sketchpad
that draws white strokes on black, as MNIST's digits are.

In a module of its own because Gradio writes a type stub (.pyi) of the module beside any subclass of
one of its components when it is imported (ignored by git).
"""
from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
from PIL import UnidentifiedImageError

from .fields import refuse

CANVAS = 280  # ten canvas pixels per MNIST pixel
BRUSH_RADIUS = 11  # a 22-pixel-wide stroke: about 2 MNIST pixels once the digit is scaled to 20 x 20


class PictureInput(gr.Image):
    """gr.Image (type numpy) whose preprocess refuses a file that is not a picture with a gr.Error naming
    its label: Gradio's own preprocess raised PIL's error, which reached an API client as an opaque failure."""

    def get_block_name(self) -> str:
        return "image"  # the browser draws it with Gradio's own image component

    def preprocess(self, payload: Any) -> Any:
        try:
            return super().preprocess(payload)
        except (UnidentifiedImageError, OSError, ValueError) as e:
            raise refuse(self.label, f"that file is not a picture that can be read (PNG, JPEG, WebP...): {e}") from None


def black_canvas() -> dict[str, Any]:
    """The sketchpad's starting value: a black background, no strokes."""
    background = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    background[..., 3] = 255
    return {"background": background, "layers": [], "composite": None}


def sketchpad(**kwargs: Any) -> gr.Sketchpad:
    """A black square canvas with one thick white brush, no layers or cropping."""
    brush = gr.Brush(colors=["#ffffff"], default_color="#ffffff", color_mode="fixed", default_size=BRUSH_RADIUS)
    return gr.Sketchpad(value=black_canvas(), type="numpy", image_mode="RGBA", canvas_size=(CANVAS, CANVAS),
                        fixed_canvas=True, brush=brush, eraser=gr.Eraser(default_size=BRUSH_RADIUS), layers=False,
                        transforms=(), format="png", **kwargs)


def drawn_picture(value: dict[str, Any] | None) -> np.ndarray | None:
    """The sketchpad's picture (the page sends its strokes flattened onto the background), or None."""
    if not isinstance(value, dict) or value.get("composite") is None:
        return None
    return np.asarray(value["composite"])
