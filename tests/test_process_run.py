"""A run of points trains in a process of its own (process_run.py, forked by forkserver.py): the same
run, to the bit, as one trained in the session's thread; Stop, slow motion, live learning rates and a
divergence reach it; a process that dies is said, not waited for; where no process can be had, the run
trains in its thread."""
from __future__ import annotations

import gc
import math
import os
import signal
import time
from pathlib import Path

import pytest
import torch

from gan_explorer import forkserver as forkserver_module
from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.forkserver import Forkserver
from gan_explorer.presets import DEFAULT_PRESET, preset
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer

# dropout and a learning-rate decay: the state a step changes outside the weights must come back too
CONFIG = preset("ring-slow-d", mlp_dropout=0.2, lr_decay_every=50)

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: as the lab's runs train


def _children(server: Forkserver) -> list[int]:
    """The pids of the forkserver's children that are alive: the runs' processes."""
    assert server._process is not None
    found = []
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if int(fields[1]) == server._process.pid and fields[0] != "Z":
            found.append(int(proc.name))
    return found


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [*trainer.generator.parameters(), *trainer.discriminator.parameters()]


def _same(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(p, q) for p, q in zip(_weights(a), _weights(b), strict=True))


def _training(server: Forkserver, steps: int = 1_000_000, rival: Trainer | None = None,
              config: TrainConfig = CONFIG) -> tuple[Session, Trainer]:
    session, trainer = Session(apart=server), Trainer(config, device="cpu")
    session.start_run(trainer, steps, None, 100, rival)
    return session, trainer


def _wait_for(condition: object, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"no {what} after {timeout_s} s"
        time.sleep(0.01)


def test_a_run_of_points_trained_in_its_own_process_is_the_run_a_thread_trains(forkserver: Forkserver) -> None:
    by_hand = Trainer(CONFIG, device="cpu")
    session, apart = _training(forkserver, 300)
    _wait_for(lambda: apart.step_count >= 1, "first step")
    assert len(_children(forkserver)) == 1
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
    _wait_for(lambda: not _children(forkserver), "end of the run's process", 5)


def test_the_servers_networks_follow_the_process_while_it_trains(forkserver: Forkserver) -> None:
    session, trainer = _training(forkserver)
    start = [w.clone() for w in _weights(trainer)]
    _wait_for(lambda: trainer.step_count >= 50, "50 steps")
    with trainer.lock:
        moved = not all(torch.equal(a, b) for a, b in zip(start, _weights(trainer)))
    session.stop_run()
    assert moved


def test_stop_ends_the_process_and_the_run_stops_where_its_history_ends(forkserver: Forkserver) -> None:
    session, trainer = _training(forkserver)
    _wait_for(lambda: trainer.step_count >= 50, "50 steps")
    session.stop_run()
    assert not session.running and trainer.stopped
    assert trainer.step_count == len(trainer.history) >= 50
    _wait_for(lambda: not _children(forkserver), "end of the run's process", 5)


def test_slow_motion_reaches_the_process_and_stop_ends_its_rest(forkserver: Forkserver) -> None:
    session, trainer = _training(forkserver)
    _wait_for(lambda: trainer.step_count >= 20, "20 steps")
    session.rest_s = 30.0  # a round, then a rest far longer than this test waits
    time.sleep(1.0)
    slowed_at = trainer.step_count
    time.sleep(1.0)
    assert trainer.step_count - slowed_at <= 1
    session.stop_run()  # waits for the run's thread: had Stop not ended the rest, 30 s
    assert not session.running and trainer.stopped


def test_a_learning_rate_changed_in_the_server_applies_in_the_process(forkserver: Forkserver) -> None:
    config = preset("ring-slow-d")  # no decay: the rate stays as set
    session, trainer = _training(forkserver, config=config)
    _wait_for(lambda: trainer.step_count >= 20, "20 steps")
    trainer.update(d_lr=3e-3)
    changed_at = trainer.step_count
    _wait_for(lambda: trainer.step_count >= changed_at + 50, "50 more steps")
    session.stop_run()
    rates = [m.d_lr for m in trainer.history]
    assert rates[:changed_at - 1] == [config.d_lr] * (changed_at - 1) and rates[-1] == 3e-3


def test_a_run_that_diverges_in_its_process_stops_both_runs_and_says_which(forkserver: Forkserver) -> None:
    rival = Trainer(preset("ring-wgan-gp", seed=CONFIG.seed), device="cpu")
    with torch.no_grad():  # its losses NaN from the first step, as a run whose weights blew up reports them
        for weight in rival.generator.parameters():
            weight.fill_(math.nan)
    session, trainer = _training(forkserver, rival=rival)
    session.thread.join(60)
    assert not session.running and trainer.stopped and rival.stopped
    assert "Training diverged at step 1" in session.rival.error and session.rival.error.endswith("Both runs were stopped.")


def test_a_training_process_that_dies_is_said_on_the_runs_line(forkserver: Forkserver) -> None:
    session, trainer = _training(forkserver)
    _wait_for(lambda: trainer.step_count >= 10, "10 steps")
    for pid in _children(forkserver):
        os.kill(pid, signal.SIGKILL)
    session.thread.join(30)
    assert not session.running and "the training process ended without a word" in session.run.error


def test_where_no_process_can_be_started_the_run_trains_in_its_thread() -> None:
    session = Session(apart=Forkserver(python="/nonexistent/python"))
    trainer = Trainer(CONFIG, device="cpu")
    session.start_run(trainer, 30, None, 100)
    session.thread.join(60)
    assert trainer.step_count == 30 and session.run.error is None


def test_where_the_platform_cannot_fork_the_run_trains_in_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkserver_module, "SUPPORTED", False)
    server, trainer = Forkserver(), Trainer(CONFIG, device="cpu")
    server.start()
    session = Session(apart=server)
    session.start_run(trainer, 30, None, 100)
    session.thread.join(60)
    assert trainer.step_count == 30 and session.run.error is None and server._process is None


def test_an_mnist_run_trains_in_its_sessions_thread(forkserver: Forkserver, small_data: MNISTTensors) -> None:
    config = preset(DEFAULT_PRESET, batch_size=16, mlp_g_hidden=(32,), mlp_d_hidden=(32,))
    session, trainer = Session(apart=forkserver), Trainer(config, device="cpu", data=small_data)
    session.start_run(trainer, 100_000, None, 100)
    _wait_for(lambda: trainer.step_count >= 5, "5 steps")
    assert not _children(forkserver)
    session.stop_run()


def test_the_forkserver_ends_when_the_server_lets_go_of_it() -> None:
    server = Forkserver()
    server.start()
    process = server._process
    del server
    gc.collect()
    assert process is not None and process.wait(30) == 0
