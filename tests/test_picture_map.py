"""The t-SNE map of pictures: each point drawn as its own digit, framed by where it came from."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gan_explorer.map_figure import frame_colours, tsne_figure
from gan_explorer.picture_map import REAL_FRAME, picture_map, thumb_px


def _pixel(pictures, x: float, y: float) -> tuple[int, int, int]:
    """The composite's colour at data point (x, y)."""
    canvas = Image.open(io.BytesIO(pictures.png))
    col = (x - pictures.x[0]) / (pictures.x[1] - pictures.x[0]) * canvas.width
    row = (pictures.y[1] - y) / (pictures.y[1] - pictures.y[0]) * canvas.height
    return canvas.getpixel((min(int(col), canvas.width - 1), min(int(row), canvas.height - 1)))


def test_each_digit_is_drawn_where_its_point_is_and_empty_space_stays_white() -> None:
    coords = np.array([[0.0, 0.0], [10.0, 10.0], [10.0, 0.0]])
    images = np.zeros((3, 28, 28), np.uint8)  # MNIST's black background, on the map's white
    pictures = picture_map(coords, images, np.array([False, False, True]), ["#1f77b4"] * 3)
    assert pictures.x[1] - pictures.x[0] == pytest.approx(pictures.y[1] - pictures.y[0])  # square
    for x, y in coords:
        assert _pixel(pictures, x, y) == (0, 0, 0)  # each digit's picture is centred on its point
    assert _pixel(pictures, 0.0, 10.0) == (255, 255, 255)  # no point there: background
    assert _pixel(pictures, 5.0, 5.0) == (255, 255, 255)


def test_real_digits_get_a_grey_frame_and_generated_ones_their_digit_colour() -> None:
    coords = np.array([[0.0, 0.0], [10.0, 10.0]])
    pictures = picture_map(coords, np.zeros((2, 28, 28), np.uint8), np.array([True, False]),
                           ["#ff0000", "#ff0000"])
    canvas = np.asarray(Image.open(io.BytesIO(pictures.png)))
    colours = {tuple(c) for c in canvas.reshape(-1, 3)}
    assert REAL_FRAME in colours and (255, 0, 0) in colours


def test_thumbnails_shrink_with_more_points_within_readable_bounds() -> None:
    assert thumb_px(100) == 64 and thumb_px(2000) < thumb_px(500) and thumb_px(10**6) == 28


def test_the_tsne_figure_with_pictures_keeps_hoverable_points_over_one_picture() -> None:
    rng = np.random.default_rng(0)
    coords, digits = rng.normal(size=(50, 2)), rng.integers(0, 10, 50)
    is_real = np.zeros(50, bool)
    images = rng.integers(0, 255, (50, 28, 28), dtype=np.uint8)
    pictures = picture_map(coords, images, is_real, frame_colours(digits))
    figure = tsne_figure(coords, digits, is_real, pictures=pictures)
    assert len(figure.layout.images) == 1 and figure.layout.images[0].source.startswith("data:image/png")
    assert sum(len(t.customdata) for t in figure.data) == 50 and all(t.marker.opacity == 0 for t in figure.data)
    assert not tsne_figure(coords, digits, is_real).layout.images


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="one image"):
        picture_map(np.zeros((2, 2)), np.zeros((3, 28, 28), np.uint8), np.zeros(2, bool), ["#000000"] * 2)
