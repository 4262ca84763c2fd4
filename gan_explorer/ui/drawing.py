"""The Draw tab's picture inputs: a picture upload that refuses a non-picture by its label, and a sketchpad
that draws white strokes on black, as MNIST's digits are.

In a module of its own because Gradio writes a type stub (.pyi) of the module beside any subclass of
one of its components when it is imported (ignored by git).
"""
from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
from gradio.data_classes import FileData, ImageData
from PIL import UnidentifiedImageError
from pydantic import ValidationError

from .fields import refuse

CANVAS = 280  # ten canvas pixels per MNIST pixel
BRUSH_RADIUS = 11  # a 22-pixel-wide stroke: about 2 MNIST pixels once the digit is scaled to 20 x 20


class PictureInput(gr.Image):
    """gr.Image (type numpy) that refuses what is not a picture uploaded to this server with a gr.Error naming
    its label. Gradio checked the payload's shape before preprocess and then let PIL's error escape, and
    both reached an API client only as an opaque failure (as for fields.UploadButton)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data_model = None  # preprocess validates the payload itself, and says what is wrong

    def get_block_name(self) -> str:
        return "image"  # the browser draws it with Gradio's own image component

    def get_config(self, cls: type | None = None) -> dict[str, Any]:
        # Gradio sends the browser the attributes named in __init__'s signature: gr.Image's.
        return super().get_config(cls or gr.Image)

    def api_info(self) -> dict[str, Any]:
        schema = ImageData.model_json_schema()  # what the API page advertises: a file, as for gr.Image
        schema["additional_description"] = schema.pop("description", None)
        return schema

    def preprocess(self, payload: Any) -> Any:
        if payload is None:
            return None
        try:  # as Gradio does for files: only one marked as a file has been through its upload-folder check
            file = FileData.model_validate(payload, context={"validate_meta": True})
        except ValidationError:
            raise refuse(self.label, "expected a picture uploaded to this server.") from None
        try:
            return super().preprocess(ImageData(**file.model_dump()))
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
