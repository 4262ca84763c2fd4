"""Your own points from a drawing (gan_explorer/drawn_points.py), without Gradio; and the lab's
config of the `points` dataset from the canvas's strokes (ui/lab_draw.py)."""
from __future__ import annotations

import numpy as np
import pytest

from gan_explorer.config import TrainConfig
from gan_explorer.drawn_points import (
    MAX_DRAWN_POINTS,
    MIN_DRAWN_POINTS,
    flat,
    ink_mask,
    plane_picture,
    points_from_drawing,
)
from gan_explorer.parsing import InputError

PLANE = (-3.0, 3.0, -3.0, 3.0)
SIZE = 240


def _canvas() -> np.ndarray:
    return np.zeros((SIZE, SIZE, 4), dtype=np.uint8)  # transparent: nothing drawn


def _stroke(canvas: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    canvas[rows, cols] = (27, 158, 119, 255)
    return canvas


def test_a_stroke_on_the_left_gives_points_with_negative_x() -> None:
    points = points_from_drawing(_stroke(_canvas(), slice(20, 220), slice(30, 40)), PLANE)
    xs, ys = np.array(points).T
    assert MIN_DRAWN_POINTS <= len(points) <= MAX_DRAWN_POINTS
    assert xs.max() < -1.5 and xs.min() > -2.4  # columns 30-40 of 240: x from -2.25 to -2.0
    assert ys.max() > 2 and ys.min() < -2  # the stroke runs down the plane


def test_a_stroke_at_the_top_gives_points_with_positive_y_the_picture_rows_read_downwards() -> None:
    points = points_from_drawing(_stroke(_canvas(), slice(10, 20), slice(20, 220)), PLANE)
    xs, ys = np.array(points).T
    assert ys.min() > 2.4 and xs.min() < -2 and xs.max() > 2


def test_a_dot_gives_points_around_where_it_is_drawn() -> None:
    points = points_from_drawing(_stroke(_canvas(), slice(156, 164), slice(156, 164)), PLANE)  # at (1, -1)
    assert np.allclose(np.array(points).mean(0), (1.0, -1.0), atol=0.05)


def test_a_drawing_over_the_whole_plane_is_capped_and_spread_evenly() -> None:
    canvas = _canvas()
    canvas[..., 3] = 255
    points = np.array(points_from_drawing(canvas, PLANE))
    assert MAX_DRAWN_POINTS // 2 <= len(points) <= MAX_DRAWN_POINTS
    for half in (points[:, 0] < 0, points[:, 1] < 0):  # about as many on either side of each axis
        assert abs(half.mean() - 0.5) < 0.15


def test_the_cap_can_be_given() -> None:
    points = points_from_drawing(_stroke(_canvas(), slice(100, 110), slice(0, SIZE)), PLANE, max_points=10)
    assert MIN_DRAWN_POINTS <= len(points) <= 10


@pytest.mark.parametrize(("canvas", "message"), [
    (_canvas(), "The drawing is empty"),
    (_stroke(_canvas(), slice(5, 6), slice(5, 6)), "The drawing gives only 1 point(s)"),
    (np.zeros((SIZE, SIZE, 4), dtype=np.uint8) + np.array([0, 0, 0, 60], dtype=np.uint8), "The drawing is empty"),
])
def test_an_empty_or_too_sparse_drawing_is_refused_with_a_clear_message(canvas: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match="draw a stroke or a few dots") as refused:
        points_from_drawing(canvas, PLANE)
    assert str(refused.value).startswith(message)


def test_a_grey_picture_has_ink_where_it_is_not_black_and_other_shapes_are_refused() -> None:
    grey = np.zeros((4, 4))
    grey[1, 2] = 0.5
    assert ink_mask(grey).sum() == 1 and ink_mask(grey)[1, 2]
    with pytest.raises(ValueError, match="RGBA"):
        ink_mask(np.zeros((4, 4, 3)))


def test_the_drawn_points_train_the_points_dataset() -> None:
    points = points_from_drawing(_stroke(_canvas(), slice(100, 140), slice(100, 140)), PLANE)
    cfg = TrainConfig(dataset="points", architecture="mlp2d", latent_dim=2, points=flat(points))
    assert len(cfg.points) == 2 * len(points) and cfg.points[:2] == points[0]


def test_the_canvas_background_shows_the_plane_axes_darker_than_its_grid() -> None:
    picture = plane_picture(PLANE, SIZE)
    assert picture.shape == (SIZE, SIZE, 4)
    centre = (SIZE - 1) // 2
    assert picture[10, centre, 0] < picture[10, centre + SIZE // 6, 0] < picture[10, centre + SIZE // 12, 0]


def test_the_lab_trains_the_points_dataset_on_the_canvas_strokes_and_says_when_there_are_none() -> None:
    from gan_explorer.ui.lab_draw import points_of, strokes
    from gan_explorer.ui.lab_form import config_of

    layer = strokes({"background": None, "layers": [_stroke(_canvas(), slice(20, 220), slice(30, 40))],
                     "composite": None})
    cfg = config_of("ring", ("points", "non_saturating", "adam", "adam", 1e-3, 1e-3), layer)
    assert cfg.points and max(cfg.points[0::2]) < -1.5
    assert config_of("ring", ("ring", "non_saturating", "adam", "adam", 1e-3, 1e-3), layer).points == ()  # other sets: no points
    assert points_of("ring", None) == ()
    with pytest.raises(InputError, match="The drawing is empty"):
        config_of("ring", ("points", "non_saturating", "adam", "adam", 1e-3, 1e-3), None)
