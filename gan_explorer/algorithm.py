"""The GAN training step, read top to bottom: n_critic updates of D, then one update of G.

It reads like the loop of pytorch/examples' DCGAN: D learns to tell real images from
generated ones, then G learns to make the updated D call its images real. Whatever a loss
adds on D's side (a gradient penalty, weight clipping) is the loss's own business (losses.py).
Trainer (trainer.py) builds the parts this mixin reads and runs the step.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor

from .config import TrainConfig
from .datasets import Sampler
from .losses import GANLoss
from .models import Discriminator, Generator
from .optim import clear_grads, grad_norm, set_trainable

Network = Callable[[Tensor, Tensor | None], Tensor]  # a module or its torch.compile form


class GANAlgorithm:
    """The step on parts built elsewhere: networks, their optimisers, the loss and the input streams."""

    config: TrainConfig
    device: torch.device
    generator: Generator
    discriminator: Discriminator
    _G: Network  # the generator as the step calls it (compiled or not)
    _D: Network
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    loss: GANLoss
    autocast_dtype: torch.dtype | None
    sampler: Sampler
    rng: torch.Generator  # z and the loss's penalty inputs
    g_parameters: list[Tensor]  # G's and D's weights, listed once (a small network's step is mostly overhead)
    d_parameters: list[Tensor]
    d_scores_in_one_pass: bool  # D scores each sample alone, so real and fake can share one batch (_scores)

    def _update(self, real: Tensor, real_labels: Tensor, z: Tensor, penalty_inputs: Tensor | None = None) -> Tensor:
        """n_critic D updates then one G update, on (n_critic, batch, ...) stacks of inputs.

        Pure tensor work on inputs drawn outside (images, labels, z, the loss's penalty inputs),
        with no device sync, so on a GPU it can be recorded as one CUDA graph.
        Returns [d_loss, g_loss, D(x), D(G(z)), |grad G|, |grad D|] as one tensor.
        """
        for i in range(self.config.n_critic):
            # The last D update's fakes are kept with their graph and reused for G's update,
            # as in the PyTorch DCGAN tutorial: one generator forward pass per step.
            last = i == self.config.n_critic - 1
            labels = self._labels(real_labels[i])
            row = penalty_inputs[i] if penalty_inputs is not None else None
            fake, d_loss, real_logits, fake_logits, d_grad_norm = self._discriminator_step(
                real[i], labels, z[i], row, keep_fake_graph=last)
        g_loss, g_grad_norm = self._generator_step(fake, labels)
        score = self.loss.score
        return torch.stack([d_loss.detach(), g_loss.detach(), score(real_logits.detach()).mean(),
                            score(fake_logits.detach()).mean(), g_grad_norm, d_grad_norm])

    def _discriminator_step(self, real: Tensor, labels: Tensor | None, z: Tensor, penalty_inputs: Tensor | None,
                            keep_fake_graph: bool) -> tuple[Tensor, ...]:
        """1. Discriminator: tell real images from generated ones. Returns (fakes, D's loss, D(x), D(G(z)), |grad D|)."""
        G, D, loss = self._G, self._D, self.loss
        with self._autocast(), torch.set_grad_enabled(keep_fake_graph):
            fake = G(z, labels)
        with self._autocast():
            real_logits, fake_logits = self._scores(real, fake.detach(), labels)
            d_loss = loss.discriminator_loss(real_logits.float(), fake_logits.float())
            penalty = loss.penalty(D, real, fake.detach(), labels, penalty_inputs)
            if penalty is not None:  # a loss without one adds no kernel to the step
                d_loss = d_loss + penalty
        clear_grads(self.d_parameters)
        d_loss.backward()
        d_grad_norm = grad_norm(self.d_parameters)
        self.d_optimizer.step()
        loss.after_discriminator_step(D)
        return fake, d_loss, real_logits, fake_logits, d_grad_norm

    def _generator_step(self, fake: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor]:
        """2. Generator: make the updated D call the same fakes real. D's weights are frozen
        meanwhile so backward computes no weight gradients G's update would throw away."""
        set_trainable(self.d_parameters, False)
        try:
            with self._autocast():
                g_loss = self.loss.generator_loss(self._D(fake, labels).float())
            clear_grads(self.g_parameters)
            g_loss.backward()
        finally:
            set_trainable(self.d_parameters, True)
        g_grad_norm = grad_norm(self.g_parameters)
        self.g_optimizer.step()
        return g_loss, g_grad_norm

    def _scores(self, real: Tensor, fake: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor]:
        """D's logits for the real and the generated batch. Where D scores each sample alone (no BatchNorm
        or minibatch statistics) both go through in one pass: the same arithmetic in half the operations,
        and on a CPU a small network's step costs its operations more than its arithmetic."""
        if not self.d_scores_in_one_pass:
            return self._D(real, labels), self._D(fake, labels)
        both = self._D(torch.cat([real, fake]), None if labels is None else torch.cat([labels, labels]))
        return both[:len(real)], both[len(real):]

    def _autocast(self) -> AbstractContextManager[None]:
        if self.autocast_dtype is None:  # entering a disabled autocast costs as much as a small operation
            return nullcontext()
        # cache_enabled=False: autocast's weight-cast cache must not outlive a graph capture.
        return torch.autocast(self.device.type, torch.bfloat16, cache_enabled=False)

    def _labels(self, real_labels: Tensor) -> Tensor | None:
        return real_labels if self.config.conditional else None

    def _draw_inputs(self) -> tuple[Tensor, ...]:
        """One step's inputs: n_critic batches of real images and labels, z, and the loss's penalty inputs."""
        cfg = self.config
        batches = [self.sampler.sample(cfg.batch_size) for _ in range(cfg.n_critic)]
        real = torch.stack([images for images, _ in batches])
        real_labels = torch.stack([labels for _, labels in batches])
        z = torch.randn(cfg.n_critic, cfg.batch_size, cfg.latent_dim, generator=self.rng, device=self.device)
        extra = self.loss.penalty_inputs(cfg.n_critic, cfg.batch_size, self.rng, self.device)
        return (real, real_labels, z) if extra is None else (real, real_labels, z, extra)

    def _free_grads(self) -> None:
        self.g_optimizer.zero_grad(set_to_none=True)
        self.d_optimizer.zero_grad(set_to_none=True)

    def _learning_rates(self) -> tuple[float, float]:
        return self.g_optimizer.param_groups[0]["lr"], self.d_optimizer.param_groups[0]["lr"]
