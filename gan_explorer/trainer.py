"""Trainer: one GAN run. It builds the run's parts, runs the step (algorithm.py) under run control
(run_control.py), takes live changes of settings (`apply`), and hands out what the run made.

Everything random in a run draws from generators the run owns, seeded from its config: the
weights and dropout, the order of the data, z and the penalty inputs, the fixed noise. Runs
built or trained side by side (a class on one server) do not change each other's numbers.
"""
from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from .algorithm import GANAlgorithm
from .checkpoints import Checkpoint
from .config import LIVE_SETTINGS, ConfigError, TrainConfig
from .cuda_graph import StepExecutor
from .data import MNISTTensors
from .datasets import DATASETS
from .device import autocast_dtype, compiled, memory_format, resolve_device
from .latent import fixed_noise
from .losses import build_loss
from .models import Generator, build_models, draw_dropout_from, scores_each_sample_alone
from .optim import build_optimizer, build_scheduler, ema_decay_at, ema_update_, set_learning_rate
from .run_control import Launched, RunControl, StepMetrics, TrainingDiverged, live_runs
from .slow_motion import Probe, SlowMotion

__all__ = ["GRID_SIDE", "LIVE_SETTINGS", "Applied", "Probe", "StepMetrics", "Trainer", "TrainingDiverged", "live_runs"]

GRID_SIDE = 10  # the fixed-noise grid is 10 x 10; for a conditional model column j shows digit j


@dataclass(frozen=True)
class Applied:
    """What Trainer.apply did with a set of settings."""
    changed: dict[str, Any]  # live settings now in force from the next step, by name
    needs_new_run: tuple[str, ...]  # settings that differ but need new networks; nothing was applied then


class Trainer(RunControl, SlowMotion, GANAlgorithm):
    """One run: full steps (step, run), half steps and their probe (d_step, g_step, probe: slow_motion.py)."""

    def __init__(self, config: TrainConfig, device: str | torch.device = "auto",
                 data: MNISTTensors | None = None, data_root: str | None = None,
                 cuda_graph: bool | None = None, compile_models: bool = False) -> None:
        """cuda_graph: replay each step as a CUDA graph; default on where the device is a GPU.
        compile_models: run G and D through torch.compile (fused kernels; costs a compile at the start)."""
        self.config = config
        self.run_id = uuid.uuid4().hex  # tells a view a new run from frames of an earlier one
        self.device = resolve_device(device)
        cuda_graph = self.device.type == "cuda" if cuda_graph is None else cuda_graph
        if cuda_graph and self.device.type != "cuda":
            raise ConfigError("CUDA graphs need a GPU; this run is on the CPU.")
        if self.device.type == "cuda":
            # Process-wide, but safe to share: it only lets cuDNN time its algorithms once per shape and
            # keep the fastest, which every run on this GPU wants; no result depends on it being set here.
            torch.backends.cudnn.benchmark = True
        self.loss = build_loss(config)
        if compile_models and self.loss.penalises_d_gradient:
            raise ConfigError(f"torch.compile cannot differentiate twice, which {config.loss}'s gradient "
                              f"penalty needs: train it without compile.")
        dropout_rng = self._build_networks(compile_models)
        self.g_optimizer = build_optimizer(config.g_optimizer, self.generator, config.g_lr, config, cuda_graph)
        self.d_optimizer = build_optimizer(config.d_optimizer, self.discriminator, config.d_lr, config, cuda_graph)
        self._executor = StepExecutor(self._update, self._free_grads, self._learning_rates, cuda_graph,
                                      generators=[dropout_rng] if self.device.type == "cuda" else [])
        self.schedulers = [s for s in (build_scheduler(self.g_optimizer, config),
                                       build_scheduler(self.d_optimizer, config)) if s is not None]
        # The dataset's sampler: MNIST (`data` when preloaded, else read from data_root) or points drawn on the device.
        self.sampler = DATASETS[config.dataset].sampler(config, self.device, data, data_root)
        self.rng = torch.Generator(self.device).manual_seed(config.seed + 1)
        self.fixed_z, self.fixed_labels = self._fixed_noise()
        self._init_control()

    def _build_networks(self, compile_models: bool) -> torch.Generator:
        """G, D (and G's weight average) on the device; returns the generator D's dropout draws from."""
        config = self.config
        # The weights, then (on a CPU) dropout, draw from one generator seeded with the seed: the
        # numbers torch.manual_seed(seed) gave when runs still seeded the global generator.
        init_rng = torch.Generator().manual_seed(config.seed)
        generator, discriminator = build_models(config, init_rng)
        dropout_rng = init_rng if self.device.type == "cpu" else torch.Generator(self.device).manual_seed(config.seed)
        draw_dropout_from(discriminator, dropout_rng)
        self.autocast_dtype = autocast_dtype(config.precision, self.device)
        layout = memory_format(self.device, self.autocast_dtype)
        self.generator = generator.to(self.device, memory_format=layout)
        self.discriminator = discriminator.to(self.device, memory_format=layout)
        self.generator_ema = (copy.deepcopy(self.generator).requires_grad_(False)
                              if config.ema_decay > 0 else None)
        # The step calls these; checkpoints, snapshots and weight averaging use the plain modules.
        self._G, self._D = compiled(self.generator, compile_models), compiled(self.discriminator, compile_models)
        self.g_parameters, self.d_parameters = list(self.generator.parameters()), list(self.discriminator.parameters())
        self.d_scores_in_one_pass = scores_each_sample_alone(self.discriminator)
        return dropout_rng

    def _fixed_noise(self) -> tuple[Tensor, Tensor | None]:
        """The same z for the whole run, so the grid shows the generator changing, not the noise."""
        return fixed_noise(self.config, GRID_SIDE * GRID_SIDE, self.device)

    def _launch(self) -> Launched:
        """Queue one step's work on the device; its metrics are read by _finish()."""
        self._check_not_stopped()
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
            return Launched(self.step_count, self.sampler.epoch, start, values, done, *self._learning_rates())

    # ------------------------------------------------------------------ live settings
    def apply(self, settings: TrainConfig) -> Applied:
        """Take `settings` for this run where only live settings (learning rates, n_critic, loss
        weights) differ: they apply from the next step. Where other settings differ, this run cannot
        take them (they need new networks): nothing is applied and `needs_new_run` names them."""
        differ = [f for f in settings.to_dict() if getattr(settings, f) != getattr(self.config, f)]
        not_live = tuple(sorted(set(differ) - LIVE_SETTINGS))
        if not_live:
            return Applied({}, not_live)
        changed = {name: getattr(settings, name) for name in sorted(differ)}
        if changed:
            self.update(**changed)
        return Applied(changed, ())

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
        if self.on_update is not None:
            self.on_update(changes)
        return new

    # ------------------------------------------------------------------ what the run made
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
        """G's samples for the fixed noise, (100, *sample shape) (images in [-1, 1]), on the CPU."""
        with self._lock:
            generator = self.sampling_generator
            was_training = generator.training
            generator.eval()
            images = generator(self.fixed_z, self.fixed_labels)
            generator.train(was_training)
        return images.float().cpu()
