"""Registry of optimisers for G and D, their learning-rate schedule, and weight averaging."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import torch
from torch import Tensor, nn


class OptimSettings(Protocol):
    """The settings an optimiser reads (TrainConfig has them); declared here so this module needs no config."""
    beta1: float
    beta2: float
    momentum: float
    lr_decay_every: int
    lr_decay_gamma: float


# (params, lr, config, capturable): capturable keeps the step count on the device so the
# update can be recorded in a CUDA graph (cuda_graph.py); it is only asked for on a GPU.
OptimizerFactory = Callable[[Iterable[nn.Parameter], float, OptimSettings, bool], torch.optim.Optimizer]


def _adam(params: Iterable[nn.Parameter], lr: float, cfg: OptimSettings, capturable: bool) -> torch.optim.Optimizer:
    # The fused kernel does the whole update in one pass over each tensor, on a CPU as on a GPU (where
    # it is also safe to record in a CUDA graph). On a CPU it costs less Python and fewer passes than
    # foreach's chain of kernels: a 2-D lab step takes about 0.87x the time (benchmarks/step_cost.py --foreach-adam).
    return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), fused=True, capturable=capturable)


def _rmsprop(params: Iterable[nn.Parameter], lr: float, cfg: OptimSettings, capturable: bool) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, foreach=True, capturable=capturable)


def _sgd(params: Iterable[nn.Parameter], lr: float, cfg: OptimSettings, capturable: bool) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, foreach=True)  # keeps no step count


OPTIMIZERS: dict[str, OptimizerFactory] = {"adam": _adam, "rmsprop": _rmsprop, "sgd": _sgd}


def build_optimizer(name: str, module: nn.Module, lr: float, cfg: OptimSettings,
                    capturable: bool = False) -> torch.optim.Optimizer:
    return OPTIMIZERS[name](module.parameters(), lr, cfg, capturable)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: OptimSettings) -> torch.optim.lr_scheduler.StepLR | None:
    """StepLR stepped once per generator step; None when decay is off."""
    if cfg.lr_decay_every == 0:
        return None
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg.lr_decay_every, gamma=cfg.lr_decay_gamma)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


# The step calls these on weights it lists once, not through module.parameters() or
# optimizer.zero_grad(): a small network's step (the 2-D lab's) is mostly such overhead.

def grad_norm(parameters: Sequence[Tensor]) -> Tensor:
    """L2 norm of all the parameters' gradients, as a tensor (no device sync): the norm of the
    per-tensor norms, as torch.nn.utils.get_total_norm computes it, in half its time for six tensors."""
    norms = [torch.linalg.vector_norm(p.grad) for p in parameters if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms))


def clear_grads(parameters: Sequence[Tensor]) -> None:
    """optimizer.zero_grad(set_to_none=True) for these weights."""
    for p in parameters:
        p.grad = None


def set_trainable(parameters: Sequence[Tensor], trainable: bool) -> None:
    """module.requires_grad_(trainable) for these weights."""
    for p in parameters:
        p.requires_grad_(trainable)


EMA_WARMUP = 10  # the averaging window grows from about 1 update to 1 / (1 - decay) updates


def ema_decay_at(decay: float, updates: int) -> float:
    """The decay for the average's update after `updates` earlier ones: min(decay, (1 + t) / (10 + t)).

    With a fixed decay of 0.999 the average would still be 37% the random initial G after 1,000
    steps; warming the decay up (as TensorFlow's ExponentialMovingAverage does with num_updates)
    keeps the average close to an equal-weight mean of the recent steps from the start."""
    return min(decay, (1 + updates) / (EMA_WARMUP + updates))


@torch.no_grad()
def ema_update_(average: nn.Module, model: nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * model, weights; BatchNorm statistics are copied."""
    torch._foreach_lerp_(list(average.parameters()), list(model.parameters()), 1.0 - decay)
    for mine, theirs in zip(average.buffers(), model.buffers(), strict=True):
        mine.copy_(theirs)
