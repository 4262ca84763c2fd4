"""Registry of weight initialisations: each sets one layer's weights from a generator the caller owns.

`init_default` is PyTorch's own initialisation of each layer (models.build_models runs it first, for
every config); INITS holds the schemes a config names (`init`), run after it (None: no more). A
registry of its own beside the architectures (which the config, CLI and Train form list): a new
scheme is one entry here.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

Init = Callable[[nn.Module, torch.Generator | None], None]
_WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def init_default(m: nn.Module, rng: torch.Generator | None) -> None:
    """PyTorch's own initialisation of each layer (its reset_parameters), drawn from `rng`."""
    if isinstance(m, _WEIGHTED):
        nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=rng)
        if m.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(m.bias, -bound, bound, generator=rng)
    elif isinstance(m, nn.Embedding):
        nn.init.normal_(m.weight, generator=rng)
    elif isinstance(m, nn.modules.batchnorm._BatchNorm):
        m.reset_parameters()  # weight 1, bias 0, fresh running statistics: nothing random
    elif any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False)):
        raise TypeError(f"build_models does not know how to initialise a {type(m).__name__}")


def _init_dcgan(m: nn.Module, rng: torch.Generator | None) -> None:
    if isinstance(m, _WEIGHTED):
        nn.init.normal_(m.weight, 0.0, 0.02, generator=rng)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 1.0, 0.02, generator=rng)
        nn.init.zeros_(m.bias)


def _init_xavier(m: nn.Module, rng: torch.Generator | None) -> None:
    if isinstance(m, _WEIGHTED):
        nn.init.xavier_uniform_(m.weight, generator=rng)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


INITS: dict[str, Init | None] = {"dcgan": _init_dcgan, "xavier": _init_xavier, "default": None}
