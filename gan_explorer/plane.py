"""The 2-D lab's picture of a run, as GAN Lab draws it: real and generated points, D's score over the
plane as a heat map with its decision contour, the way G's loss pushes each fake point (D's gradient,
as arrows), and G's image of a grid of noise points (the manifold, a deformed mesh).

`measure(trainer)` reads the numbers from a run between its steps; `frame_data(view, layers)` is what
the page's canvas draws of them (ui/plane_view.py). Both are plain Python: the tab (ui/lab_tab.py), a
test or a notebook calls them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
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
# GAN Lab's colours: green for real, purple for fake; the page's canvas draws with these (ui/plane_view.py)
COLOURS = {"real": "#1b9e77", "fake": "#7b3294", "gradients": "#d95f02", "manifold": "rgba(60,60,60,0.45)",
           "contour": "#000000"}
REAL = COLOURS["real"]
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


def _listed(values: np.ndarray, decimals: int) -> list[Any]:
    """Flat, rounded in float64 (a float32 rounded to 0.819 is 0.8190000057220459 in JSON, three times
    the text), with null for what is not finite (JSON has no NaN; a diverged run's G gives some)."""
    rounded = np.asarray(values, dtype=np.float64).round(decimals).ravel()
    if np.isfinite(rounded).all():
        return rounded.tolist()
    return np.where(np.isfinite(rounded), rounded, None).tolist()


def _arrow_ends(view: PlaneView) -> np.ndarray:
    """(ARROWS, 4): each arrow's start and end in the plane, the longest ARROW_SHARE of its width."""
    start, move = view.arrows[:, :2], view.arrows[:, 2:]
    longest = float(np.linalg.norm(move, axis=1).max()) or 1.0
    return np.concatenate([start, start + move * ARROW_SHARE * (view.bounds[1] - view.bounds[0]) / longest], 1)


def frame_data(view: PlaneView, layers: tuple[str, ...] | list[str] = LAYERS) -> dict[str, Any]:
    """The frame as the page draws it (ui/plane_view.py), with only the `layers` asked for (names from
    LAYERS): plain numbers in the plane's units. `score` is D's score on the RESOLUTION x RESOLUTION grid
    row by row from the bottom (y = bounds[2]), each row from x = bounds[0]; `mesh` one polyline per list."""
    shown = [layer for layer in LAYERS if layer in set(layers)]
    data: dict[str, Any] = {"step": view.step, "bounds": [float(b) for b in view.bounds], "layers": shown,
                            "boundary": round(float(view.boundary), 4), "probabilities": view.probabilities}
    if {"heat map", "contour"} & set(shown):
        data |= {"resolution": RESOLUTION, "score": _listed(view.score, 3)}
    if "real" in shown:
        data["real"] = _listed(view.real, 4)
    if "fake" in shown:
        data["fake"] = _listed(view.fake, 4)
    if "gradients" in shown:
        data["arrows"] = _listed(_arrow_ends(view), 4)
    if "manifold" in shown:
        data["mesh"] = [_listed(line, 4) for line in view.mesh]
    return data
