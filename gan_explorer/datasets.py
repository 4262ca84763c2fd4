"""Registry of datasets a GAN learns: MNIST's digits, and 2-D point clouds for the 2-D lab.

A dataset says what one sample is (its kind and shape, which the architectures read), how many
classes a conditional model may draw (0: none), and how a run draws its training batches: a
sampler with `sample(batch) -> (x, labels)`, `epoch` and `probe(n, rng)`. The 2-D datasets are
drawn on the run's device from the run's own torch.Generator (no files, no global RNG); each
point's label is the mixture component it came from. A new dataset is one entry in DATASETS.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor

from .data import NUM_CLASSES, BatchSampler, MNISTTensors, load_mnist
from .models import Generator
from .modes import QUALITY_SAMPLES, mixture_quality

IMAGES, POINTS = "images", "points"
MAX_OWN_POINTS = 500  # "your own points": a drawing on the canvas, not a data file
# A 2-D "epoch" is nominal (the points are drawn afresh each batch): this many points, so that
# limits in epochs mean as much data as for MNIST's 60,000 images.
POINTS_PER_EPOCH = 60_000


class DataSettings(Protocol):
    """The settings a dataset reads (TrainConfig has them)."""
    dataset: str
    points: tuple[float, ...]
    seed: int


class Sampler(Protocol):
    epoch: float

    def sample(self, batch_size: int) -> tuple[Tensor, Tensor]: ...

    def probe(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        """n samples for slow motion's probe, the same for the whole run: drawn from `rng` (on the CPU)."""
        ...


@dataclass(frozen=True)
class Mixture:
    """Equal-weight Gaussians with one standard deviation: the ring and the grid of the
    unrolled-GAN and VEEGAN papers. Their modes are what `modes_covered` counts."""
    means: tuple[tuple[float, float], ...]
    sigma: float

    def draw(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        means = torch.tensor(self.means, device=rng.device)
        component = torch.randint(len(self.means), (n,), generator=rng, device=rng.device)
        noise = torch.randn(n, 2, generator=rng, device=rng.device)
        return means[component] + self.sigma * noise, component


@dataclass(frozen=True)
class Moons:
    """Two interleaved half circles (as scikit-learn's make_moons), with Gaussian noise."""
    noise: float = 0.05

    def draw(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        component = torch.randint(2, (n,), generator=rng, device=rng.device)
        angle = math.pi * torch.rand(n, generator=rng, device=rng.device)
        upper = torch.stack([angle.cos(), angle.sin()], 1)
        lower = torch.stack([1 - angle.cos(), 0.5 - angle.sin()], 1)
        points = torch.where(component.unsqueeze(1) == 0, upper, lower) - torch.tensor([0.5, 0.25], device=rng.device)
        return 1.5 * points + self.noise * torch.randn(n, 2, generator=rng, device=rng.device), component


@dataclass(frozen=True)
class Curve:
    """Points along one line bent into a sine wave: a 1-D manifold in the plane, which a G with a
    one-dimensional z can cover exactly."""
    noise: float = 0.03

    def draw(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        x = 4 * torch.rand(n, generator=rng, device=rng.device) - 2
        y = torch.sin(math.pi * x / 2) + self.noise * torch.randn(n, generator=rng, device=rng.device)
        return torch.stack([x, y], 1), torch.zeros(n, dtype=torch.long, device=rng.device)


Distribution = Mixture | Moons | Curve


class PointSampler:
    """Batches of fresh points from a distribution, drawn on the device from the run's own generator."""

    def __init__(self, distribution: Distribution, rng: torch.Generator) -> None:
        self.distribution, self.rng = distribution, rng
        self.points_seen = 0

    @property
    def epoch(self) -> float:
        return self.points_seen / POINTS_PER_EPOCH

    def sample(self, batch_size: int) -> tuple[Tensor, Tensor]:
        self.points_seen += batch_size
        return self.distribution.draw(batch_size, self.rng)

    def probe(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        points, labels = self.distribution.draw(n, rng)
        device = self.rng.device
        return points.to(device), labels.to(device)

    def state(self) -> dict[str, Any]:
        """Where the sampler is: a run trained in a process of its own (process_run.py) takes it there and back."""
        return {"points_seen": self.points_seen, "rng": self.rng.get_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.points_seen = state["points_seen"]
        self.rng.set_state(state["rng"])


class MNISTSampler(BatchSampler):
    def probe(self, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor]:
        idx = torch.randperm(len(self.data), generator=rng)[:n].to(self.data.images.device)
        return self.data.images[idx], self.data.labels[idx]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    kind: str  # IMAGES or POINTS: which architectures can learn it and which views can draw it
    shape: tuple[int, ...]  # one sample's shape, what G draws and D reads
    num_classes: int  # labels a conditional model can be given; 0 when it cannot be conditional
    # (settings, device, preloaded MNIST or None, data root or None) -> the run's sampler
    sampler: Callable[[DataSettings, torch.device, MNISTTensors | None, str | None], Sampler]
    # the plane a 2-D view draws: (x_min, x_max, y_min, y_max); None for images
    bounds: tuple[float, float, float, float] | None = None
    distribution: Callable[[DataSettings], Distribution] | None = None
    own_points: bool = False  # drawn around the config's `points`, which it then needs

    def quality(self, generator: Generator, cfg: DataSettings, n: int = QUALITY_SAMPLES,
                seed: int = 0) -> dict[str, Any] | None:
        """The dataset's own measure of n of G's samples (z of `seed`) without a classifier: for a Gaussian
        mixture its modes covered, high-quality share and area ratio (modes.py); {} for other point sets (judge them by
        eye); None for images, which the MNIST classifier judges (metrics.quick_quality)."""
        if self.distribution is None:
            return None
        distribution = self.distribution(cfg)
        if not isinstance(distribution, Mixture):
            return {}
        assert self.bounds is not None  # every distribution of points has its plane
        real = distribution.draw(n, torch.Generator().manual_seed(seed))[0]  # as many as G's, the same each check
        return mixture_quality(generator, torch.tensor(distribution.means), distribution.sigma, real, self.bounds,
                               n, seed)


DATASETS: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    DATASETS[dataset.name] = dataset
    return dataset


def _mnist_sampler(cfg: DataSettings, device: torch.device, data: MNISTTensors | None,
                   root: str | None) -> Sampler:
    data = data if data is not None else load_mnist(root)
    return MNISTSampler(data.to(device), torch.Generator().manual_seed(cfg.seed))


def _points(distribution: Callable[[DataSettings], Distribution]) -> Callable[..., Sampler]:
    def make(cfg: DataSettings, device: torch.device, data: MNISTTensors | None, root: str | None) -> Sampler:
        return PointSampler(distribution(cfg), torch.Generator(device).manual_seed(cfg.seed))
    return make


def ring(modes: int = 8, radius: float = 2.0, sigma: float = 0.1) -> Mixture:
    return Mixture(tuple((radius * math.cos(2 * math.pi * k / modes), radius * math.sin(2 * math.pi * k / modes))
                         for k in range(modes)), sigma)


def grid(side: int = 5, spacing: float = 2.0, sigma: float = 0.05) -> Mixture:
    offset = spacing * (side - 1) / 2
    return Mixture(tuple((spacing * i - offset, spacing * j - offset) for i in range(side) for j in range(side)),
                   sigma)


def own_points(points: Sequence[float], sigma: float = 0.05) -> Mixture:
    """A small Gaussian around each given (x, y): points clicked or drawn on the plane, as GAN Lab's."""
    return Mixture(tuple((float(points[i]), float(points[i + 1])) for i in range(0, len(points), 2)), sigma)


def distribution_of(cfg: DataSettings) -> Distribution:
    """The distribution a 2-D config draws from (ValueError for an image dataset)."""
    make = DATASETS[cfg.dataset].distribution
    if make is None:
        raise ValueError(f"{cfg.dataset} is not a distribution of points in the plane.")
    return make(cfg)


register(Dataset("mnist", "MNIST's 60,000 handwritten digits, 28x28", IMAGES, (1, 28, 28), NUM_CLASSES,
                 _mnist_sampler))
for _name, _text, _dist, _bounds in (
        ("ring", "8 Gaussians on a circle of radius 2 (σ 0.1): the classic mode-collapse test", lambda c: ring(),
         (-3.0, 3.0, -3.0, 3.0)),
        ("grid", "25 Gaussians on a 5x5 grid 2 apart (σ 0.05)", lambda c: grid(), (-6.0, 6.0, -6.0, 6.0)),
        ("moons", "two interleaved half circles", lambda c: Moons(), (-3.0, 3.0, -3.0, 3.0)),
        ("curve", "a sine wave: a line bent in the plane", lambda c: Curve(), (-3.0, 3.0, -3.0, 3.0)),
        ("points", "your own points: a small Gaussian around each (x, y) you give", lambda c: own_points(c.points),
         (-3.0, 3.0, -3.0, 3.0))):
    register(Dataset(_name, _text, POINTS, (2,), 0, _points(_dist), _bounds, _dist, own_points=_name == "points"))
