"""Turning generator output ([-1, 1] tensors) into pictures: grids, crisp upscaling, GIFs."""
from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def to_uint8(images: Tensor) -> np.ndarray:
    """(N, 1, H, W) in [-1, 1] -> (N, H, W) uint8."""
    return images.detach().float().cpu().add(1).mul(127.5).clamp(0, 255).round().to(torch.uint8)[:, 0].numpy()


def grid(images: Tensor, nrow: int = 10, padding: int = 2, scale: int = 1) -> np.ndarray:
    """A (H, W) uint8 grid of the images, optionally upscaled by an integer factor without blur."""
    # Imported here: importing torchvision pulls in torch._dynamo (~1.5 s), too much for app start-up.
    from torchvision.utils import make_grid

    g = make_grid(images.detach().float().cpu(), nrow=nrow, padding=padding, normalize=True,
                  value_range=(-1, 1), pad_value=0.5)
    array = (g[0] * 255).round().clamp(0, 255).to(torch.uint8).numpy()
    return upscale(array, scale)


def upscale(array: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling: each pixel becomes a scale x scale block, so digits stay crisp."""
    if scale <= 1:
        return array
    return np.kron(array, np.ones((scale, scale), dtype=array.dtype))


def save_png(array: np.ndarray, path: str | Path) -> None:
    Image.fromarray(array).save(path, format="PNG")  # PNG whatever the name ends in (temporary files)


def png_bytes(image: np.ndarray, optimize: bool = False) -> bytes:
    """A uint8 picture as PNG bytes; `optimize` makes it smaller for slower encoding."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=optimize)
    return buffer.getvalue()


def png_data_url(image: np.ndarray) -> str:
    """A small uint8 picture as a PNG data URL, small enough to ship thousands inside a figure."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image, optimize=True)).decode()


def gif_bytes(frames: list[np.ndarray], duration_ms: int = 80, loop: int = 0) -> bytes:
    """An animated GIF of greyscale frames that plays forward then back (a "ping-pong" loop)."""
    sequence = frames + frames[-2:0:-1] if len(frames) > 2 else frames
    pil = [Image.fromarray(f) for f in sequence]
    buffer = io.BytesIO()
    pil[0].save(buffer, format="GIF", save_all=True, append_images=pil[1:], duration=duration_ms,
                loop=loop, optimize=False)
    return buffer.getvalue()
