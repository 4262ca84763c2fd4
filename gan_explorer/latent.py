"""Walking the latent space: drawing z (and digits), slider edits, interpolation, and G(z) on the CPU.

The trainer, the metrics, the CLI and every tab draw their z here; nothing here holds state.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from .data import NUM_CLASSES
from .models import Generator
from .parsing import whole_number

if TYPE_CHECKING:
    from .config import TrainConfig

SLIDER_RANGE = 3.0  # sliders span [-3, 3]: z ~ N(0, I), so |z_i| > 3 is rarer than 3 in 1000
MAX_SLIDERS = 16
MIN_STEPS, MAX_STEPS = 2, 64
INTERPOLATION_METHODS = ("linear", "slerp")
INTERPOLATION_NOTE = (
    "A Gaussian z in d dimensions almost always has a length close to sqrt(d), but the straight-line "
    "midpoint of two such vectors is shorter (about sqrt(d/2) for independent ones), so linear "
    "interpolation passes through atypical z the generator rarely saw; spherical interpolation (slerp) "
    "keeps the length typical all the way."
)


def sample(n: int, latent_dim: int, rng: torch.Generator | int, conditional: bool = False,
           digit: int | None = None) -> tuple[Tensor, Tensor | None]:
    """n latent vectors z ~ N(0, I), (n, latent_dim), and for a conditional model their digit labels (n,).

    rng: the caller's own torch.Generator (z is drawn on its device), or a seed for a new CPU one,
    which gives the same z on every machine; never the global RNG, which concurrent runs share.
    Labels: `digit` for every z, else every digit in turn (0, 1, ..., 9, 0, ...), so each digit is
    drawn equally often and a grid NUM_CLASSES wide shows digit j in column j. None when unconditional.
    """
    if not isinstance(rng, torch.Generator):
        rng = torch.Generator().manual_seed(rng)
    z = torch.randn(n, latent_dim, generator=rng, device=rng.device)
    if not conditional:
        return z, None
    if digit is None:
        return z, torch.arange(n, device=rng.device) % NUM_CLASSES
    return z, torch.full((n,), digit, device=rng.device)


def fixed_noise(config: TrainConfig, n: int, device: torch.device | str = "cpu") -> tuple[Tensor, Tensor | None]:
    """A run's fixed noise: the z (and digits) its grid shows all run long, so the grid shows the
    generator changing, not the noise, and the same again for the run's checkpoint, loaded anywhere.

    Drawn on the CPU, so a GPU run and its checkpoint on a CPU draw the same z. The seed is the
    run's seed + 2: the run draws its batches from seed and its training noise from seed + 1.
    """
    z, labels = sample(n, config.latent_dim, config.seed + 2, config.conditional)
    return z.to(device), None if labels is None else labels.to(device)


def latent_from_seed(seed: int, latent_dim: int) -> Tensor:
    """The z (latent_dim,) for a seed: the same on every machine, untouched by the global RNG."""
    return sample(1, latent_dim, whole_number("seed", seed, 0, 2**63 - 1, strict=True))[0][0]


def with_slider_values(z: Tensor, values: Sequence[float]) -> Tensor:
    """A copy of z whose first len(values) dimensions are set to the slider values."""
    if z.dim() != 1:
        raise ValueError(f"z must be one latent vector of shape (latent_dim,); got shape {tuple(z.shape)}.")
    if len(values) > min(MAX_SLIDERS, z.numel()):
        raise ValueError(f"Got {len(values)} slider values but at most {min(MAX_SLIDERS, z.numel())} "
                         f"dimensions can be set (latent_dim={z.numel()}, MAX_SLIDERS={MAX_SLIDERS}).")
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError):
        floats = [math.nan]
    if not all(math.isfinite(v) for v in floats):
        raise ValueError(f"Slider values must be finite numbers; got {list(values)}.")
    z = z.clone()
    z[:len(floats)] = torch.tensor(floats, dtype=z.dtype)
    return z


def _check_pair(z0: Tensor, z1: Tensor, steps: int) -> None:
    if z0.dim() != 1 or z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must be latent vectors of the same shape (latent_dim,); "
                         f"got {tuple(z0.shape)} and {tuple(z1.shape)}.")
    whole_number("steps", steps, MIN_STEPS, MAX_STEPS, why=" (both endpoints included)", strict=True)


def lerp(z0: Tensor, z1: Tensor, steps: int) -> Tensor:
    """(steps, d): evenly spaced points on the straight line from z0 to z1, endpoints included."""
    t = torch.linspace(0, 1, steps, dtype=z0.dtype).unsqueeze(1)
    return (1 - t) * z0 + t * z1


def slerp(z0: Tensor, z1: Tensor, steps: int, eps: float = 1e-4) -> Tensor:
    """(steps, d): evenly spaced points on the great-circle arc from z0 to z1 (Shoemake's formula).

    Between vectors of equal length every point has that length. Vectors pointing the same or the
    opposite way have no single arc between them (sin(omega) -> 0), so those fall back to lerp.
    """
    cos_omega = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos_omega.clamp(-1, 1))
    if torch.sin(omega).abs() < eps:
        return lerp(z0, z1, steps)
    t = torch.linspace(0, 1, steps, dtype=z0.dtype).unsqueeze(1)
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def interpolate(z0: Tensor, z1: Tensor, steps: int, method: str = "slerp") -> Tensor:
    """(steps, d) latent path from z0 to z1 by "linear" or "slerp" (see INTERPOLATION_NOTE)."""
    _check_pair(z0, z1, steps)
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"Unknown interpolation method {method!r}: choose one of {', '.join(INTERPOLATION_METHODS)}.")
    return slerp(z0, z1, steps) if method == "slerp" else lerp(z0, z1, steps)


def _labels_for(generator: Generator, labels: Tensor | int | None, batch: int) -> Tensor | None:
    """Check labels against the model, and broadcast a single digit to the whole batch."""
    if not generator.conditional:
        if labels is not None:
            raise ValueError("This generator is unconditional: it takes no digit label (pass labels=None).")
        return None
    if labels is None:
        raise ValueError(f"This generator is conditional: choose which digit (0-{NUM_CLASSES - 1}) to draw.")
    labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    if labels.numel() == 1:
        labels = labels.expand(batch)
    if labels.numel() != batch:
        raise ValueError(f"Got {labels.numel()} labels for {batch} latent vectors.")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"Digit labels must be from 0 to {NUM_CLASSES - 1}; got {labels.tolist()}.")
    return labels


def _checked_latent(generator: Generator, z: Tensor) -> Tensor:
    """z as a (B, latent_dim) batch, or a clear error."""
    z = z.unsqueeze(0) if z.dim() == 1 else z
    if z.dim() != 2 or z.size(1) != generator.latent_dim:
        raise ValueError(f"z must have shape (latent_dim,) or (batch, latent_dim) with latent_dim="
                         f"{generator.latent_dim}; got {tuple(z.shape)}.")
    if not torch.isfinite(z).all():
        raise ValueError("z contains NaN or infinite values.")
    return z


def _forward(generator: Generator, z: Tensor, labels: Tensor | None) -> Tensor:
    generator.eval()
    device = next(generator.parameters()).device
    images = generator(z.to(device, torch.float32), None if labels is None else labels.to(device))
    return images.float().cpu()


@torch.no_grad()
def generate(generator: Generator, z: Tensor, labels: Tensor | int | None = None) -> Tensor:
    """G(z) as (B, 1, 28, 28) in [-1, 1] on the CPU, for z of shape (d,) or (B, d).

    G is put in eval mode: BatchNorm then uses its running statistics, so an image depends on its
    own z only, not on whatever else is in the batch.
    """
    z = _checked_latent(generator, z)
    return _forward(generator, z, _labels_for(generator, labels, z.size(0)))


@torch.no_grad()
def interpolation_frames(generator: Generator, z0: Tensor, z1: Tensor, steps: int, method: str = "slerp",
                         labels0: int | None = None, labels1: int | None = None) -> Tensor:
    """(steps, 1, 28, 28): G along the path from z0 to z1.

    For a conditional model the label embedding is blended linearly alongside z (so a 3 can morph
    into an 8 while the style follows z); with labels1 None or equal to labels0 the digit stays fixed.
    """
    path = interpolate(z0, z1, steps, method)
    if not generator.conditional or labels1 is None or labels0 is None or int(labels1) == int(labels0):
        return generate(generator, path, labels0)
    path = _checked_latent(generator, path)
    for label in (labels0, labels1):
        _labels_for(generator, label, 1)  # a clear error for a digit outside 0-9
    table = generator.label_embedding.weight.detach()
    t = torch.linspace(0, 1, steps, device=table.device).unsqueeze(1)
    blended = (1 - t) * table[int(labels0)] + t * table[int(labels1)]
    # Both architectures read the label only through label_embedding. A copy of G whose table has
    # one row per frame (that frame's blend) draws "part 3, part 8" without changing the shared G,
    # which other sessions may be using at the same moment.
    morph = copy.deepcopy(generator)
    morph.label_embedding = nn.Embedding.from_pretrained(blended)
    return _forward(morph, path, torch.arange(steps))
