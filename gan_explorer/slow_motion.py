"""Slow motion, as GAN Lab's step mode: one discriminator update alone (`d_step`) or one generator
update alone (`g_step`), and what it moved, read by a probe: D's mean output on one fixed real batch
and on G's images for one fixed z, before and after.

Counting: `step_count` is the number of generator updates, so a G step advances it (with the
learning-rate schedule and G's weight average, as a full step does) and a D step does not. The
history and its charts hold full steps only: a half step's effect is the probe's before -> after.

The probe is a reading, not a step: it draws its batch from its own generator (seeded with the
run's seed + 3; the run draws its batches from seed, its noise from seed + 1, its grid from seed + 2),
runs BatchNorm on batch statistics as training does but puts the running statistics back, and
turns dropout off, so a probed run trains exactly as an unprobed one.
"""
from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .algorithm import GANAlgorithm
from .cuda_graph import StepExecutor
from .datasets import DATASETS
from .latent import sample
from .models import Dropout
from .optim import ema_decay_at, ema_update_
from .run_control import TrainingDiverged

PROBE_SEED_OFFSET = 3


@dataclass(frozen=True)
class Probe:
    """D's mean output on the probe's real batch and on G's images for its z (the loss's score:
    a probability that the image is real for the BCE losses, an open-ended critic value otherwise)."""
    d_real: float
    d_fake: float

    @property
    def gap(self) -> float:
        return self.d_real - self.d_fake


@contextmanager
def _reading(network: nn.Module) -> Iterator[None]:
    """Run `network` without changing it: BatchNorm on batch statistics (as in training) with its
    running statistics put back afterwards, dropout off (it would draw from the run's generator)."""
    saved = {name: b.clone() for name, b in network.named_buffers()}
    dropouts = [m for m in network.modules() if isinstance(m, (Dropout, nn.Dropout)) and m.training]
    for m in dropouts:
        m.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m in dropouts:
            m.train()
        with torch.no_grad():
            for name, buffer in network.named_buffers():
                buffer.copy_(saved[name])


class SlowMotion(GANAlgorithm):
    """Half steps and the probe, on the run's parts (Trainer builds them; RunControl stops and counts)."""

    _lock: threading.Lock
    _executor: StepExecutor
    schedulers: list[torch.optim.lr_scheduler.LRScheduler]
    generator_ema: nn.Module | None
    step_count: int
    train_seconds: float
    _probe_batch: tuple[Tensor, Tensor | None, Tensor] | None = None  # real images, labels, z
    _check_not_stopped: Callable[[], None]
    stop: Callable[[], None]

    def probe(self) -> Probe:
        """D's mean outputs on the run's fixed real batch and on G's images for its fixed z."""
        with self._lock:
            return self._probe()

    def d_step(self) -> tuple[Probe, Probe]:
        """One discriminator update alone, on a fresh batch; returns the probe before and after."""
        self._check_not_stopped()
        with self._lock:
            before, start = self._probe(), time.perf_counter()
            self._executor.discard()  # eager: a recording is of the whole step
            cfg = self.config
            real, real_labels = self.sampler.sample(cfg.batch_size)
            z = torch.randn(cfg.batch_size, cfg.latent_dim, generator=self.rng, device=self.device)
            extra = self.loss.penalty_inputs(1, cfg.batch_size, self.rng, self.device)
            d_loss = self._discriminator_step(real, self._labels(real_labels), z,
                                              None if extra is None else extra[0], keep_fake_graph=False)[1]
            self._check_finite("D", d_loss)
            self.train_seconds += time.perf_counter() - start
            return before, self._probe()

    def g_step(self) -> tuple[Probe, Probe]:
        """One generator update alone (it counts as a step); returns the probe before and after."""
        self._check_not_stopped()
        with self._lock:
            before, start = self._probe(), time.perf_counter()
            self._executor.discard()
            cfg = self.config
            z = torch.randn(cfg.batch_size, cfg.latent_dim, generator=self.rng, device=self.device)
            labels = (torch.randint(self._num_classes, (cfg.batch_size,), generator=self.rng, device=self.device)
                      if cfg.conditional else None)
            with self._autocast():
                fake = self._G(z, labels)
            g_loss = self._generator_step(fake, labels)[0]
            self._check_finite("G", g_loss)
            if self.generator_ema is not None:
                ema_update_(self.generator_ema, self.generator, ema_decay_at(cfg.ema_decay, self.step_count))
            with warnings.catch_warnings():
                # D's schedule follows the generator steps too, though D may not have been updated yet
                warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step", UserWarning)
                for scheduler in self.schedulers:
                    scheduler.step()
            self.step_count += 1
            self.train_seconds += time.perf_counter() - start
            return before, self._probe()

    @property
    def _num_classes(self) -> int:
        return DATASETS[self.config.dataset].num_classes

    def _probe(self) -> Probe:
        if self._probe_batch is None:
            self._probe_batch = self._draw_probe_batch()
        real, labels, z = self._probe_batch
        with _reading(self.generator), _reading(self.discriminator), self._autocast():
            fake = self.generator(z, labels)
            real_score = self.loss.score(self.discriminator(real, labels).float()).mean()
            fake_score = self.loss.score(self.discriminator(fake, labels).float()).mean()
        return Probe(real_score.item(), fake_score.item())

    def _draw_probe_batch(self) -> tuple[Tensor, Tensor | None, Tensor]:
        """One batch of real samples and one of z, the same for the whole run (drawn on the CPU)."""
        cfg = self.config
        rng = torch.Generator().manual_seed(cfg.seed + PROBE_SEED_OFFSET)
        real, labels = self.sampler.probe(cfg.batch_size, rng)
        z = sample(cfg.batch_size, cfg.latent_dim, rng)[0].to(self.device)
        return real, self._labels(labels), z

    def _check_finite(self, network: str, loss: Tensor) -> None:
        value = loss.item()
        if not math.isfinite(value):
            self.stop()
            raise TrainingDiverged(f"Training diverged in a {network} step: its loss became {value}. "
                                   f"The run was stopped. Try lower learning rates or a more stable loss.")


def describe(kind: str, before: Probe, after: Probe, probabilities: bool = True) -> str:
    """The half step's effect in plain words, e.g. "D step: D(x) 0.610 → 0.680, D(G(z)) 0.420 → 0.350 —
    D got better at telling them apart"."""
    fmt = "{:.3f}" if probabilities else "{:.3g}"  # one update moves a probability by about 0.01

    def moved(name: str, a: float, b: float) -> str:
        return f"{name} {fmt.format(a)} → {fmt.format(b)}"

    fake = moved("D(G(z))", before.d_fake, after.d_fake)
    if kind == "d":
        verdict = ("D got better at telling them apart" if after.gap > before.gap else
                   "D did not get better at telling these apart (one update on a fresh batch can miss)")
        return f"D step: {moved('D(x)', before.d_real, after.d_real)}, {fake} — {verdict}"
    if kind == "g":
        verdict = ("G moved its samples towards what D calls real" if after.d_fake > before.d_fake else
                   "G's update did not make D call these samples more real")
        return f"G step: {fake} — {verdict}"
    raise ValueError(f"kind must be 'd' or 'g', not {kind!r}")
