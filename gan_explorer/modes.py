"""Mode coverage of a Gaussian mixture, as the unrolled-GAN (Metz et al., 2017) and VEEGAN
(Srivastava et al., 2017) papers report it on the ring and the grid:

  high-quality share  the share of generated points within 3σ of some mode's centre;
  modes covered       the modes that at least MODE_MIN_SHARE of the generated points lie within 3σ of.

A mode is a group of Gaussians whose 3σ discs overlap: on the ring and the grid each Gaussian alone,
in a drawing (a small Gaussian on each drawn point) each stroke or dot, so a G that draws a stroke
whole is not said to miss the dozens of points along it.

MODE_MIN_SHARE follows PacGAN (Lin et al., 2018): a mode of the grid is lost when fewer than 20 of
2,500 samples land within 3σ of it. A mode with one stray point is not "covered".

  area ratio          the area of the plane G's points fill over the area the data fill: under 1, G's
                      points crowd into less of the plane than the data (collapsed, even where the crowd
                      sits between modes and covers none); 1 or more, they spread as wide as the data.

A G that covers few modes is either collapsed or not there yet, and the two look alike to the counts
above: run A of `mode-collapse-2d` (a crowd off the ring) and a healthy run's first check both cover
0-2 modes. The area tells them apart: 0.11-0.79 for the first, 1.26-7.6 for the second (seeds 0-3,
steps 100-600; docs/lab2d.md).
"""
from __future__ import annotations

from typing import Any

import torch
from scipy.sparse.csgraph import connected_components
from torch import Tensor
from torch.nn.functional import one_hot

from .latent import sample
from .models import Generator

MODE_MIN_SHARE = 20 / 2500
QUALITY_SAMPLES = 2500  # as PacGAN and VEEGAN count: 2,500 samples per measurement
SIGMAS = 3.0
AREA_CELLS = 20  # the plane (the lab's view of it) cut into 20 x 20 cells to measure the area points fill
AREA_MIN_SHARE = 5 / 2500  # a cell is filled when it holds this share of the points: a few strays fill none

Bounds = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max


def mode_labels(means: Tensor, sigma: float) -> Tensor:
    """Each Gaussian's mode (k,): Gaussians whose 3σ discs overlap, directly or through neighbours, share one."""
    linked = (torch.cdist(means.float(), means.float()) <= 2 * SIGMAS * sigma).numpy()
    return torch.from_numpy(connected_components(linked, directed=False)[1]).long()


def mode_coverage(points: Tensor, means: Tensor, sigma: float, min_share: float = MODE_MIN_SHARE) -> dict[str, Any]:
    """Coverage of the modes of the Gaussians at `means` (k, 2) with standard deviation `sigma` by
    `points` (n, 2); a mode is a group of touching Gaussians (mode_labels)."""
    near = torch.cdist(points.float(), means.float()) <= SIGMAS * sigma  # (n, k): within 3σ of each Gaussian
    near_mode = (near.float() @ one_hot(mode_labels(means, sigma)).float()) > 0  # (n, modes)
    shares = near_mode.double().mean(0)
    covered = shares >= min_share
    return {"modes": near_mode.shape[1], "modes_covered": int(covered.sum()),
            "high_quality_share": float(near.any(1).double().mean()), "mode_shares": shares.tolist()}


def filled_cells(points: Tensor, bounds: Bounds) -> int:
    """How many of the plane's AREA_CELLS x AREA_CELLS cells hold at least AREA_MIN_SHARE of `points`
    (n, 2); a point off the plane counts in the edge cell nearest to it."""
    x_min, x_max, y_min, y_max = bounds
    scaled = (points.float() - torch.tensor([x_min, y_min])) / torch.tensor([x_max - x_min, y_max - y_min])
    cell = (scaled * AREA_CELLS).floor().long().clamp(0, AREA_CELLS - 1)
    counts = torch.bincount(cell[:, 0] * AREA_CELLS + cell[:, 1], minlength=AREA_CELLS ** 2)
    return int((counts >= AREA_MIN_SHARE * len(points)).sum())


def area_ratio(points: Tensor, real: Tensor, bounds: Bounds) -> float:
    """The area G's `points` fill over the area the `real` points fill (filled_cells of each)."""
    return filled_cells(points, bounds) / max(filled_cells(real, bounds), 1)


@torch.no_grad()
def generated_points(generator: Generator, n: int = QUALITY_SAMPLES, seed: int = 0) -> Tensor:
    """n points G draws, from z of a fixed seed (the same z for every check of a run), on the CPU."""
    z = sample(n, generator.latent_dim, seed)[0]
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    points = generator(z.to(device)).float().cpu()
    generator.train(was_training)
    return points


def mixture_quality(generator: Generator, means: Tensor, sigma: float, real: Tensor, bounds: Bounds,
                    n: int = QUALITY_SAMPLES, seed: int = 0) -> dict[str, Any]:
    """The mixture's coverage by n of G's points, and the area they fill against the `real` points'
    on the plane of `bounds`: what the lessons' checks and the diagnosis read."""
    points = generated_points(generator, n, seed)
    return {**mode_coverage(points, means, sigma), "area_ratio": area_ratio(points, real, bounds)}


def mode_count(n: int) -> str:
    """"8 modes", "1 mode"."""
    return f"{n} mode" if n == 1 else f"{n} modes"


def coverage_line(quality: dict[str, Any]) -> str:
    """e.g. "3 of 8 modes covered, 41% of points within 3σ of a mode"."""
    return (f"{quality['modes_covered']} of {mode_count(quality['modes'])} covered, "
            f"{quality['high_quality_share']:.0%} of points within 3σ of a mode")
