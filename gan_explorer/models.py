"""Registry of GAN architectures: each builds a (generator, discriminator) pair from a TrainConfig.

Shared contract, used by the trainer, the CLI, the UI and the tests:
  generator(z: (B, latent_dim), labels: (B,) long | None) -> images (B, 1, 28, 28) in [-1, 1]
  discriminator(x: (B, 1, 28, 28), labels | None) -> logits (B,)
A conditional model takes the digit label as an extra input of both networks.
A new architecture is one builder function decorated with @register.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from .data import NUM_CLASSES
from .losses import LOSSES

if TYPE_CHECKING:
    from .config import TrainConfig

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = math.prod(IMAGE_SHAPE)


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
        spread = (h.view(g, b // g, -1).var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=1)  # (b // g,)
        return torch.cat([h, spread.repeat(g).unsqueeze(1)], dim=1)


class MLPDiscriminator(Discriminator):
    def __init__(self, hidden: tuple[int, ...], dropout: float, conditional: bool,
                 minibatch_std: bool = False) -> None:
        super().__init__()
        self.conditional = conditional
        self.label_embedding = nn.Embedding(NUM_CLASSES, NUM_CLASSES) if conditional else None
        layers: list[nn.Module] = []
        width = IMAGE_PIXELS + (NUM_CLASSES if conditional else 0)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2, inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
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


# ---------------------------------------------------------------- registry

ArchitectureBuilder = Callable[["TrainConfig"], tuple[Generator, Discriminator]]
ARCHITECTURES: dict[str, ArchitectureBuilder] = {}


def register(name: str) -> Callable[[ArchitectureBuilder], ArchitectureBuilder]:
    def wrap(builder: ArchitectureBuilder) -> ArchitectureBuilder:
        ARCHITECTURES[name] = builder
        return builder
    return wrap


@register("mlp")
def _build_mlp(cfg: TrainConfig) -> tuple[Generator, Discriminator]:
    return (MLPGenerator(cfg.latent_dim, cfg.mlp_g_hidden, cfg.conditional),
            MLPDiscriminator(cfg.mlp_d_hidden, cfg.mlp_dropout, cfg.conditional, cfg.mlp_minibatch_std))


@register("dcgan")
def _build_dcgan(cfg: TrainConfig) -> tuple[Generator, Discriminator]:
    # BatchNorm couples the samples of a batch, which breaks the per-sample gradient penalty.
    batch_norm = not LOSSES[cfg.loss].gradient_penalty
    return (DCGANGenerator(cfg.latent_dim, cfg.dcgan_width, cfg.conditional, cfg.dcgan_fc),
            DCGANDiscriminator(cfg.dcgan_width, cfg.conditional, batch_norm, cfg.dcgan_fc))


def _init_dcgan(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def _init_xavier(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


INITS: dict[str, Callable[[nn.Module], None] | None] = {
    "dcgan": _init_dcgan, "xavier": _init_xavier, "default": None}


def build_models(cfg: TrainConfig) -> tuple[Generator, Discriminator]:
    """A freshly initialised (generator, discriminator) pair for this config (on the CPU)."""
    generator, discriminator = ARCHITECTURES[cfg.architecture](cfg)
    init = INITS[cfg.init]
    if init is not None:
        generator.apply(init)
        discriminator.apply(init)
    return generator, discriminator
