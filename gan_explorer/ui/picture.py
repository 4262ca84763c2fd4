"""WriteOnceImage: the app's picture output, each picture written to Gradio's cache once.

Gradio 6.31 names a picture's cache file by the hash of its bytes but rewrites that file in place on
every send. When the same picture goes out again (an unchanged nearest image, a repeated grid) while
the browser is still fetching it, the browser gets a truncated file and the server logs h11's
"Too little data for declared Content-Length" (benchmarks/image_refetch.py provokes it).

In a module of its own because Gradio writes a type stub (.pyi) of the module beside any subclass of
one of its components when it is imported (ignored by git).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData

from ..checkpoints import atomic_write
from ..images import save_png


class WriteOnceImage(gr.Image):
    """gr.Image whose uint8 pictures are saved as PNG once each, atomically, and never rewritten."""

    def get_block_name(self) -> str:
        return "image"  # the browser draws it with Gradio's own image component

    def postprocess(self, value: Any) -> ImageData | None:
        if not (isinstance(value, np.ndarray) and value.dtype == np.uint8 and self.format == "png"):
            return super().postprocess(value)
        key = hashlib.sha256(repr(value.shape).encode() + value.tobytes()).hexdigest()
        path = Path(self.GRADIO_CACHE) / key / "image.png"
        if not path.exists():  # a picture sent again is served from the file already there
            atomic_write(path, lambda tmp: save_png(value, tmp))
        return ImageData(path=str(path), orig_name=path.name)
