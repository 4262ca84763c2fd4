"""The 2-D lab's picture of a run, as GAN Lab draws it: real and generated points, D's score over the
plane as a heat map with its decision contour, the way G's loss pushes each fake point (D's gradient,
as arrows), and G's image of a grid of noise points (the manifold, a deformed mesh).

`measure(trainer)` reads the numbers from a run between its steps; `figure(view, layers)` draws
them with Plotly. Both are plain Python: the tab (ui/lab_tab.py), a test or a notebook calls them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch

from .datasets import DATASETS
from .latent import sample
from .trainer import Trainer

LAYERS = ("heat map", "contour", "real", "fake", "gradients", "manifold")
RESOLUTION = 40  # D is evaluated on a 40 x 40 grid of the plane: 1,600 points, well under a millisecond
POINTS_SHOWN = 300  # real and generated points drawn each
ARROWS = 60  # fake points that get a gradient arrow
MESH_LINES = 13  # G's image of a 13 x 13 grid of z in [-MESH_SPAN, MESH_SPAN]^2 (a line of 101 z for a 1-D z)
MESH_SPAN = 2.5
ARROW_SHARE = 0.12  # the longest arrow is this share of the plane's width; the others in proportion
REAL, FAKE = "#1b9e77", "#7b3294"  # GAN Lab's colours: green for real, purple for fake
# D's map in the same colours: purple where D says fake, white where it cannot tell, green where it says real
SCORE_COLOURS = [[0.0, "#9970ab"], [0.5, "#f7f7f7"], [1.0, "#5aae61"]]


@dataclass(frozen=True)
class PlaneView:
    step: int
    bounds: tuple[float, float, float, float]
    real: np.ndarray  # (n, 2)
    fake: np.ndarray  # (n, 2)
    xs: np.ndarray  # (RESOLUTION,) the heat map's columns
    ys: np.ndarray  # (RESOLUTION,) its rows
    score: np.ndarray  # (RESOLUTION, RESOLUTION): D's score, a probability of "real" for the BCE losses
    boundary: float  # the score where D cannot tell: 0.5, or the critic's midpoint between real and fake
    arrows: np.ndarray  # (ARROWS, 4): x, y of a fake point and the move G's loss asks of it
    mesh: np.ndarray  # (lines, points, 2): G's image of the rows (and columns) of a grid of z
    probabilities: bool


def _mesh_z(latent_dim: int) -> torch.Tensor:
    """z for the manifold: rows then columns of a grid in the first two dimensions (the rest 0)."""
    if latent_dim == 1:
        return torch.linspace(-MESH_SPAN * 1.2, MESH_SPAN * 1.2, 101).view(1, 101, 1)
    t = torch.linspace(-MESH_SPAN, MESH_SPAN, MESH_LINES)
    a, b = torch.meshgrid(t, t, indexing="ij")
    grid = torch.stack([a, b], -1)  # (lines, points, 2)
    z = torch.zeros(2 * MESH_LINES, MESH_LINES, latent_dim)
    z[:MESH_LINES, :, :2] = grid
    z[MESH_LINES:, :, :2] = grid.transpose(0, 1)
    return z


@contextmanager
def _evaluating(*networks: torch.nn.Module) -> Iterator[None]:
    """The networks in eval mode (dropout off) for a frame, then back in the mode training left them."""
    modes = [network.training for network in networks]
    for network in networks:
        network.eval()
    try:
        yield
    finally:
        for network, mode in zip(networks, modes):
            network.train(mode)


def measure(trainer: Trainer, seed: int = 0) -> PlaneView:
    """The numbers of one frame, read from G and D between two steps (under the run's lock).

    A frame's forward passes on a 2-D run's small networks take about 2 ms: less than copying the
    networks did (about 4 ms of Python, under the same lock, at 5 frames a second beside training)."""
    cfg = trainer.config
    bounds = DATASETS[cfg.dataset].bounds
    if bounds is None:
        raise ValueError(f"{cfg.dataset} is not drawn in the plane.")
    rng = torch.Generator().manual_seed(seed)
    real = DATASETS[cfg.dataset].distribution(cfg).draw(POINTS_SHOWN, rng)[0]
    z = sample(POINTS_SHOWN, cfg.latent_dim, rng)[0]
    xs, ys = np.linspace(bounds[0], bounds[1], RESOLUTION), np.linspace(bounds[2], bounds[3], RESOLUTION)
    plane = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), dtype=torch.float32)
    mesh_z = _mesh_z(cfg.latent_dim)
    with trainer.lock:
        generator, discriminator = trainer.sampling_generator, trainer.discriminator
        loss, step = trainer.loss, trainer.step_count
        device = next(generator.parameters()).device
        with _evaluating(generator, discriminator):
            with torch.no_grad():
                fake = generator(z.to(device))
                score = loss.score(discriminator(plane.to(device))).view(RESOLUTION, RESOLUTION)
                mesh = generator(mesh_z.flatten(0, 1).to(device)).view(-1, mesh_z.shape[1], 2)
                boundary = 0.5 if loss.scores_are_probabilities else float(
                    (loss.score(discriminator(real.to(device))).mean() + loss.score(discriminator(fake)).mean()) / 2)
            points = fake[:ARROWS].clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(loss.generator_loss(discriminator(points)) * ARROWS, points)
    fake, score, mesh, points, grad = (t.detach().cpu() for t in (fake, score, mesh, points, grad))
    return PlaneView(step, bounds, real.numpy(), fake.numpy(), xs, ys, score.numpy(), boundary,
                     np.concatenate([points.numpy(), -grad.numpy()], 1), mesh.numpy(),
                     loss.scores_are_probabilities)


def _rounded(values: np.ndarray, decimals: int) -> np.ndarray:
    """Rounded in float64: a float32 rounded to 0.819 is 0.8190000057220459 in JSON, three times the
    text (a frame was 95 kB, 5 times a second, parsed and copied by the page)."""
    return np.asarray(values, dtype=np.float64).round(decimals)


def _gapped(points: np.ndarray) -> tuple[list[float | None], list[float | None]]:
    """(k, n, 2) polylines as one trace's x and y, each line ended by a gap (None)."""
    flat = _rounded(np.concatenate([points, np.full((points.shape[0], 1, 2), np.nan)], 1).reshape(-1, 2), 4)
    gapped = np.where(np.isnan(flat), None, flat)  # JSON has no NaN: a gap is null
    return gapped[:, 0].tolist(), gapped[:, 1].tolist()


def _points(xy: np.ndarray) -> tuple[list[float], list[float]]:
    rounded = _rounded(xy, 4)
    return rounded[:, 0].tolist(), rounded[:, 1].tolist()


def _heat(view: PlaneView) -> dict[str, Any]:
    return {"x": _rounded(view.xs, 3).tolist(), "y": _rounded(view.ys, 3).tolist(), "z": _rounded(view.score, 3).tolist()}


def figure_spec(view: PlaneView, layers: tuple[str, ...] | list[str] = LAYERS, height: int = 520) -> dict[str, Any]:
    """The frame as Plotly's JSON (data and layout), with only the `layers` asked for (names from LAYERS).

    Plain dicts and lists, not plotly.graph_objects: validating a figure's objects costs tens of
    milliseconds of Python a frame, time the training thread then waits for (the GIL)."""
    shown = set(layers)
    traces: list[dict[str, Any]] = []
    heat = _heat(view) if shown & {"heat map", "contour"} else {}
    if "heat map" in shown:
        colour = "D(x): probability of real" if view.probabilities else "critic score"
        traces.append({"type": "heatmap", **heat, "colorscale": SCORE_COLOURS, "opacity": 0.75, "zmid": view.boundary,
                       "name": "D", "colorbar": {"title": {"text": colour, "side": "right"}, "thickness": 10},
                       "hovertemplate": "D = %{z:.2f}<extra></extra>"})
    if "contour" in shown:
        traces.append({"type": "contour", **heat, "showscale": False, "name": "D = boundary",
                       "contours": {"start": view.boundary, "end": view.boundary, "size": 1, "coloring": "none"},
                       "line": {"color": "black", "width": 2, "dash": "dot"}, "hoverinfo": "skip"})
    if "manifold" in shown:
        x, y = _gapped(view.mesh)
        traces.append({"type": "scatter", "x": x, "y": y, "mode": "lines", "name": "G's manifold",
                       "hoverinfo": "skip", "line": {"color": "rgba(60,60,60,0.45)", "width": 1}})
    for layer, xy, name, colour in (("real", view.real, "real", REAL), ("fake", view.fake, "generated", FAKE)):
        if layer in shown:
            x, y = _points(xy)
            traces.append({"type": "scatter", "x": x, "y": y, "mode": "markers", "name": name,
                           "marker": {"color": colour, "size": 5}})
    if "gradients" in shown:
        start, move = view.arrows[:, :2], view.arrows[:, 2:]
        longest = float(np.linalg.norm(move, axis=1).max()) or 1.0
        end = start + move * ARROW_SHARE * (view.bounds[1] - view.bounds[0]) / longest
        x, y = _gapped(np.stack([start, end], 1))
        traces.append({"type": "scatter", "x": x, "y": y, "mode": "lines", "name": "G's gradient",
                       "hoverinfo": "skip", "line": {"color": "#d95f02", "width": 2}})
    x0, x1, y0, y1 = view.bounds
    axis = {"showgrid": False, "zeroline": False}
    layout = {"height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 10}, "uirevision": "plane",
              "title": {"text": f"step {view.step:,}", "x": 0.02, "font": {"size": 13}},
              "legend": {"orientation": "h", "y": -0.12, "yanchor": "top"}, "plot_bgcolor": "white",
              "xaxis": {**axis, "range": [x0, x1], "constrain": "domain"},
              "yaxis": {**axis, "range": [y0, y1], "scaleanchor": "x", "scaleratio": 1}}
    return {"data": traces, "layout": layout}


def figure(view: PlaneView, layers: tuple[str, ...] | list[str] = LAYERS, height: int = 520) -> go.Figure:
    """The frame as a Plotly figure (for a notebook or a test; the tab sends figure_spec's JSON)."""
    return go.Figure(figure_spec(view, layers, height))
