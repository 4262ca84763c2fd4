"""WriteOnceImage: the app's picture output, each picture written to Gradio's cache once.

Gradio 6.31 names a picture's cache file by the hash of its bytes but rewrites that file in place on
every send of an array or a PIL image (processing_utils.save_pil_to_cache). When the same picture goes
out again (an unchanged nearest image, a repeated grid) while the browser is still fetching it, the
browser gets a truncated file and the server logs h11's "Too little data for declared Content-Length"
(benchmarks/image_refetch.py provokes it). Gradio's path for a returned file (save_file_to_cache) is
safe, but would need each picture written to a file of our own first, and those files removed again.

In a module of its own because Gradio writes a type stub (.pyi) of the module beside any subclass of
one of its components when it is imported (ignored by git).
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData

from ..checkpoints import atomic_write
from ..images import save_png


class WriteOnceImage(gr.Image):
    """gr.Image whose uint8 pictures are saved as PNG once each, atomically, and never rewritten;
    a picture sent again counts as new for the cache's expiry, as in Gradio's save_file_to_cache."""

    def get_block_name(self) -> str:
        return "image"  # the browser draws it with Gradio's own image component

    def postprocess(self, value: Any) -> ImageData | None:
        if not (isinstance(value, np.ndarray) and value.dtype == np.uint8 and self.format == "png"):
            return super().postprocess(value)
        key = hashlib.sha256(repr(value.shape).encode() + value.tobytes()).hexdigest()
        path = Path(self.GRADIO_CACHE) / key / "image.png"
        try:  # a picture sent again is served from the file already there
            # delete_cache ages a file by its ctime, which this sets to now; the mtime stays, as the
            # bytes did not change (the browser's cached copy stays valid)
            os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
        except FileNotFoundError:  # new, or deleted by the expiry since it was last sent
            atomic_write(path, lambda tmp: save_png(value, tmp))
        return ImageData(path=str(path), orig_name=path.name)
