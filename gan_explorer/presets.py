"""Presets: named starting settings, each a complete TrainConfig. `fast` is tuned to show digits
soonest on a CPU; the others are the textbook recipes and the lessons' runs (lessons.py), each kept
honest to what it teaches. `gan-explorer train --preset NAME` and the Train tab's picker read this."""
from __future__ import annotations

from typing import Any

from .config import ConfigError, TrainConfig
from .datasets import DATASETS, IMAGES

_FAST: dict[str, Any] = dict(architecture="dcgan", loss="non_saturating", latent_dim=64, dcgan_width=32,
                             conditional=True, batch_size=32, g_lr=2e-3, d_lr=2e-3, beta1=0.5, beta2=0.999,
                             ema_decay=0.99, precision="auto")
# The lessons' runs keep the learning rates their effects were measured with (benchmarks/lessons.py),
# so tuning `fast` for speed does not move them.
_LESSON_BASE: dict[str, Any] = dict(_FAST, g_lr=1e-3, d_lr=1e-3)
_DCGAN: dict[str, Any] = dict(architecture="dcgan", loss="non_saturating", latent_dim=64, dcgan_width=32,
                              dcgan_fc=128, batch_size=64, g_lr=1e-3, d_lr=1e-3, beta1=0.5, beta2=0.999)
# The 2-D lab's networks: a 2-number z, two hidden layers of 128 in G and D, a batch of 256 points (GAN
# Lab's default is one layer of 8 and 150 points). The lessons were measured on these; smaller ones step
# faster but change what the mode-collapse lesson's diagnosis says (docs/lab2d.md).
_PLANE: dict[str, Any] = dict(dataset="ring", architecture="mlp2d", latent_dim=2, mlp_g_hidden=(128, 128),
                              mlp_d_hidden=(128, 128), mlp_dropout=0.0, init="default", batch_size=256,
                              loss="non_saturating", g_lr=1e-3, d_lr=1e-3, beta1=0.5, beta2=0.9, gp_weight=0.1)
PRESETS: dict[str, dict[str, Any]] = {
    # Conditional: each column of the sample grid is one digit, and per step it reaches readable,
    # evenly spread digits about twice as soon as the unconditional DCGAN (benchmarks/time_to_digits.py).
    # Batch 32 with the warmed-up weight average: readable at steps 950/850/900 (training seeds 0/1/2)
    # against 850/750/900 at batch 64 without it, each step at 0.52x the CPU time (AVX2, fp32, 1 thread,
    # benchmarks/step_cost.py), so digits come in about 0.55x the time on a CPU without native bf16.
    # Learning rates 2e-3 instead of 1e-3 (the average smooths the larger steps): 700/750/700.
    "fast": _FAST,
    # Unconditional, with the fully connected layer: 80% of samples confidently read at 60 s against
    # 58% without it; the shipped `dcgan` checkpoint (this layer, batch 256) scores FID 2.0 where the
    # plain DCGAN's scored 14 (docs/training-notes.md).
    "dcgan": _DCGAN,
    "conditional": dict(architecture="dcgan", loss="non_saturating", latent_dim=64,
                        dcgan_width=32, conditional=True, batch_size=64, g_lr=1e-3, d_lr=1e-3),
    "mlp-classic": dict(architecture="mlp", loss="non_saturating", latent_dim=100, init="default",
                        batch_size=64, g_lr=2e-4, d_lr=2e-4, beta1=0.5, beta2=0.999),
    "dcgan-classic": dict(architecture="dcgan", loss="non_saturating", latent_dim=100,
                          dcgan_width=64, batch_size=128, g_lr=2e-4, d_lr=2e-4, beta1=0.5),
    "wgan-gp": dict(architecture="dcgan", loss="wgan_gp", latent_dim=64, dcgan_width=32,
                    batch_size=64, g_lr=2e-4, d_lr=2e-4, beta1=0.0, beta2=0.9, n_critic=5),
    # The runs of lessons.py's lessons: each is `fast` at the lessons' learning rates (or another preset
    # above) with what the lesson is about changed, so a pair differs in that alone. The effects and the
    # steps they take are measured by benchmarks/lessons.py.
    "minimax-strong-d": dict(_LESSON_BASE, loss="minimax", d_lr=5e-3),
    "non-saturating-strong-d": dict(_LESSON_BASE, d_lr=5e-3),
    "wgan-gp-strong-d": dict(_LESSON_BASE, loss="wgan_gp", d_lr=5e-3),
    "slow-g": dict(_LESSON_BASE, g_lr=1e-4),  # D learns ten times as fast as G
    "collapse-prone": dict(_DCGAN, beta1=0.9, g_lr=2e-3),  # G overshoots: one image for every z
    # The 2-D lab (lessons mode-collapse-2d and gradients-2d). Balanced, G's points reach all 8 modes of
    # the ring; with D five times slower than G they pile onto one mode and hop from mode to mode.
    "ring": _PLANE,
    "ring-slow-d": dict(_PLANE, d_lr=2e-4),
    # WGAN-GP's recipe: the critic trained 5 times per G step, with the toy problems' small penalty
    # weight of 0.1 (Gulrajani et al.'s gan_toy.py), covers all 8 from about step 300.
    "ring-wgan-gp": dict(_PLANE, loss="wgan_gp", n_critic=5),
    "grid": dict(_PLANE, dataset="grid", mlp_g_hidden=(256, 256), mlp_d_hidden=(256, 256)),
    "moons": dict(_PLANE, dataset="moons"),
    "curve": dict(_PLANE, dataset="curve", latent_dim=1),
}
DEFAULT_PRESET = "fast"


def presets_of(kind: str = IMAGES) -> list[str]:
    """The presets whose dataset holds `kind` of samples (datasets.IMAGES or POINTS): what a view that
    draws that kind can train (images: the Train tab and `gan-explorer train`; points: the 2-D lab)."""
    return [name for name in PRESETS if DATASETS[preset(name).dataset].kind == kind]


def preset(name: str, **overrides: Any) -> TrainConfig:
    """The named preset, with any fields overridden."""
    if name not in PRESETS:
        raise ConfigError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return TrainConfig(**{**PRESETS[name], **overrides})
