"""Two runs side by side: same seed and noise, stepped in turn, named by what differs, controlled together."""
from __future__ import annotations

import threading

import pytest
import torch

from gan_explorer.compare import Comparison, differences, run_names
from gan_explorer.config import ConfigError, TrainConfig
from gan_explorer.data import MNISTTensors

TINY = {"architecture": "mlp", "mlp_g_hidden": (32,), "mlp_d_hidden": (32,), "latent_dim": 8, "batch_size": 16}


@pytest.fixture(scope="module")
def small_data(mnist: MNISTTensors) -> MNISTTensors:
    return MNISTTensors(mnist.images[:256], mnist.labels[:256])


def _pair(small_data: MNISTTensors, **b_changes: object) -> Comparison:
    a = TrainConfig(**TINY, loss="minimax")
    return Comparison(a, a.replace(**b_changes), "cpu", data=small_data)


def test_runs_are_named_by_the_settings_that_differ() -> None:
    a = TrainConfig(**TINY, loss="minimax")
    b = a.replace(loss="non_saturating", d_lr=1e-3)
    assert differences(a, b) == ["loss", "d_lr"]  # in the settings' own order
    assert run_names(a, b) == ("A: loss minimax, d_lr 0.0002", "B: loss non_saturating, d_lr 0.001")
    assert run_names(a, b.replace(beta1=0.9), most=1) == ("A: loss minimax …", "B: loss non_saturating …")


def test_both_runs_share_the_seed_and_so_the_fixed_noise(small_data: MNISTTensors) -> None:
    a = TrainConfig(**TINY, loss="minimax", seed=3)
    pair = Comparison(a, a.replace(loss="non_saturating", seed=99), "cpu", data=small_data)
    first, second = pair.trainers
    assert second.config.seed == 3 and torch.equal(first.fixed_z, second.fixed_z)


def test_the_runs_step_in_turn_and_neither_gets_ahead(small_data: MNISTTensors) -> None:
    pair = _pair(small_data, loss="non_saturating")
    steps = [(ma.step, mb.step) for ma, mb in pair.run(max_steps=4)]
    assert steps == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert [len(t.history) for t in pair.trainers] == [4, 4]
    assert pair.trainers[0].history[-1].g_loss != pair.trainers[1].history[-1].g_loss  # the loss differs


def test_stop_ends_both_runs(small_data: MNISTTensors) -> None:
    pair = _pair(small_data, loss="non_saturating")
    seen = []

    def train() -> None:
        for pair_metrics in pair.run(max_steps=10_000):
            seen.append(pair_metrics)
            if len(seen) == 3:
                pair.stop()

    thread = threading.Thread(target=train)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and len(seen) == 3
    assert all(t.stopped for t in pair.trainers)


def test_two_runs_with_the_same_settings_are_refused(small_data: MNISTTensors) -> None:
    with pytest.raises(ConfigError, match="same settings"):
        _pair(small_data, seed=5)  # the seed alone is not a difference: it is shared
