"""Registry of GAN losses.

Every discriminator here returns raw logits (no sigmoid), so the BCE family uses the
numerically stable softplus forms: log(sigmoid(x)) = -softplus(-x), log(1 - sigmoid(x)) = -softplus(x).
A new loss is one new class decorated with @register. A loss owns its discriminator-side extras
(a penalty added to D's loss, a hook after each D update), so the trainer runs every loss the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Critic = Callable[[Tensor, Tensor | None], Tensor]  # D (or its compiled form): (images, labels) -> logits


class LossSettings(Protocol):
    """The settings a loss reads (TrainConfig has them); declared here so this module needs no config."""
    label_smoothing: float
    gp_weight: float
    clip_value: float
    r1_gamma: float


class GANLoss:
    """How D is scored on real and fake logits, and how G is scored on fake logits."""

    name: str = ""
    description: str = ""
    # D's loss has a penalty on D's gradient with respect to its input. Such a penalty is per sample,
    # so D must score each sample on its own (no BatchNorm, no minibatch std), and computing it
    # differentiates twice, which torch.compile cannot.
    penalises_d_gradient: bool = False
    # score() is a probability that x is real (the BCE family); otherwise an open-ended score, which
    # charts and the status must not present as a probability.
    scores_are_probabilities: bool = False
    score_note: str = ""  # one line for the status: how to read this loss's scores and losses

    def __init__(self, cfg: LossSettings) -> None:
        self.cfg = cfg

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        raise NotImplementedError

    def score(self, logits: Tensor) -> Tensor:
        """What a teacher plots as "D(x)": a probability for the BCE family, the raw critic value otherwise."""
        return logits

    def penalty_inputs(self, n_critic: int, batch_size: int, rng: torch.Generator,
                       device: torch.device) -> Tensor | None:
        """Random numbers the penalty needs, (n_critic, batch_size) or None; drawn before the step,
        so that a step recorded as a CUDA graph draws fresh ones at each replay."""
        return None

    def penalty(self, discriminator: Critic, real: Tensor, fake: Tensor, labels: Tensor | None,
                inputs: Tensor | None) -> Tensor | None:
        """A term added to D's loss, or None; `inputs` is one row of penalty_inputs()."""
        return None

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """Called after each optimiser step of D, e.g. to clip its weights."""


LOSSES: dict[str, type[GANLoss]] = {}


def register(cls: type[GANLoss]) -> type[GANLoss]:
    LOSSES[cls.name] = cls
    return cls


def scores_are_probabilities(loss_names: Iterable[str]) -> bool | None:
    """Whether the runs with these losses have a D whose scores are probabilities: True for every run,
    False for none (critics), None when they differ (a chart of both must name both kinds)."""
    kinds = {LOSSES[name].scores_are_probabilities for name in loss_names}
    return kinds.pop() if len(kinds) == 1 else None


def build_loss(cfg: LossSettings) -> GANLoss:
    return LOSSES[cfg.loss](cfg)


class _BCELoss(GANLoss):
    """D is a real/fake classifier trained with binary cross-entropy."""

    scores_are_probabilities = True

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        # One-sided label smoothing: only the real target moves (Salimans et al., 2016).
        real_target = torch.full_like(real_logits, 1.0 - self.cfg.label_smoothing)
        return (F.binary_cross_entropy_with_logits(real_logits, real_target)
                + F.softplus(fake_logits).mean())

    def score(self, logits: Tensor) -> Tensor:
        return torch.sigmoid(logits)


@register
class Minimax(_BCELoss):
    name = "minimax"
    description = "Original GAN (Goodfellow 2014): G minimises log(1 - D(G(z))); saturates early on."

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -F.softplus(fake_logits).mean()  # = mean log(1 - sigmoid(fake))


@register
class NonSaturating(_BCELoss):
    name = "non_saturating"
    description = "G maximises log D(G(z)): same fixed point, strong gradients when D wins."

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return F.softplus(-fake_logits).mean()  # = -mean log sigmoid(fake)


@register
class LeastSquares(GANLoss):
    name = "lsgan"
    description = "Least-squares GAN (Mao 2017): D regresses real to 1 and fake to 0."

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return 0.5 * ((real_logits - 1).pow(2).mean() + fake_logits.pow(2).mean())

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return 0.5 * (fake_logits - 1).pow(2).mean()


@register
class Hinge(GANLoss):
    name = "hinge"
    description = "Hinge loss (Lim & Ye 2017; used by SAGAN/BigGAN)."

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()


@register
class Wasserstein(GANLoss):
    name = "wgan"
    description = "Wasserstein GAN (Arjovsky 2017) with weight clipping to keep the critic Lipschitz."
    score_note = ("The critic gives scores, not probabilities: only the gap between real and generated "
                  "scores matters (it estimates how far apart the two are), so losses below zero are normal.")

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return fake_logits.mean() - real_logits.mean()

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        clip_weights_(discriminator, self.cfg.clip_value)


@register
class WassersteinGP(Wasserstein):
    name = "wgan_gp"
    description = "WGAN with gradient penalty (Gulrajani 2017) instead of clipping."
    penalises_d_gradient = True

    def penalty_inputs(self, n_critic: int, batch_size: int, rng: torch.Generator,
                       device: torch.device) -> Tensor:
        return torch.rand(n_critic, batch_size, generator=rng, device=device)  # where x_hat lies on each line

    def penalty(self, discriminator: Critic, real: Tensor, fake: Tensor, labels: Tensor | None,
                inputs: Tensor | None) -> Tensor:
        return self.cfg.gp_weight * gradient_penalty(discriminator, real, fake, labels, inputs)

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """The penalty keeps the critic Lipschitz instead of clipping."""


@register
class NonSaturatingR1(NonSaturating):
    name = "non_saturating_r1"
    description = ("Non-saturating loss with the R1 penalty (Mescheder 2018; StyleGAN): D's gradient on "
                   "real images is pushed to zero, which damps D's oscillations around the equilibrium.")
    penalises_d_gradient = True

    def penalty(self, discriminator: Critic, real: Tensor, fake: Tensor, labels: Tensor | None,
                inputs: Tensor | None) -> Tensor:
        return 0.5 * self.cfg.r1_gamma * r1_penalty(discriminator, real, labels)


def gradient_penalty(discriminator: Critic, real: Tensor, fake: Tensor,
                     labels: Tensor | None = None, alpha: Tensor | None = None) -> Tensor:
    """Mean of (||grad_x D(x_hat)||_2 - 1)^2 on random interpolates x_hat of real and fake.

    alpha: (batch,) mixing weights in [0, 1]; drawn uniformly when not given.
    """
    if alpha is None:
        alpha = torch.rand(real.size(0), device=real.device)
    alpha = alpha.view(-1, *[1] * (real.dim() - 1)).to(real.dtype)  # one weight per sample, whatever its shape
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = discriminator(x_hat, labels)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


def r1_penalty(discriminator: Critic, real: Tensor, labels: Tensor | None = None) -> Tensor:
    """Mean of ||grad_x D(x)||_2^2 on real images x: zero when D is flat around the data."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x, labels).sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def clip_weights_(module: nn.Module, clip_value: float) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-clip_value, clip_value)
