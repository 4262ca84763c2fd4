"""TrainConfig: every knob of a GAN run, its presets, and validation in one place.

All other modules (models, losses, trainer, CLI, UI) read settings from a TrainConfig,
so a bad value is caught here once, with a message a student can act on.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from .losses import LOSSES
from .models import ARCHITECTURES, INITS
from .optim import OPTIMIZERS

MAX_BATCH_SIZE = 4096
PRECISIONS = ("fp32", "bf16", "auto")


class ConfigError(ValueError):
    """A setting is invalid. The message says which one, why, and what is allowed."""


@dataclass
class TrainConfig:
    # model
    architecture: str = "dcgan"
    loss: str = "non_saturating"
    latent_dim: int = 64
    conditional: bool = False
    init: str = "dcgan"
    dcgan_width: int = 32  # channels of the last hidden conv layer of G / first of D
    # A fully connected hidden layer of this width after z in G and before the logit in D (0 = none),
    # as in InfoGAN's MNIST networks: the extra depth lets an unconditional G split z among the digits.
    dcgan_fc: int = 0
    mlp_g_hidden: tuple[int, ...] = (256, 512, 1024)
    mlp_d_hidden: tuple[int, ...] = (512, 256)
    mlp_dropout: float = 0.3
    # D also sees how much the samples in each group of 4 differ (ProGAN's minibatch standard deviation).
    mlp_minibatch_std: bool = False
    # optimisation
    batch_size: int = 64
    g_optimizer: str = "adam"
    d_optimizer: str = "adam"
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.0  # SGD and RMSprop
    n_critic: int = 1  # D updates per G update
    lr_decay_every: int = 0  # StepLR period in G steps; 0 = off
    lr_decay_gamma: float = 0.5
    # loss options
    label_smoothing: float = 0.0  # one-sided: real target 1 - s (BCE losses only)
    gp_weight: float = 10.0  # wgan_gp
    clip_value: float = 0.01  # wgan weight clipping
    # Exponential moving average of G's weights, used for every sample the run shows or saves;
    # 0 turns it off. Averaging smooths out the oscillation of long GAN runs (Yazici et al., 2019).
    ema_decay: float = 0.0
    seed: int = 0
    # bf16 autocast of the forward passes: about 1.5x faster on CPUs with AVX512-BF16.
    # "auto" picks bf16 on such CPUs and fp32 elsewhere, GPUs included (measured: device.autocast_dtype).
    precision: str = "fp32"

    def __post_init__(self) -> None:
        # JSON and the UI give lists; anything else is left for validate() to reject by name.
        if isinstance(self.mlp_g_hidden, list):
            self.mlp_g_hidden = tuple(self.mlp_g_hidden)
        if isinstance(self.mlp_d_hidden, list):
            self.mlp_d_hidden = tuple(self.mlp_d_hidden)
        validate(self)

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["mlp_g_hidden"] = list(self.mlp_g_hidden)
        d["mlp_d_hidden"] = list(self.mlp_d_hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        return cls(**d)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    _check(value in choices, f"Unknown {name} {value!r}: choose one of {', '.join(choices)}.")


def _check_int(name: str, value: Any, lo: int, hi: int, why: str = "") -> None:
    _check(_is_int(value) and lo <= value <= hi,
           f"{name} must be a whole number from {lo} to {hi}{why}; got {value!r}.")


def _check_float(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False,
                 why: str = "") -> None:
    ok = _is_number(value) and (value > lo if lo_open else value >= lo) and value <= hi
    lower = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
    _check(ok, f"{name} must be a finite number {lower} and at most {hi:g}{why}; got {value!r}.")


def validate(cfg: TrainConfig) -> None:
    """Raise ConfigError naming the first invalid setting."""
    _check_choice("architecture", cfg.architecture, ARCHITECTURES)
    _check_choice("loss", cfg.loss, LOSSES)
    _check_choice("init", cfg.init, INITS)
    _check_choice("g_optimizer", cfg.g_optimizer, OPTIMIZERS)
    _check_choice("d_optimizer", cfg.d_optimizer, OPTIMIZERS)
    _check_int("latent_dim", cfg.latent_dim, 2, 512, " (the size of the noise vector z)")
    _check(isinstance(cfg.conditional, bool), f"conditional must be true or false; got {cfg.conditional!r}.")
    _check_int("dcgan_width", cfg.dcgan_width, 4, 512)
    _check_int("dcgan_fc", cfg.dcgan_fc, 0, 4096, " (0 = no fully connected hidden layer)")
    for name in ("mlp_g_hidden", "mlp_d_hidden"):
        widths = getattr(cfg, name)
        _check(isinstance(widths, tuple) and len(widths) >= 1 and all(_is_int(w) and 1 <= w <= 8192 for w in widths),
               f"{name} must be one or more layer widths from 1 to 8192, e.g. 256,512; got {widths!r}.")
    _check_float("mlp_dropout", cfg.mlp_dropout, 0.0, 0.9)
    _check(isinstance(cfg.mlp_minibatch_std, bool),
           f"mlp_minibatch_std must be true or false; got {cfg.mlp_minibatch_std!r}.")
    _check(not (cfg.mlp_minibatch_std and LOSSES[cfg.loss].gradient_penalty),
           f"mlp_minibatch_std mixes the samples of a batch, which breaks the per-sample gradient penalty "
           f"of {cfg.loss}; turn one of them off.")
    _check_int("batch_size", cfg.batch_size, 1, MAX_BATCH_SIZE)
    for name in ("g_lr", "d_lr"):
        _check_float(name, getattr(cfg, name), 0.0, 1.0, lo_open=True,
                     why=" (learning rates are usually between 1e-5 and 1e-2)")
    _check_float("beta1", cfg.beta1, 0.0, 0.999)
    _check_float("beta2", cfg.beta2, 0.0, 0.9999)
    _check_float("momentum", cfg.momentum, 0.0, 0.999)
    _check_int("n_critic", cfg.n_critic, 1, 100, " (discriminator steps per generator step)")
    _check_int("lr_decay_every", cfg.lr_decay_every, 0, 10**9, " (0 turns decay off)")
    _check_float("lr_decay_gamma", cfg.lr_decay_gamma, 0.0, 1.0, lo_open=True)
    _check_float("label_smoothing", cfg.label_smoothing, 0.0, 0.5,
                 why=" (real labels become 1 - smoothing)")
    _check_float("gp_weight", cfg.gp_weight, 0.0, 1000.0)
    _check_float("clip_value", cfg.clip_value, 0.0, 10.0, lo_open=True)
    _check_float("ema_decay", cfg.ema_decay, 0.0, 0.9999, why=" (0 turns averaging off; 0.999 is usual)")
    _check_int("seed", cfg.seed, 0, 2**63 - 1)
    _check_choice("precision", cfg.precision, PRECISIONS)


# Named presets. `fast` is the default: chosen by measurement (benchmarks/time_to_digits.py)
# to show readable digits soonest on a 2-core CPU. The classic presets reproduce the
# textbook settings so a lesson can show how slow those are by comparison.
PRESETS: dict[str, dict[str, Any]] = {
    # Conditional: each column of the sample grid is one digit, and per step it reaches readable,
    # evenly spread digits about twice as soon as the unconditional DCGAN (benchmarks/time_to_digits.py).
    # Batch 32 with the warmed-up weight average: readable at steps 950/850/900 (training seeds 0/1/2)
    # against 850/750/900 at batch 64 without it, each step at 0.52x the CPU time (AVX2, fp32, 1 thread,
    # benchmarks/step_cost.py), so digits come in about 0.55x the time on a CPU without native bf16.
    "fast": dict(architecture="dcgan", loss="non_saturating", latent_dim=64, dcgan_width=32, conditional=True,
                 batch_size=32, g_lr=1e-3, d_lr=1e-3, beta1=0.5, beta2=0.999, ema_decay=0.99, precision="auto"),
    # Unconditional, with the fully connected layer: 80% of samples confidently read at 60 s against
    # 58% without it; the shipped `dcgan` checkpoint (this layer, batch 256) scores FID 2.0 where the
    # plain DCGAN's scored 14 (README).
    "dcgan": dict(architecture="dcgan", loss="non_saturating", latent_dim=64, dcgan_width=32, dcgan_fc=128,
                  batch_size=64, g_lr=1e-3, d_lr=1e-3, beta1=0.5, beta2=0.999),
    "conditional": dict(architecture="dcgan", loss="non_saturating", latent_dim=64,
                        dcgan_width=32, conditional=True, batch_size=64, g_lr=1e-3, d_lr=1e-3),
    "mlp-classic": dict(architecture="mlp", loss="non_saturating", latent_dim=100, init="default",
                        batch_size=64, g_lr=2e-4, d_lr=2e-4, beta1=0.5, beta2=0.999),
    "dcgan-classic": dict(architecture="dcgan", loss="non_saturating", latent_dim=100,
                          dcgan_width=64, batch_size=128, g_lr=2e-4, d_lr=2e-4, beta1=0.5),
    "wgan-gp": dict(architecture="dcgan", loss="wgan_gp", latent_dim=64, dcgan_width=32,
                    batch_size=64, g_lr=2e-4, d_lr=2e-4, beta1=0.0, beta2=0.9, n_critic=5),
}
DEFAULT_PRESET = "fast"


def preset(name: str, **overrides: Any) -> TrainConfig:
    """The named preset, with any fields overridden."""
    if name not in PRESETS:
        raise ConfigError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return TrainConfig(**{**PRESETS[name], **overrides})
