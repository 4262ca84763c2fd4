"""A map of pictures: every point of a 2-D embedding drawn as its own digit, as TensorBoard's
projector does, so a student sees what a cluster holds without hovering point by point.

The thumbnails are composed into one picture that the chart stretches over the map's square data
range: thousands of separate images would make the browser slow to draw and to zoom.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

CANVAS_PX = 1600  # the composite's side: twice what a chart shows, so a 2x zoom stays crisp
MIN_THUMB_PX, MAX_THUMB_PX = 28, 64
REAL_FRAME = (255, 255, 255)  # real MNIST digits: a white frame with a black edge; generated: their digit's colour
EDGE = (0, 0, 0)  # the real frame's 1-px outline, so white stands out on the white map (grey is digit 7's)
UNLABELLED_FRAME = (85, 85, 85)


@dataclass(frozen=True)
class PictureMap:
    png: bytes  # the composite, RGB on white
    x: tuple[float, float]  # the data range it spans, equal in x and y (a square map)
    y: tuple[float, float]


def thumb_px(n: int, canvas_px: int = CANVAS_PX) -> int:
    """A thumbnail's side on the canvas: about as large as n evenly spread points leave room for."""
    # 1.6: overlapping neighbours, so 2,000 digits are still ~20 px on the page (measured in Chromium)
    return int(np.clip(canvas_px / math.sqrt(max(n, 1)) * 1.6, MIN_THUMB_PX, MAX_THUMB_PX))


def _square_range(coords: np.ndarray, margin: float) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = coords.min(0), coords.max(0)
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2 * (1 + margin) or 1.0
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


def _framed(image: np.ndarray, side: int, colour: tuple[int, int, int]) -> Image.Image:
    """The digit (white on black, as MNIST) at `side` px inside a 2-px frame of `colour`."""
    digit = Image.fromarray(image).resize((side - 4, side - 4), Image.Resampling.BILINEAR).convert("RGB")
    framed = Image.new("RGB", (side, side), colour)
    framed.paste(digit, (2, 2))
    if colour == REAL_FRAME:
        ImageDraw.Draw(framed).rectangle((0, 0, side - 1, side - 1), outline=EDGE)
    return framed


def picture_map(coords: np.ndarray, images: np.ndarray, is_real: np.ndarray, frame_colours: list[str],
                canvas_px: int = CANVAS_PX) -> PictureMap:
    """The composite of `images` (N, H, W) uint8 placed at `coords` (N, 2); `frame_colours` are the
    generated points' frame colours ("#rrggbb"); real points get a white frame and are drawn first,
    so generated digits stay on top where they overlap."""
    if not (len(coords) == len(images) == len(is_real) == len(frame_colours)) or len(coords) == 0:
        raise ValueError("picture_map needs one image, one flag and one colour per point, and at least one point")
    side = thumb_px(len(coords), canvas_px)
    x_range, y_range = _square_range(coords, margin=side / canvas_px * 2)
    scale = (canvas_px - side) / (x_range[1] - x_range[0])
    canvas = Image.new("RGB", (canvas_px, canvas_px), (255, 255, 255))
    for i in np.argsort(~is_real, kind="stable"):  # real first, then generated on top
        colour = REAL_FRAME if is_real[i] else _rgb(frame_colours[i])
        left = int((coords[i, 0] - x_range[0]) * scale)
        top = int((y_range[1] - coords[i, 1]) * scale)  # the picture's rows run down, the y axis up
        canvas.paste(_framed(images[i], side, colour), (left, top))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    half = side / 2 / scale  # the thumbnails' centres sit on their points
    return PictureMap(buffer.getvalue(), (x_range[0] - half, x_range[1] + half), (y_range[0] - half, y_range[1] + half))


def _rgb(colour: str) -> tuple[int, int, int]:
    if not (colour.startswith("#") and len(colour) == 7):
        return UNLABELLED_FRAME
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
