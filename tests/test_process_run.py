"""A run of points trains in a process of its own (process_run.py): the same run, to the bit, as one
trained in the session's thread; Stop, live learning rates and a divergence reach it; a process that
dies is said, not waited for."""
from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import signal
import time

import pytest
import torch

from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.presets import DEFAULT_PRESET, preset
from gan_explorer.process_run import can_train_apart
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer

# dropout and a learning-rate decay: the state a step changes outside the weights must come back too
CONFIG = preset("ring-slow-d", mlp_dropout=0.2, lr_decay_every=50)

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: as the lab's runs train


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [*trainer.generator.parameters(), *trainer.discriminator.parameters()]


def _same(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(p, q) for p, q in zip(_weights(a), _weights(b), strict=True))


def _training(session: Session, steps: int = 1_000_000, rival: Trainer | None = None,
              config: TrainConfig = CONFIG) -> Trainer:
    session.apart = True
    trainer = Trainer(config, device="cpu")
    session.start_run(trainer, steps, None, 100, rival)
    return trainer


def _wait_for_step(trainer: Trainer, step: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while trainer.step_count < step:
        assert time.monotonic() < deadline, f"step {trainer.step_count} after {timeout_s} s"
        time.sleep(0.01)


def test_a_run_of_points_trained_in_its_own_process_is_the_run_a_thread_trains() -> None:
    session, by_hand = Session(), Trainer(CONFIG, device="cpu")
    apart = _training(session, 300)
    _wait_for_step(apart, 1)
    assert [p.name for p in multiprocessing.active_children()] == ["gan-explorer-train-apart"]
    session.thread.join(60)
    for _ in range(300):
        by_hand.step()
    assert apart.step_count == len(apart.history) == 300 and _same(apart, by_hand)
    assert [m.d_loss for m in apart.history] == [m.d_loss for m in by_hand.history]
    session.start_run(apart, 50, None, 100)  # Start again goes on from the state the process sent back
    session.thread.join(60)
    for _ in range(50):
        by_hand.step()
    for _ in range(10):  # and so does a step by hand
        apart.step(), by_hand.step()
    assert apart.step_count == 360 and _same(apart, by_hand) and apart.g_optimizer.param_groups[0]["lr"] == \
        by_hand.g_optimizer.param_groups[0]["lr"] < CONFIG.g_lr
    assert not multiprocessing.active_children()


def test_stop_ends_the_process_and_the_run_stops_where_its_history_ends() -> None:
    session = Session()
    trainer = _training(session)
    _wait_for_step(trainer, 50)
    session.stop_run()
    assert not session.running and trainer.stopped and not multiprocessing.active_children()
    assert trainer.step_count == len(trainer.history) >= 50


def test_a_learning_rate_changed_in_the_server_applies_in_the_process() -> None:
    session, config = Session(), preset("ring-slow-d")  # no decay: the rate stays as set
    trainer = _training(session, config=config)
    _wait_for_step(trainer, 20)
    trainer.update(d_lr=3e-3)
    changed_at = trainer.step_count
    _wait_for_step(trainer, changed_at + 50)
    session.stop_run()
    rates = [m.d_lr for m in trainer.history]
    assert rates[:changed_at - 1] == [config.d_lr] * (changed_at - 1) and rates[-1] == 3e-3


def test_a_run_that_diverges_in_its_process_stops_both_runs_and_says_which() -> None:
    session, rival = Session(), Trainer(preset("ring-wgan-gp", seed=CONFIG.seed), device="cpu")
    launch = rival._launch  # its losses NaN from the first step, as a run whose weights blew up reports them
    rival._launch = lambda: dataclasses.replace(launch(), values=torch.full((6,), math.nan))
    trainer = _training(session, rival=rival)
    session.thread.join(60)
    assert not session.running and trainer.stopped and rival.stopped
    assert "Training diverged at step 1" in session.rival.error and session.rival.error.endswith("Both runs were stopped.")


def test_a_training_process_that_dies_is_said_on_the_runs_line() -> None:
    session = Session()
    trainer = _training(session)
    _wait_for_step(trainer, 10)
    os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
    session.thread.join(30)
    assert not session.running and "the training process ended without a word" in session.run.error


def test_an_mnist_run_trained_apart_goes_on_from_where_its_sampler_was(small_data: MNISTTensors) -> None:
    # 512 images in batches of 16: the 40 steps pass an epoch's end, and the sampler's new order
    config = preset(DEFAULT_PRESET, batch_size=16, mlp_g_hidden=(32,), mlp_d_hidden=(32,))
    session, apart = Session(apart=True), Trainer(config, device="cpu", data=small_data)
    by_hand = Trainer(config, device="cpu", data=small_data)
    session.start_run(apart, 30, None, 100)
    session.thread.join(60)
    for _ in range(40):
        by_hand.step()
    for _ in range(10):
        apart.step()
    assert apart.step_count == 40 and _same(apart, by_hand)


def test_a_session_that_does_not_ask_trains_in_its_thread() -> None:
    session, trainer = Session(), Trainer(CONFIG, device="cpu")
    session.start_run(trainer, 100_000, None, 100)
    _wait_for_step(trainer, 5)
    assert not multiprocessing.active_children() and can_train_apart([trainer])
    session.stop_run()
