"""On a GPU the step is replayed as a CUDA graph; it must train exactly as the eager step does.

These run only where PyTorch sees a CUDA GPU (CI has none; run them on a GPU machine). They watch
the run through the Trainer's public interface (step(), run(), update(), history) and torch's own
CUDAGraph, whose recordings and replays they count, so they hold however the trainer is organised.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
import torch

from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.optim import OPTIMIZERS
from gan_explorer.trainer import Trainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

SMALL = {"dcgan_width": 16, "latent_dim": 16, "batch_size": 32, "precision": "fp32", "g_lr": 1e-3, "d_lr": 1e-3}
STEPS = 20


@pytest.fixture(scope="module")
def small_data(mnist: MNISTTensors) -> MNISTTensors:
    return MNISTTensors(mnist.images[:2048], mnist.labels[:2048])


@pytest.fixture
def graphs(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How many CUDA graphs this test recorded ("capture_begin") and replayed ("replay")."""
    calls: Counter = Counter()
    for method in ("capture_begin", "replay"):
        original = getattr(torch.cuda.CUDAGraph, method)

        def counted(self: torch.cuda.CUDAGraph, *args: Any, _original: Callable = original, _method: str = method,
                    **kwargs: Any) -> Any:
            calls[_method] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.cuda.CUDAGraph, method, counted)
    return calls


@contextmanager
def _same_kernels() -> Iterator[None]:
    """cuDNN runs the same kernels in both runs (a Trainer on a GPU may turn its benchmark mode on)."""
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


@contextmanager
def _graph_optimisers() -> Iterator[None]:
    """Every optimiser built as the one a graph records (fused, capturable), so an eager run differs
    from a graphed one only in how the step is launched."""
    graphable = {name: (lambda params, lr, cfg, _, build=build: build(params, lr, cfg, True))
                 for name, build in OPTIMIZERS.items()}
    with mock.patch.dict(OPTIMIZERS, graphable):
        yield


def _start(config: TrainConfig, data: MNISTTensors) -> torch.Tensor:
    return _weights(Trainer(config, "cuda", data=data, cuda_graph=False))


def _train(config: TrainConfig, data: MNISTTensors, cuda_graph: bool, steps: int = STEPS,
           update_at: int | None = None, compile_models: bool = False) -> Trainer:
    with _graph_optimisers():
        trainer = Trainer(config, "cuda", data=data, cuda_graph=cuda_graph, compile_models=compile_models)
    with _same_kernels():
        for _ in range(steps):
            if trainer.step_count == update_at:
                trainer.update(g_lr=config.g_lr / 4, n_critic=2)
            trainer.step()
    return trainer


def _weights(trainer: Trainer) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in trainer.sampling_generator.parameters()])


def _assert_same_run(a: Trainer, b: Trainer, start: torch.Tensor, rtol: float = 1e-3) -> None:
    """Same losses step by step, and the two runs' weights far closer to each other than to where they began."""
    losses_a = torch.tensor([(m.d_loss, m.g_loss, m.d_real, m.d_fake) for m in a.history])
    losses_b = torch.tensor([(m.d_loss, m.g_loss, m.d_real, m.d_fake) for m in b.history])
    torch.testing.assert_close(losses_a, losses_b, rtol=rtol, atol=rtol / 10)
    moved = (_weights(b) - start).norm()
    assert (_weights(a) - _weights(b)).norm() < 0.05 * moved


def _assert_mostly_replayed(graphs: Counter, steps: int = STEPS) -> None:
    """The run recorded its step and replayed the recording for most of its steps (a few eager
    warm-up steps come first)."""
    assert graphs["capture_begin"] >= 1, "the step was never recorded"
    assert graphs["replay"] >= steps // 2, f"only {graphs['replay']} of {steps} steps were replays"


@pytest.mark.parametrize("settings", [
    {"architecture": "dcgan"},
    {"architecture": "dcgan", "conditional": True, "ema_decay": 0.9},
    {"architecture": "dcgan", "loss": "wgan_gp", "n_critic": 3},
    {"architecture": "mlp", "loss": "wgan", "mlp_dropout": 0.0},
    {"architecture": "dcgan", "lr_decay_every": 7, "lr_decay_gamma": 0.5},
    {"architecture": "dcgan", "precision": "bf16"},
], ids=["dcgan", "conditional-ema", "wgan_gp", "mlp-wgan-clip", "lr-decay", "bf16"])
def test_graph_replay_trains_like_the_eager_step(settings: dict, small_data: MNISTTensors, graphs: Counter) -> None:
    config = TrainConfig(**{**SMALL, **settings})
    graphed = _train(config, small_data, cuda_graph=True)
    _assert_mostly_replayed(graphs)
    graphs.clear()
    eager = _train(config, small_data, cuda_graph=False)
    assert graphs["replay"] == 0, "cuda_graph=False replayed a graph"
    rtol = 2e-2 if config.precision == "bf16" else 1e-3
    _assert_same_run(graphed, eager, _start(config, small_data), rtol)


def test_a_compiled_step_replayed_as_a_graph_trains_like_the_eager_step(small_data: MNISTTensors,
                                                                       graphs: Counter) -> None:
    config = TrainConfig(**{**SMALL, "conditional": True, "ema_decay": 0.9})
    compiled = _train(config, small_data, cuda_graph=True, compile_models=True)
    _assert_mostly_replayed(graphs)
    # Fused kernels round differently and a GAN amplifies it: on an H100 the losses drifted
    # apart by up to 1.2 % over 20 steps (5e-3 failed), the size of bf16's drift.
    _assert_same_run(compiled, _train(config, small_data, cuda_graph=False), _start(config, small_data), 2e-2)


def test_a_live_change_is_recorded_into_a_new_graph(small_data: MNISTTensors, graphs: Counter) -> None:
    config = TrainConfig(**SMALL)
    update_at = STEPS // 2  # well after the first recording
    graphed = _train(config, small_data, cuda_graph=True, update_at=update_at)
    assert graphs["capture_begin"] == 2, "the step was not recorded again after the live change"
    _assert_mostly_replayed(graphs)
    eager = _train(config, small_data, cuda_graph=False, update_at=update_at)
    assert graphed.history[-1].g_lr == config.g_lr / 4
    _assert_same_run(graphed, eager, _start(config, small_data))


def test_a_graph_that_is_not_replayed_is_caught(small_data: MNISTTensors, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above has teeth: a replay that skips the update does not pass it."""
    config = TrainConfig(**SMALL)
    monkeypatch.setattr(torch.cuda.CUDAGraph, "replay", lambda self: None)
    broken = _train(config, small_data, cuda_graph=True)
    monkeypatch.undo()
    with pytest.raises(AssertionError):
        _assert_same_run(broken, _train(config, small_data, cuda_graph=False), _start(config, small_data))


def test_run_overlapping_steps_yields_each_step_once_and_trains_as_step_does(small_data: MNISTTensors,
                                                                            graphs: Counter) -> None:
    config = TrainConfig(**SMALL)
    with _graph_optimisers():
        overlapped = Trainer(config, "cuda", data=small_data)  # a GPU's default: a graph, run() overlapping steps
    with _same_kernels():
        yielded = [m.step for m in overlapped.run(max_steps=25)]
    assert yielded == list(range(1, 26)) == [m.step for m in overlapped.history]
    assert overlapped.step_count == 25 and overlapped.train_seconds > 0
    _assert_mostly_replayed(graphs, 25)
    one_at_a_time = _train(config, small_data, cuda_graph=True, steps=25)
    losses = [[(m.d_loss, m.g_loss) for m in t.history] for t in (overlapped, one_at_a_time)]
    torch.testing.assert_close(torch.tensor(losses[0]), torch.tensor(losses[1]), rtol=1e-3, atol=1e-4)
