"""TrainConfig: every knob of a GAN run, its presets, and validation in one place.

All other modules (models, losses, trainer, CLI, UI) read settings from a TrainConfig,
so a bad value is caught here once, with a message a student can act on.
"""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import torch

from .checks import Checks, ConfigError, is_number
from .datasets import DATASETS, MAX_OWN_POINTS
from .inits import INITS
from .losses import LOSSES
from .models import ARCHITECTURE_KINDS, ARCHITECTURES
from .optim import OPTIMIZERS
from .parsing import InputError, is_whole, number_list, shown

MAX_BATCH_SIZE = 4096
PRECISIONS = ("fp32", "bf16", "auto")
# Caps on a model's size, so that a settings form or a checkpoint header cannot make the server build
# gigabytes of networks. The biggest shipped or preset network (mlp-classic's G) has 1.5 M parameters;
# 10 M per network (40 MB of fp32 weights, ~160 MB with gradients and Adam's moments) leaves room to
# experiment and still lets a shared server hold a class's runs.
MAX_NETWORK_PARAMETERS = 10_000_000
MAX_HIDDEN_LAYERS = 8  # per MLP network; the presets use 2 and 3
MAX_WIDTH = 8192


def _field(default: Any, label: str, live: bool = False, form: bool = True) -> Any:
    """A TrainConfig field with the label the app shows for it (the UI, error messages); a live
    field may change between the steps of a run (Trainer.apply), the others need new networks.
    form=False: the Train tab's settings form has no control for it (the data, which the tab that
    draws that kind of sample chooses: the Train tab draws MNIST, the 2-D lab points)."""
    return field(default=default, metadata={"label": label, "live": live, "form": form})


@dataclass
class TrainConfig:
    # data: what one sample is (datasets.py); the architecture must draw that kind of sample
    dataset: str = _field("mnist", "Dataset", form=False)
    # for the "points" dataset: x0, y0, x1, y1, ... (a small Gaussian around each point)
    points: tuple[float, ...] = _field((), "Your own points (x, y, x, y, ...)", form=False)
    # model
    architecture: str = _field("dcgan", "Architecture")
    loss: str = _field("non_saturating", "Loss")
    latent_dim: int = _field(64, "Latent size (dim of z)")
    conditional: bool = _field(False, "Conditional (G and D see the digit label)")
    init: str = _field("dcgan", "Weight init")
    # channels of the last hidden conv layer of G / first of D
    dcgan_width: int = _field(32, "DCGAN width (channels)")
    # A fully connected hidden layer of this width after z in G and before the logit in D (0 = none),
    # as in InfoGAN's MNIST networks: the extra depth lets an unconditional G split z among the digits.
    dcgan_fc: int = _field(0, "DCGAN fully connected layer (0 = none)")
    mlp_g_hidden: tuple[int, ...] = _field((256, 512, 1024), "MLP G hidden widths")
    mlp_d_hidden: tuple[int, ...] = _field((512, 256), "MLP D hidden widths")
    mlp_dropout: float = _field(0.3, "MLP D dropout")
    # D also sees how much the samples in each group of 4 differ (ProGAN's minibatch standard deviation).
    mlp_minibatch_std: bool = _field(False, "MLP D minibatch std")
    # optimisation
    batch_size: int = _field(64, "Batch size")
    g_optimizer: str = _field("adam", "G optimiser")
    d_optimizer: str = _field("adam", "D optimiser")
    g_lr: float = _field(2e-4, "G learning rate", live=True)
    d_lr: float = _field(2e-4, "D learning rate", live=True)
    beta1: float = _field(0.5, "Adam beta1")
    beta2: float = _field(0.999, "Adam beta2")
    momentum: float = _field(0.0, "Momentum (SGD, RMSprop)")
    n_critic: int = _field(1, "n_critic (D steps per G step)", live=True)
    lr_decay_every: int = _field(0, "LR decay every (G steps, 0 = off)")  # StepLR period
    lr_decay_gamma: float = _field(0.5, "LR decay factor")
    # loss options
    # one-sided: the real target is 1 - s (BCE losses only)
    label_smoothing: float = _field(0.0, "One-sided label smoothing (BCE losses)", live=True)
    gp_weight: float = _field(10.0, "Gradient-penalty weight (wgan_gp)", live=True)
    clip_value: float = _field(0.01, "Weight clip value (wgan)", live=True)
    # gamma of the R1 penalty gamma/2 * ||grad D(x)||^2 on real images (StyleGAN used 10 on faces)
    r1_gamma: float = _field(1.0, "R1 penalty weight gamma (non_saturating_r1)", live=True)
    # Exponential moving average of G's weights, used for every sample the run shows or saves;
    # 0 turns it off. Averaging smooths out the oscillation of long GAN runs (Yazici et al., 2019).
    ema_decay: float = _field(0.0, "G weight averaging (EMA decay, 0 = off)")
    seed: int = _field(0, "Seed")
    # bf16 autocast of the forward passes: faster on CPUs with native bf16, far slower elsewhere.
    # "auto" picks bf16 on such CPUs and fp32 elsewhere, GPUs included (measured: device.autocast_dtype).
    precision: str = _field("fp32", "Precision")

    def __post_init__(self) -> None:
        # JSON and the UI give lists; anything else is left for validate() to reject by name.
        for name in TUPLE_FIELDS:
            if isinstance(getattr(self, name), list):
                setattr(self, name, tuple(getattr(self, name)))
        validate(self)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One sample's shape, as the dataset gives it: what G draws and D reads."""
        return DATASETS[self.dataset].shape

    @property
    def d_batch_norm(self) -> bool:
        """Whether D may use BatchNorm, which couples the samples of a batch: not with a loss whose
        gradient penalty is per sample."""
        return not LOSSES[self.loss].penalises_d_gradient

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed."""
        _check_known(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for name in TUPLE_FIELDS:
            d[name] = list(getattr(self, name))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """A validated config from values as a form, a JSON client or a saved header gives them
        (see coerce); fields not given take their defaults."""
        _check_known(d)
        return cls(**coerce(d))


LABELS: dict[str, str] = {f.name: f.metadata["label"] for f in fields(TrainConfig)}
FIELD_TYPES: dict[str, Any] = typing.get_type_hints(TrainConfig)
LIVE_SETTINGS = frozenset(f.name for f in fields(TrainConfig) if f.metadata["live"])
FORM_FIELDS = tuple(f.name for f in fields(TrainConfig) if f.metadata["form"])
TUPLE_FIELDS = tuple(name for name, kind in FIELD_TYPES.items() if typing.get_origin(kind) is tuple)
_check = Checks(LABELS)


def _check_known(names: Iterable[str]) -> None:
    unknown = set(names) - set(LABELS)
    if unknown:
        raise ConfigError(f"Unknown setting(s): {', '.join(sorted(map(str, unknown)))}.")


def coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    """Each value turned into its field's type where nothing is lost, the one place this happens.

    A browser sends a number box's 0.0 as the JSON integer 0 (and torch's Adam refuses betas of
    mixed int and float), sliders send 5.0 for 5, and the widths box sends "256, 512". So ints
    become floats for float fields, whole floats ints for int fields, width text a tuple of ints.
    Booleans stay booleans, and anything else is left as it is, for validate() to refuse by name.
    """
    return {name: _coerce(FIELD_TYPES.get(name), value) for name, value in values.items()}


def _coerce(kind: Any, value: Any) -> Any:
    if kind is float and is_whole(value):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        if isinstance(value, str):
            value = _parse_list(value, item)
        if isinstance(value, (list, tuple)):
            return tuple(_coerce(item, v) for v in value)
    return value


def _parse_list(text: str, item: type) -> Any:
    """ "256, 512" (or "[256, 512]") -> (256, 512) for a list of whole numbers, "0.5, -1" -> (0.5, -1.0)
    for a list of floats; text that is not such numbers is returned as it is."""
    try:
        return number_list("list", text, item)
    except InputError:
        return text


def validate(cfg: TrainConfig) -> None:
    """Raise ConfigError naming the first invalid setting."""
    for name, choices in (("dataset", DATASETS), ("architecture", ARCHITECTURES), ("loss", LOSSES), ("init", INITS),
                          ("g_optimizer", OPTIMIZERS), ("d_optimizer", OPTIMIZERS), ("precision", PRECISIONS)):
        _check.choice(name, getattr(cfg, name), choices)
    for name in ("conditional", "mlp_minibatch_std"):
        _check.boolean(name, getattr(cfg, name))
    _check_data(cfg)
    _check.whole("latent_dim", cfg.latent_dim, 1, 512, " (the size of the noise vector z)")
    _check.whole("dcgan_width", cfg.dcgan_width, 4, 512)
    _check.whole("dcgan_fc", cfg.dcgan_fc, 0, 4096)
    _check.widths("mlp_g_hidden", cfg.mlp_g_hidden, MAX_HIDDEN_LAYERS, MAX_WIDTH)
    _check.widths("mlp_d_hidden", cfg.mlp_d_hidden, MAX_HIDDEN_LAYERS, MAX_WIDTH)
    _check.number("mlp_dropout", cfg.mlp_dropout, 0.0, 0.9)
    _check(not (cfg.mlp_minibatch_std and not cfg.d_batch_norm), "mlp_minibatch_std",
           f"{LABELS['mlp_minibatch_std']} mixes the samples of a batch, which breaks the per-sample gradient "
           f"penalty of {cfg.loss}; turn one of them off.")
    _check.whole("batch_size", cfg.batch_size, 1, MAX_BATCH_SIZE)
    for name in ("g_lr", "d_lr"):
        _check.number(name, getattr(cfg, name), 0.0, 1.0, lo_open=True,
                     why=" (learning rates are usually between 1e-5 and 1e-2)")
    _check.number("beta1", cfg.beta1, 0.0, 0.999)
    _check.number("beta2", cfg.beta2, 0.0, 0.9999)
    _check.number("momentum", cfg.momentum, 0.0, 0.999)
    _check.whole("n_critic", cfg.n_critic, 1, 100)
    _check.whole("lr_decay_every", cfg.lr_decay_every, 0, 10**9)
    _check.number("lr_decay_gamma", cfg.lr_decay_gamma, 0.0, 1.0, lo_open=True)
    _check.number("label_smoothing", cfg.label_smoothing, 0.0, 0.5, why=" (real labels become 1 - smoothing)")
    _check.number("gp_weight", cfg.gp_weight, 0.0, 1000.0)
    _check.number("clip_value", cfg.clip_value, 0.0, 10.0, lo_open=True)
    _check.number("r1_gamma", cfg.r1_gamma, 0.0, 1000.0)
    _check.number("ema_decay", cfg.ema_decay, 0.0, 0.9999, why=" (0.999 is usual)")
    _check.whole("seed", cfg.seed, 0, 2**63 - 1)
    _check_model_size(cfg)


def _check_data(cfg: TrainConfig) -> None:
    """The dataset and the architecture agree on what a sample is; your own points are points."""
    dataset = DATASETS[cfg.dataset]
    fits = [name for name, kinds in ARCHITECTURE_KINDS.items() if dataset.kind in kinds]
    _check(dataset.kind in ARCHITECTURE_KINDS[cfg.architecture], "architecture",
           f"{LABELS['architecture']} {cfg.architecture} cannot learn {cfg.dataset} ({dataset.kind}); "
           f"choose one of {', '.join(fits)}.")
    _check(not cfg.conditional or dataset.num_classes > 0, "conditional",
           f"{LABELS['conditional']} needs a dataset with labels; {cfg.dataset} has none.")
    own = cfg.points
    ok = (isinstance(own, tuple) and len(own) % 2 == 0 and len(own) <= 2 * MAX_OWN_POINTS
          and all(is_number(v) and abs(v) <= 3 for v in own))
    _check(ok, "points", f"{LABELS['points']} must be up to {MAX_OWN_POINTS} pairs of numbers from -3 to 3, "
                         f"x and y of each point, e.g. 0.5, 1, -1, 0; got {shown(own)}.")
    _check(bool(own) or not dataset.own_points, "points",
           f"The dataset {cfg.dataset} needs {LABELS['points']}: give at least one x, y pair.")


def _meta_networks(cfg: TrainConfig) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The config's (G, D) on torch's meta device: shapes without memory for the weights."""
    with torch.device("meta"):
        return ARCHITECTURES[cfg.architecture](cfg)


def network_shapes(cfg: TrainConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor of the config's G and D ("generator.net.0.weight": ...), keyed as a
    checkpoint stores them, computed without building the networks for real."""
    return {f"{prefix}.{key}": tuple(t.shape)
            for prefix, network in zip(("generator", "discriminator"), _meta_networks(cfg))
            for key, t in network.state_dict().items()}


def _size_labels(cfg: TrainConfig, role: str) -> list[str]:
    """The settings that size one network: its architecture's whole-number sizes (an MLP's G widths
    do not size D; by the field names' convention) and, for G, the latent size."""
    other = "_d_" if role == "generator" else "_g_"
    names = [f.name for f in fields(cfg) if f.name.startswith(cfg.architecture + "_") and other not in f.name
             and FIELD_TYPES[f.name] not in (bool, float)]
    return [LABELS[n] for n in names] + ([LABELS["latent_dim"]] if role == "generator" else [])


def _check_model_size(cfg: TrainConfig) -> None:
    for network, role in zip(_meta_networks(cfg), ("generator", "discriminator")):
        count = sum(p.numel() for p in network.parameters())
        _check(count <= MAX_NETWORK_PARAMETERS, None,
               f"The {role} would have {count:,} parameters, more than the {MAX_NETWORK_PARAMETERS:,} this app "
               f"allows: make {' or '.join(_size_labels(cfg, role))} smaller.")


# Named presets. `fast` is the default: chosen by measurement (benchmarks/time_to_digits.py)
# to show readable digits soonest on a 2-core CPU. The classic presets reproduce the
# textbook settings so a lesson can show how slow those are by comparison.
