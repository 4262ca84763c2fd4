"""Trainer: one GAN run. `step()` is the algorithm; the rest lets a UI watch and steer it.

Thread model: one thread calls `step()` (or iterates `run()`); any other thread may call
`pause()`, `resume()`, `stop()`, `update()`, `snapshot()` and `sample_grid()`. A lock makes
those see the networks between steps, never half-way through an optimiser update.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from .checkpoints import Checkpoint
from .config import ConfigError, TrainConfig
from .data import BatchSampler, MNISTTensors, load_mnist
from .device import StepExecutor, autocast_dtype, compiled, memory_format, resolve_device
from .latent import fixed_noise
from .losses import build_loss, clip_weights_, gradient_penalty
from .models import Generator, build_models
from .optim import build_optimizer, build_scheduler, ema_decay_at, ema_update_, grad_norm, set_learning_rate

GRID_SIDE = 10  # the fixed-noise grid is 10 x 10; for a conditional model column j shows digit j

# Settings that can change between steps without rebuilding the networks.
LIVE_SETTINGS = frozenset({"g_lr", "d_lr", "n_critic", "gp_weight", "clip_value", "label_smoothing"})


class TrainingDiverged(RuntimeError):
    """The losses became NaN or infinite; the run was stopped."""


@dataclass(frozen=True)
class StepMetrics:
    step: int  # generator updates so far
    epoch: float  # real images seen / training set size
    d_loss: float
    g_loss: float
    d_real: float  # mean D(x): a probability for the BCE losses, the critic value otherwise
    d_fake: float  # mean D(G(z)) in the last D update
    g_grad_norm: float
    d_grad_norm: float
    images_per_sec: float  # real images through D per second in this step
    wall_time: float  # seconds spent training so far (pauses excluded)
    g_lr: float
    d_lr: float

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class _Launched:
    """A step queued on the device whose metrics have not been read yet."""
    step: int
    epoch: float
    start: float
    values: Tensor
    done: torch.cuda.Event | None
    g_lr: float
    d_lr: float


class Trainer:
    def __init__(self, config: TrainConfig, device: str | torch.device = "auto",
                 data: MNISTTensors | None = None, data_root: str | None = None,
                 cuda_graph: bool | None = None, compile_models: bool = False) -> None:
        """cuda_graph: replay each step as a CUDA graph; default on where the device is a GPU.
        compile_models: run G and D through torch.compile (fused kernels; costs a compile at the start)."""
        self.config = config
        self.device = resolve_device(device)
        cuda_graph = self.device.type == "cuda" if cuda_graph is None else cuda_graph
        if cuda_graph and self.device.type != "cuda":
            raise ConfigError("CUDA graphs need a GPU; this run is on the CPU.")
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # time cuDNN's algorithms once per shape, keep the fastest
        torch.manual_seed(config.seed)  # weights init and dropout
        generator, discriminator = build_models(config)
        self.autocast_dtype = autocast_dtype(config.precision, self.device)
        layout = memory_format(self.device, self.autocast_dtype)
        self.generator = generator.to(self.device, memory_format=layout)
        self.discriminator = discriminator.to(self.device, memory_format=layout)
        self.generator_ema = (copy.deepcopy(self.generator).requires_grad_(False)
                              if config.ema_decay > 0 else None)
        self.loss = build_loss(config)
        if compile_models and self.loss.gradient_penalty:
            raise ConfigError(f"torch.compile cannot differentiate twice, which {config.loss}'s gradient "
                              f"penalty needs: train it without compile.")
        # The step calls these; checkpoints, snapshots and weight averaging use the plain modules.
        self._G, self._D = compiled(self.generator, compile_models), compiled(self.discriminator, compile_models)
        self.g_optimizer = build_optimizer(config.g_optimizer, self.generator, config.g_lr, config, cuda_graph)
        self.d_optimizer = build_optimizer(config.d_optimizer, self.discriminator, config.d_lr, config, cuda_graph)
        self._executor = StepExecutor(self._update, self._free_grads, self._learning_rates, cuda_graph)
        self.schedulers = [s for s in (build_scheduler(self.g_optimizer, config),
                                       build_scheduler(self.d_optimizer, config)) if s is not None]
        data = data if data is not None else load_mnist(data_root)
        self.sampler = BatchSampler(data.to(self.device), torch.Generator().manual_seed(config.seed))
        self.rng = torch.Generator(self.device).manual_seed(config.seed + 1)
        self.fixed_z, self.fixed_labels = self._fixed_noise()
        self.step_count = 0
        self.train_seconds = 0.0
        self._last_finish = 0.0
        self.history: list[StepMetrics] = []
        self._lock = threading.Lock()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._stopped = threading.Event()

    def _fixed_noise(self) -> tuple[Tensor, Tensor | None]:
        """The same z for the whole run, so the grid shows the generator changing, not the noise."""
        return fixed_noise(self.config, GRID_SIDE * GRID_SIDE, self.device)

    def _labels(self, real_labels: Tensor) -> Tensor | None:
        return real_labels if self.config.conditional else None

    # ------------------------------------------------------------------ the algorithm
    def _update(self, real: Tensor, real_labels: Tensor, z: Tensor, alpha: Tensor | None = None) -> Tensor:
        """n_critic D updates then one G update, on (n_critic, batch, ...) stacks of inputs.

        Pure tensor work on inputs drawn outside (images, labels, z, the gradient penalty's
        mixing weights), with no device sync, so on a GPU it can be recorded as one CUDA graph.
        Returns [d_loss, g_loss, D(x), D(G(z)), |grad G|, |grad D|] as one tensor.
        """
        cfg, G, D, loss = self.config, self._G, self._D, self.loss
        # cache_enabled=False: autocast's weight-cast cache must not outlive a graph capture.
        autocast = torch.autocast(self.device.type, torch.bfloat16, enabled=self.autocast_dtype is not None,
                                  cache_enabled=False)

        # 1. Discriminator: tell real images from generated ones.
        for i in range(cfg.n_critic):
            labels = self._labels(real_labels[i])
            # The last D update's fakes are kept with their graph and reused for G's update,
            # as in the PyTorch DCGAN tutorial: one generator forward pass per step.
            last = i == cfg.n_critic - 1
            with autocast, torch.set_grad_enabled(last):
                fake = G(z[i], labels)
            with autocast:
                real_logits, fake_logits = D(real[i], labels), D(fake.detach(), labels)
                d_loss = loss.discriminator_loss(real_logits.float(), fake_logits.float())
                if loss.gradient_penalty:
                    d_loss = d_loss + cfg.gp_weight * gradient_penalty(D, real[i], fake.detach(), labels, alpha[i])
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            d_grad_norm = grad_norm(D)
            self.d_optimizer.step()
            if loss.clip_weights:
                clip_weights_(D, cfg.clip_value)

        # 2. Generator: make the updated D call the same fakes real. D's weights are frozen
        # meanwhile so backward computes no weight gradients G's update would throw away.
        self.discriminator.requires_grad_(False)
        try:
            with autocast:
                g_loss = loss.generator_loss(D(fake, labels).float())
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
        finally:
            self.discriminator.requires_grad_(True)
        g_grad_norm = grad_norm(G)
        self.g_optimizer.step()
        return torch.stack([d_loss.detach(), g_loss.detach(),
                            loss.score(real_logits.detach()).mean(), loss.score(fake_logits.detach()).mean(),
                            g_grad_norm, d_grad_norm])

    def _draw_inputs(self) -> tuple[Tensor, ...]:
        cfg = self.config
        batches = [self.sampler.sample(cfg.batch_size) for _ in range(cfg.n_critic)]
        real = torch.stack([images for images, _ in batches])
        real_labels = torch.stack([labels for _, labels in batches])
        z = torch.randn(cfg.n_critic, cfg.batch_size, cfg.latent_dim, generator=self.rng, device=self.device)
        if not self.loss.gradient_penalty:
            return real, real_labels, z
        return real, real_labels, z, torch.rand(cfg.n_critic, cfg.batch_size, generator=self.rng, device=self.device)

    def _free_grads(self) -> None:
        self.g_optimizer.zero_grad(set_to_none=True)
        self.d_optimizer.zero_grad(set_to_none=True)

    def _learning_rates(self) -> tuple[float, float]:
        return self.g_optimizer.param_groups[0]["lr"], self.d_optimizer.param_groups[0]["lr"]

    def step(self) -> StepMetrics:
        """One generator update preceded by n_critic discriminator updates."""
        return self._finish(self._launch())

    def _launch(self) -> _Launched:
        """Queue one step's work on the device; its metrics are read by _finish()."""
        if self._stopped.is_set():
            raise RuntimeError("This run was stopped; create a new Trainer (Reset) to train again.")
        with self._lock:
            start = time.perf_counter()
            values = self._executor(*self._draw_inputs())
            if self.generator_ema is not None:  # outside the recorded step: the decay changes each step
                ema_update_(self.generator_ema, self.generator, ema_decay_at(self.config.ema_decay, self.step_count))
            done = None
            if values.is_cuda:  # copy out now (the next replay overwrites the graph's output), read later
                values = values.to("cpu", non_blocking=True)
                done = torch.cuda.Event()
                done.record()
            for scheduler in self.schedulers:
                scheduler.step()
            self.step_count += 1
            return _Launched(self.step_count, self.sampler.epoch, start, values, done, *self._learning_rates())

    def _finish(self, launched: _Launched) -> StepMetrics:
        """Wait for a launched step and record its metrics (the step's one device sync)."""
        if launched.done is not None:
            launched.done.synchronize()
        cfg = self.config
        with self._lock:
            now = time.perf_counter()
            # Time since the later of this step's launch and the previous step's end: the step's
            # own cost both when steps run one at a time and when run() overlaps them.
            elapsed = now - max(launched.start, self._last_finish)
            self._last_finish = now
            self.train_seconds += elapsed
            metrics = StepMetrics(
                launched.step, launched.epoch, *launched.values.tolist(),
                images_per_sec=cfg.batch_size * cfg.n_critic / max(elapsed, 1e-9),
                wall_time=self.train_seconds, g_lr=launched.g_lr, d_lr=launched.d_lr)
            self.history.append(metrics)
        if not (math.isfinite(metrics.d_loss) and math.isfinite(metrics.g_loss)):
            self._stopped.set()
            raise TrainingDiverged(
                f"Training diverged at step {metrics.step}: the losses became "
                f"D={metrics.d_loss}, G={metrics.g_loss}. The run was stopped. Try lower learning "
                f"rates (now G {cfg.g_lr:g}, D {cfg.d_lr:g}) or a more stable loss such as wgan_gp.")
        return metrics

    def run(self, max_steps: int | None = None, max_seconds: float | None = None,
            max_epochs: float | None = None) -> Iterator[StepMetrics]:
        """Train until stopped or the first limit is reached, yielding each step's metrics.

        While paused this blocks between steps; `stop()` from any thread ends it.
        Limits count from this call, so a second run() trains further. On a GPU the next step is
        queued before the last one's metrics are read, so the GPU never waits for Python.
        """
        start_step, start_seconds, start_epoch = self.step_count, self.train_seconds, self.sampler.epoch
        overlap = self.device.type == "cuda"
        pending: _Launched | None = None
        while not self._stopped.is_set():
            if max_steps is not None and self.step_count - start_step >= max_steps:
                break
            if max_seconds is not None and self.train_seconds - start_seconds >= max_seconds:
                break
            if max_epochs is not None and self.sampler.epoch - start_epoch >= max_epochs:
                break
            if pending is not None and self.paused:  # show the last step before waiting
                yield self._finish(pending)
                pending = None
            self._unpaused.wait()
            if self._stopped.is_set():
                break
            previous, pending = pending, self._launch()
            if previous is not None:
                yield self._finish(previous)
            if not overlap:
                yield self._finish(pending)
                pending = None
        if pending is not None:
            yield self._finish(pending)

    # ------------------------------------------------------------------ control from other threads
    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    def stop(self) -> None:
        self._stopped.set()
        self._unpaused.set()  # wake a paused run() so it can return

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def update(self, **changes: Any) -> TrainConfig:
        """Change live settings (learning rates, n_critic, loss weights); they apply from the next step."""
        not_live = set(changes) - LIVE_SETTINGS
        if not_live:
            raise ConfigError(f"{', '.join(sorted(not_live))} cannot change during a run; "
                              f"reset the run to change it. Live settings: {', '.join(sorted(LIVE_SETTINGS))}.")
        new = self.config.replace(**changes)
        with self._lock:
            self.config = new
            self.loss = build_loss(new)
            self._executor.discard()  # a recording holds the old settings
            set_learning_rate(self.g_optimizer, new.g_lr)
            set_learning_rate(self.d_optimizer, new.d_lr)
            for scheduler in self.schedulers:  # restart decay from the new rate
                scheduler.base_lrs = [group["lr"] for group in scheduler.optimizer.param_groups]
        return new

    @property
    def sampling_generator(self) -> Generator:
        """What the run shows and saves: the weight average of G when ema_decay is on, else G."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def snapshot(self) -> Generator:
        """A copy of the sampling generator in eval mode, safe to use while training goes on."""
        with self._lock:
            return copy.deepcopy(self.sampling_generator).eval()

    def to_checkpoint(self, info: dict[str, Any] | None = None) -> Checkpoint:
        """Everything worth keeping of the run so far, copied between steps (CPU tensors)."""
        with self._lock:
            return Checkpoint(self.config, copy.deepcopy(self.sampling_generator).cpu().eval(),
                              copy.deepcopy(self.discriminator).cpu().eval(), self.step_count,
                              self.train_seconds, [m.to_dict() for m in self.history], dict(info or {}))

    @torch.no_grad()
    def sample_fixed(self) -> Tensor:
        """G's images for the fixed noise, (100, 1, 28, 28) in [-1, 1], on the CPU."""
        with self._lock:
            generator = self.sampling_generator
            was_training = generator.training
            generator.eval()
            images = generator(self.fixed_z, self.fixed_labels)
            generator.train(was_training)
        return images.float().cpu()
