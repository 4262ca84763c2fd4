"""Your own points from a drawing: strokes on a canvas that shows the plane, turned into the (x, y)
pairs of the `points` dataset (a small Gaussian around each, datasets.own_points).

Plain Python on a numpy picture: the 2-D lab's canvas (ui/lab_draw.py) sends its strokes as an RGBA
layer, a test or a notebook gives any array. `plane_picture` draws the canvas's background, the
plane's grid and axes, so a student sees where x and y are while drawing.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .parsing import InputError

Bounds = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max, as Dataset.bounds
MAX_DRAWN_POINTS = 64  # about 40 of the 2,500 points modes.py draws per mode, over its 20 to count as covered
MIN_DRAWN_POINTS = 3
MIN_SPACING = 0.1  # plane units between points: 2σ of own_points' Gaussians, so a stroke stays a line
SPACING_GROWTH = 1.25
INK_ALPHA = 128  # a pixel at least half opaque is ink


def ink_mask(picture: np.ndarray) -> np.ndarray:
    """(H, W) booleans: where the picture has ink. An RGBA layer's ink is its opaque pixels (the
    canvas's strokes layer is transparent elsewhere); a grey picture's is its non-zero pixels."""
    picture = np.asarray(picture)
    if picture.ndim == 3 and picture.shape[2] == 4:
        return picture[..., 3] >= INK_ALPHA
    if picture.ndim == 2:
        return picture > 0
    raise ValueError(f"A drawing must be a grey (H, W) or RGBA (H, W, 4) picture; got shape {picture.shape}.")


def _cell_centres(xs: np.ndarray, ys: np.ndarray, spacing: float) -> np.ndarray:
    """One point per square cell of side `spacing` holding ink: the mean of the ink in it."""
    cells = np.stack([np.floor(xs / spacing), np.floor(ys / spacing)], 1)
    _, index = np.unique(cells, axis=0, return_inverse=True)
    index = index.reshape(-1)
    count = np.bincount(index)
    return np.stack([np.bincount(index, xs) / count, np.bincount(index, ys) / count], 1)


def points_from_drawing(picture: np.ndarray, bounds: Bounds,
                        max_points: int = MAX_DRAWN_POINTS) -> list[tuple[float, float]]:
    """The drawing's ink as at most `max_points` (x, y) pairs in the plane's coordinates, spread evenly
    over the strokes: one per cell of a grid MIN_SPACING wide, made coarser until they fit. The picture
    covers the plane from x_min (left) to x_max and from y_max (top) to y_min, as the plane is drawn.
    An InputError says when the drawing gives fewer than MIN_DRAWN_POINTS."""
    ink = ink_mask(picture)
    rows, cols = np.nonzero(ink)
    x_min, x_max, y_min, y_max = bounds
    height, width = ink.shape
    xs = x_min + (cols + 0.5) / width * (x_max - x_min)
    ys = y_max - (rows + 0.5) / height * (y_max - y_min)
    points = np.zeros((0, 2))
    # ink over an area A needs at least A / spacing² cells: no coarsening below that is worth trying
    area = len(xs) * (x_max - x_min) * (y_max - y_min) / (width * height)
    spacing = max(MIN_SPACING, math.sqrt(area / max_points))
    while len(xs):
        points = _cell_centres(xs, ys, spacing)
        if len(points) <= max_points:
            break
        spacing *= SPACING_GROWTH
    if len(points) < MIN_DRAWN_POINTS:
        what = "The drawing is empty" if not len(points) else f"The drawing gives only {len(points)} point(s)"
        raise InputError(f"{what}: draw a stroke or a few dots on the canvas (at least {MIN_DRAWN_POINTS} "
                         f"points), then press Start.")
    return [(round(float(x), 3), round(float(y), 3)) for x, y in points]


def flat(points: list[tuple[float, float]]) -> tuple[float, ...]:
    """(x0, y0, x1, y1, ...): the points as TrainConfig.points holds them."""
    return tuple(v for point in points for v in point)


def plane_picture(bounds: Bounds, size: int) -> np.ndarray:
    """A size x size RGBA picture of the plane: a light grid at each whole number, the axes darker,
    and the axes' numbers; what the canvas shows beneath the strokes."""
    x_min, x_max, y_min, y_max = bounds
    picture = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    draw = ImageDraw.Draw(picture)

    def px(x: float) -> float:
        return (x - x_min) / (x_max - x_min) * (size - 1)

    def py(y: float) -> float:
        return (y_max - y) / (y_max - y_min) * (size - 1)

    for x in range(math.ceil(x_min), math.floor(x_max) + 1):
        draw.line([(px(x), 0), (px(x), size)], fill=(120, 120, 120) if x == 0 else (225, 225, 225))
        if x:
            draw.text((px(x) + 2, py(0) + 2), str(x), fill=(110, 110, 110))
    for y in range(math.ceil(y_min), math.floor(y_max) + 1):
        draw.line([(0, py(y)), (size, py(y))], fill=(120, 120, 120) if y == 0 else (225, 225, 225))
        if y:
            draw.text((px(0) + 3, py(y) + 1), str(y), fill=(110, 110, 110))
    return np.asarray(picture)
