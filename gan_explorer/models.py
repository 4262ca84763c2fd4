"""Registry of GAN architectures: each builds a (generator, discriminator) pair from a TrainConfig.

Shared contract, used by the trainer, the CLI, the UI and the tests:
  generator(z: (B, latent_dim), labels: (B,) long | None) -> images (B, 1, 28, 28) in [-1, 1]
  discriminator(x: (B, 1, 28, 28), labels | None) -> logits (B,)
A conditional model takes the digit label as an extra input of both networks.
A new architecture is one builder function decorated with @register. Networks are built on the
meta device and their weights drawn from a generator the caller owns (build_models), so building
a run neither reads nor moves PyTorch's global random state.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor, nn

from .data import NUM_CLASSES
from .inits import INITS, init_default

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = math.prod(IMAGE_SHAPE)


class ModelSettings(Protocol):
    """The settings an architecture reads (TrainConfig has them); declared here so this module needs no config."""
    architecture: str
    latent_dim: int
    conditional: bool
    init: str
    dcgan_width: int
    dcgan_fc: int
    mlp_g_hidden: tuple[int, ...]
    mlp_d_hidden: tuple[int, ...]
    mlp_dropout: float
    mlp_minibatch_std: bool

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One sample's shape (the dataset's): (1, 28, 28) for MNIST, (2,) for a point in the plane."""

    @property
    def d_batch_norm(self) -> bool:
        """Whether D may use BatchNorm: the loss decides (a per-sample gradient penalty forbids it)."""


class Generator(nn.Module):
    latent_dim: int
    conditional: bool


class Discriminator(nn.Module):
    conditional: bool


# ---------------------------------------------------------------- MLP (seed tutorials)

class MLPGenerator(Generator):
    def __init__(self, latent_dim: int, hidden: tuple[int, ...], conditional: bool) -> None:
        super().__init__()
        self.latent_dim, self.conditional = latent_dim, conditional
        self.label_embedding = nn.Embedding(NUM_CLASSES, NUM_CLASSES) if conditional else None
        layers: list[nn.Module] = []
        width = latent_dim + (NUM_CLASSES if conditional else 0)
        for i, h in enumerate(hidden):
            layers.append(nn.Linear(width, h))
            if i > 0:  # the tutorials skip BatchNorm on the first layer
                layers.append(nn.BatchNorm1d(h, momentum=0.2))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width = h
        layers += [nn.Linear(width, IMAGE_PIXELS), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        return self.net(z).view(-1, *IMAGE_SHAPE)


class MinibatchStd(nn.Module):
    """Appends one feature: how much the samples of a group of 4 differ (Karras et al., 2018, ProGAN).

    A generator whose samples look alike gives a small value that no single real image shows,
    so D can punish the lack of variety that a per-sample D cannot see.
    """

    group_size = 4

    def forward(self, h: Tensor) -> Tensor:
        b = h.shape[0]
        g = next(k for k in range(min(self.group_size, b), 0, -1) if b % k == 0)
        groups = h.view(g, b // g, -1)
        # The variance written out: torch's var() backward is about 7x slower on a CPU (measured on
        # a 256 x 128 batch, one thread), which made D's step dominate the 2-D lab's small networks.
        spread = ((groups - groups.mean(0)).pow(2).mean(0) + 1e-8).sqrt().mean(dim=1)  # (b // g,)
        return torch.cat([h, spread.repeat(g).unsqueeze(1)], dim=1)


FEW_INPUTS = 16  # below this many inputs a layer is a FewInputsLinear


class FewInputsLinear(nn.Linear):
    """nn.Linear for a layer that reads a few numbers (a point, a z of 1-2 numbers): the same function,
    with its weight's transpose laid out row by row for the product.

    Autograd keeps a gradient in the layout of what it differentiates, so nn.Linear's weight gradient
    is grad.t() @ x, an (out, B) @ (B, 2) product that MKL's sgemm runs about 6x slower than
    x.t() @ grad (105 against 16 us for B 512, out 128, on one AVX2 thread; the same for 2 to 8 inputs);
    the same holds for the gradient of the input. Copying a 2 x 128 weight costs far less. Its weights,
    their initialisation and its state dict are nn.Linear's. Input: (batch, in_features).
    """

    def forward(self, x: Tensor) -> Tensor:
        weight = self.weight.t().contiguous()
        return x @ weight if self.bias is None else torch.addmm(self.bias, x, weight)


def linear(in_features: int, out_features: int) -> nn.Linear:
    """A fully connected layer of a 2-D model: a FewInputsLinear where it reads a point or a short z."""
    return (FewInputsLinear if in_features < FEW_INPUTS else nn.Linear)(in_features, out_features)


class Dropout(nn.Module):
    """nn.Dropout drawing its masks from `rng`, a generator the run owns (the global one when None),
    so two runs training side by side do not draw from, or disturb, each other's random numbers."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.rng: torch.Generator | None = None

    def forward(self, h: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return h
        # What torch.nn.functional.dropout computes on a CPU, with the generator given.
        return h * torch.empty_like(h).bernoulli_(1 - self.p, generator=self.rng).div_(1 - self.p)


class MLPDiscriminator(Discriminator):
    def __init__(self, hidden: tuple[int, ...], dropout: float, conditional: bool,
                 minibatch_std: bool = False, in_features: int = IMAGE_PIXELS) -> None:
        super().__init__()
        self.conditional = conditional
        self.label_embedding = nn.Embedding(NUM_CLASSES, NUM_CLASSES) if conditional else None
        layers: list[nn.Module] = []
        width = in_features + (NUM_CLASSES if conditional else 0)
        for h in hidden:
            layers += [linear(width, h), nn.LeakyReLU(0.2, inplace=True)]
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = h
        if minibatch_std:
            layers.append(MinibatchStd())
            width += 1
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        x = x.flatten(1)
        if self.label_embedding is not None:
            x = torch.cat([x, self.label_embedding(labels)], dim=1)
        return self.net(x).squeeze(1)


class PlaneGenerator(Generator):
    """z (1 or 2 numbers, so the view can draw G's mapping of the noise) -> hidden ReLU layers -> a
    point (x, y). No BatchNorm, so a point depends on its own z only, and no Tanh: the plane is open."""

    def __init__(self, latent_dim: int, hidden: tuple[int, ...], out_features: int) -> None:
        super().__init__()
        self.latent_dim, self.conditional = latent_dim, False
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers += [linear(width, h), nn.ReLU(inplace=True)]
            width = h
        self.net = nn.Sequential(*layers, nn.Linear(width, out_features))

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.net(z)


# ---------------------------------------------------------------- DCGAN for 28x28

class DCGANGenerator(Generator):
    """z [-> fc] -> 7x7 x 2w -> 14x14 x w -> 28x28 x 1, with BatchNorm and ReLU, Tanh out."""

    def __init__(self, latent_dim: int, width: int, conditional: bool, fc: int = 0) -> None:
        super().__init__()
        self.latent_dim, self.conditional = latent_dim, conditional
        self.label_embedding = nn.Embedding(NUM_CLASSES, NUM_CLASSES) if conditional else None
        in_dim = latent_dim + (NUM_CLASSES if conditional else 0)
        hidden: list[nn.Module] = []
        if fc:
            hidden = [nn.Linear(in_dim, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU(inplace=True)]
            in_dim = fc
        self.project = nn.Sequential(
            *hidden,
            nn.Linear(in_dim, 2 * width * 7 * 7, bias=False),
            nn.Unflatten(1, (2 * width, 7, 7)),
            nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True))
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        return self.upsample(self.project(z))


class DCGANDiscriminator(Discriminator):
    """28x28 -> 14x14 x w -> 7x7 x 2w [-> fc] -> logit. The label enters as an extra input plane."""

    def __init__(self, width: int, conditional: bool, batch_norm: bool, fc: int = 0) -> None:
        super().__init__()
        self.conditional = conditional
        self.label_embedding = nn.Embedding(NUM_CLASSES, IMAGE_PIXELS) if conditional else None
        in_channels = 2 if conditional else 1
        features = 2 * width * 7 * 7
        hidden: list[nn.Module] = []
        if fc:
            hidden = [nn.Linear(features, fc, bias=not batch_norm),
                      nn.BatchNorm1d(fc) if batch_norm else nn.Identity(), nn.LeakyReLU(0.2, inplace=True)]
            features = fc
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=not batch_norm),
            nn.BatchNorm2d(2 * width) if batch_norm else nn.Identity(),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(), *hidden, nn.Linear(features, 1))

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.label_embedding is not None:
            x = torch.cat([x, self.label_embedding(labels).view(-1, *IMAGE_SHAPE)], dim=1)
        return self.net(x).squeeze(1)


def scores_each_sample_alone(discriminator: nn.Module) -> bool:
    """Whether D's score of a sample depends on that sample alone: no statistics over the batch (BatchNorm
    in training, minibatch standard deviation). Then real and generated samples can share one batch."""
    return not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, MinibatchStd)) for m in discriminator.modules())


# ---------------------------------------------------------------- registry

ArchitectureBuilder = Callable[[ModelSettings], tuple[Generator, Discriminator]]
ARCHITECTURES: dict[str, ArchitectureBuilder] = {}
ARCHITECTURE_KINDS: dict[str, tuple[str, ...]] = {}  # the kinds of sample (datasets.py) each can learn


def register(name: str, kinds: tuple[str, ...] = ("images",)) -> Callable[[ArchitectureBuilder], ArchitectureBuilder]:
    def wrap(builder: ArchitectureBuilder) -> ArchitectureBuilder:
        ARCHITECTURES[name], ARCHITECTURE_KINDS[name] = builder, kinds
        return builder
    return wrap


@register("mlp")
def _build_mlp(cfg: ModelSettings) -> tuple[Generator, Discriminator]:
    return (MLPGenerator(cfg.latent_dim, cfg.mlp_g_hidden, cfg.conditional),
            MLPDiscriminator(cfg.mlp_d_hidden, cfg.mlp_dropout, cfg.conditional, cfg.mlp_minibatch_std))


@register("dcgan")
def _build_dcgan(cfg: ModelSettings) -> tuple[Generator, Discriminator]:
    return (DCGANGenerator(cfg.latent_dim, cfg.dcgan_width, cfg.conditional, cfg.dcgan_fc),
            DCGANDiscriminator(cfg.dcgan_width, cfg.conditional, cfg.d_batch_norm, cfg.dcgan_fc))


@register("mlp2d", kinds=("points",))
def _build_mlp2d(cfg: ModelSettings) -> tuple[Generator, Discriminator]:
    """GAN Lab's networks: small MLPs from a noise of 1 or 2 numbers to a point, and from a point to a logit."""
    features = math.prod(cfg.sample_shape)
    return (PlaneGenerator(cfg.latent_dim, cfg.mlp_g_hidden, features),
            MLPDiscriminator(cfg.mlp_d_hidden, cfg.mlp_dropout, False, cfg.mlp_minibatch_std, features))


def build_models(cfg: ModelSettings, rng: torch.Generator | None = None) -> tuple[Generator, Discriminator]:
    """A freshly initialised (generator, discriminator) pair for this config (on the CPU).

    The weights are drawn from `rng` (PyTorch's global generator when None): PyTorch's default
    initialisation, then the config's init. A generator seeded with s gives the same weights as
    torch.manual_seed(s) followed by building the networks the usual way."""
    with torch.device("meta"):  # shapes only: the constructors' own initialisation draws nothing
        networks = ARCHITECTURES[cfg.architecture](cfg)
    init = INITS[cfg.init]
    with torch.no_grad():
        for network in networks:
            network.to_empty(device="cpu")
            for module in network.modules():
                init_default(module, rng)
        for network in networks if init is not None else ():
            network.apply(lambda m: init(m, rng))
    return networks


def draw_dropout_from(network: nn.Module, rng: torch.Generator) -> None:
    """Make every dropout layer of `network` draw its masks from `rng` (a run's own generator)."""
    for module in network.modules():
        if isinstance(module, Dropout):
            module.rng = rng
