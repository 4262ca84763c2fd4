"""Discovered directions: ways through z along which the generator changes the most, found without labels.

- SeFa (Shen & Zhou, 2021, "Closed-Form Factorization of Latent Semantics in GANs"): the first layer
  that reads z is y = W z + b. Moving z by a unit vector n moves y by W n, which is largest when n is
  the top right-singular vector of W. So the directions are W's right-singular vectors, in order.
  No sampling, no training: a closed form from the weights.
- GANSpace (Härkönen et al., 2020, "GANSpace: Discovering Interpretable GAN Controls"): sample many z,
  record G's early activations (after the first layer's nonlinearity), find their principal
  components, and map each back to z by linear regression of z on the components' coordinates.

For a conditional model only the z columns count (the label's are left alone), so a direction keeps
the digit and changes its style. Every method returns orthonormal directions in z, as rows.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .latent import generate
from .models import NUM_CLASSES, Generator

DEFAULT_DIRECTIONS = 5
PREVIEW_SPAN = 3.0  # a unit direction's coordinate of z ~ N(0, I) is N(0, 1): +-3 sigma covers 99.7 %
PREVIEW_STEPS = 7
GANSPACE_SAMPLES = 1000

DirectionMethod = Callable[[Generator, int, int], Tensor]  # (G, k, seed) -> (k, latent_dim) orthonormal
METHODS: dict[str, DirectionMethod] = {}


def register(name: str) -> Callable[[DirectionMethod], DirectionMethod]:
    def wrap(method: DirectionMethod) -> DirectionMethod:
        METHODS[name] = method
        return method
    return wrap


def first_layer(generator: Generator) -> nn.Linear:
    """The linear layer that reads z (concatenated with the label embedding for a conditional model)."""
    width = generator.latent_dim + (NUM_CLASSES if generator.conditional else 0)
    for module in generator.modules():
        if isinstance(module, nn.Linear):
            if module.in_features != width:
                break
            return module
    raise ValueError(f"{type(generator).__name__} has no fully connected first layer reading z: "
                     "SeFa and GANSpace need one.")


def _orthonormal(rows: Tensor) -> Tensor:
    """The rows made orthonormal in order (Gram-Schmidt by QR): the first keeps its direction."""
    q, r = torch.linalg.qr(rows.T)
    return (q * torch.sign(torch.diagonal(r))).T.contiguous()


@register("sefa")
def sefa(generator: Generator, k: int, seed: int = 0) -> Tensor:
    """The top-k right-singular vectors of the first layer's weight, z columns only. (seed unused: a closed form.)"""
    weight = first_layer(generator).weight.detach().float().cpu()[:, :generator.latent_dim]
    _, _, vh = torch.linalg.svd(weight, full_matrices=False)
    return _orthonormal(vh[:k])


@register("ganspace")
@torch.no_grad()
def ganspace(generator: Generator, k: int, seed: int = 0) -> Tensor:
    """PCA of the first layer's activations over GANSPACE_SAMPLES z, regressed back onto z."""
    z, h = _early_activations(generator, seed)
    h = h - h.mean(0)
    if h.size(1) <= h.size(0):  # PCA by the smaller Gram matrix: features x features ...
        _, axes = torch.linalg.eigh(h.T @ h)
        coords = h @ axes[:, -k:].flip(1)  # (N, k) coordinates on the top-k principal axes
    else:  # ... or samples x samples (3,136 features of a DCGAN without its fc layer)
        values, vectors = torch.linalg.eigh(h @ h.T)
        coords = vectors[:, -k:].flip(1) * values[-k:].flip(0).clamp_min(0).sqrt()
    # z ~ coords @ U: row j of U is the change of z that moves the j-th principal coordinate by one.
    u = torch.linalg.lstsq(coords, z).solution
    return _orthonormal(u / u.norm(dim=1, keepdim=True))


class _Recorded(Exception):
    """Raised by the hook once the early activations are recorded: the rest of G need not run."""

    def __init__(self, activations: Tensor) -> None:
        super().__init__()
        self.activations = activations


def _early_activations(generator: Generator, seed: int) -> tuple[Tensor, Tensor]:
    """(z, activations): G's output after its first layer's nonlinearity for GANSPACE_SAMPLES random z."""
    layer = first_layer(generator)
    modules = list(generator.modules())
    after = modules[modules.index(layer) + 1:]
    activation = next((m for m in after if isinstance(m, (nn.ReLU, nn.LeakyReLU))), layer)
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(GANSPACE_SAMPLES, generator.latent_dim, generator=rng)
    labels = torch.randint(0, NUM_CLASSES, (GANSPACE_SAMPLES,), generator=rng) if generator.conditional else None

    def record(_module: nn.Module, _inputs: object, output: Tensor) -> None:
        raise _Recorded(output.detach().flatten(1).float().cpu())

    hook = activation.register_forward_hook(record)
    try:
        generate(generator, z, labels)
    except _Recorded as recorded:
        return z, recorded.activations
    finally:
        hook.remove()
    raise ValueError(f"{type(generator).__name__} never ran its first layer.")


def find_directions(generator: Generator, method: str, k: int = DEFAULT_DIRECTIONS, seed: int = 0) -> Tensor:
    """(k, latent_dim) orthonormal directions in z by a registered method ("sefa", "ganspace")."""
    if method not in METHODS:
        raise ValueError(f"Unknown direction method {method!r}: choose one of {', '.join(METHODS)}.")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= generator.latent_dim:
        raise ValueError(f"The number of directions must be a whole number from 1 to {generator.latent_dim}; got {k!r}.")
    return METHODS[method](generator, k, seed)


@torch.no_grad()
def preview_strips(generator: Generator, z: Tensor, directions: Tensor, label: int | None = None,
                   steps: int = PREVIEW_STEPS, span: float = PREVIEW_SPAN) -> Tensor:
    """(k * steps, 1, 28, 28): for each direction, G along z + t * direction for t from -span to +span."""
    offsets = torch.linspace(-span, span, steps)
    path = (z.reshape(1, 1, -1) + offsets.reshape(1, -1, 1) * directions.unsqueeze(1)).reshape(-1, z.numel())
    return generate(generator, path, label)


@torch.no_grad()
def mean_change(generator: Generator, directions: Tensor, n: int = 128, step: float = PREVIEW_SPAN,
                seed: int = 0) -> Tensor:
    """Per direction (row): the mean pixel distance between G(z) and G(z + step * direction) over n random z
    (and random digits for a conditional model): how much G's output moves along it."""
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n, generator.latent_dim, generator=rng)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=rng) if generator.conditional else None
    before = generate(generator, z, labels)
    return torch.stack([(generate(generator, z + step * d, labels) - before).flatten(1).norm(dim=1).mean()
                        for d in directions])


def moved(z: Tensor, directions: Tensor, amounts: list[float]) -> Tensor:
    """z moved by amounts[i] along directions[i] (the sliders along discovered directions)."""
    if len(amounts) > len(directions):
        raise ValueError(f"Got {len(amounts)} amounts for {len(directions)} directions.")
    return z + torch.tensor(amounts, dtype=z.dtype) @ directions[:len(amounts)]
