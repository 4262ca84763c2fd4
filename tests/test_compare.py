"""Two runs side by side: same seed and noise, stepped in turn, named by what differs, controlled together
(alone, and in a session's one training thread)."""
from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
import torch

from gan_explorer.compare import Comparison, RunDiverged, differences, in_turn, paired, run_names
from gan_explorer.config import ConfigError, TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer

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


# --- A session trains both runs of a comparison in its one background thread --------------------

def _session_pair(small_data: MNISTTensors, **b_changes: object) -> tuple[Session, Trainer, Trainer]:
    a = TrainConfig(**TINY, loss="minimax", seed=4)
    b = paired(a, a.replace(loss="non_saturating", **b_changes))
    return Session(), Trainer(a, "cpu", data=small_data), Trainer(b, "cpu", data=small_data)


def _wait(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_session_wait_lasts_its_time_while_the_run_trains_and_ends_with_the_run(small_data: MNISTTensors) -> None:
    """What the streams wait on between updates (no sleep loop taking the GIL from the training thread)."""
    session, a, _ = _session_pair(small_data)
    started = time.monotonic()
    session.wait(5)  # no run yet: nothing to wait for
    assert time.monotonic() - started < 1
    session.start_run(a, 1_000_000, None, 250)
    started = time.monotonic()
    session.wait(0.3)
    assert time.monotonic() - started >= 0.3 and session.running
    threading.Timer(0.2, a.stop).start()
    session.wait(30)
    assert time.monotonic() - started < 10 and not session.running


def test_a_session_trains_run_b_beside_run_a_from_the_same_noise(small_data: MNISTTensors) -> None:
    session, a, b = _session_pair(small_data)
    session.start_run(a, 6, None, 250, rival=b)
    session.thread.join(60)
    assert [run.trainer.step_count for run in session.runs] == [6, 6]
    assert [run.name for run in session.runs] == ["A: loss minimax", "B: loss non_saturating"]
    assert torch.equal(a.fixed_z, b.fixed_z)
    first_a, first_b = (run.timelapse.frames[0].grid for run in session.runs)
    assert np.array_equal(first_a, first_b)  # the same z and the same starting weights: one picture
    last_a, last_b = (run.timelapse.frames[-1].grid for run in session.runs)
    assert not np.array_equal(last_a, last_b)  # six steps of two losses later, two pictures
    assert all(run.timelapse.frames[-1].step == 6 for run in session.runs)  # each keeps its own replay


def test_in_turn_steps_every_run_once_before_any_runs_again(small_data: MNISTTensors) -> None:
    order: list[str] = []
    pair = _pair(small_data, loss="non_saturating")
    for name, trainer in zip("AB", pair.trainers):
        step = trainer._finish
        trainer._finish = lambda launched, name=name, step=step: (order.append(name), step(launched))[1]
    list(in_turn(pair.trainers, 3))
    assert "".join(order) == "ABABAB"


def test_pause_step_and_stop_act_on_both_runs(small_data: MNISTTensors) -> None:
    session, a, b = _session_pair(small_data)
    session.start_run(a, 100_000, None, 250, rival=b)
    _wait(lambda: a.step_count >= 2)
    session.pause()
    assert session.paused
    time.sleep(0.3)  # let the round in progress end; then neither run moves while paused
    counts = (a.step_count, b.step_count)
    time.sleep(0.3)
    assert (a.step_count, b.step_count) == counts and counts[0] == counts[1]  # paused where a round ends
    session.step()  # Step while paused: one step of each
    assert (a.step_count, b.step_count) == (counts[0] + 1, counts[1] + 1)
    session.resume()
    _wait(lambda: a.step_count >= counts[0] + 3)
    session.stop_run()
    assert not session.running and a.stopped and b.stopped
    assert a.step_count == b.step_count  # stopped where a round of steps ended


def test_stop_while_paused_leaves_both_runs_at_the_same_step(small_data: MNISTTensors) -> None:
    session, a, b = _session_pair(small_data)
    session.start_run(a, 100_000, None, 250, rival=b)
    _wait(lambda: a.step_count >= 2)
    session.pause()
    session.stop_run()
    assert not session.running and a.stopped and b.stopped and a.step_count == b.step_count


def test_save_gives_a_checkpoint_of_each_run_named_by_its_run(small_data: MNISTTensors) -> None:
    session, a, b = _session_pair(small_data)
    session.adopt(a, b)
    session.step()
    (tag_a, ckpt_a), (tag_b, ckpt_b) = session.to_checkpoints({"source": "test"})
    assert (tag_a, tag_b) == ("A", "B")
    assert (ckpt_a.config.loss, ckpt_b.config.loss) == ("minimax", "non_saturating")
    assert ckpt_a.info["compared"] == ["A: loss minimax", "B: loss non_saturating"] and ckpt_b.step == 1


def _diverging(trainer: Trainer) -> Trainer:
    """The trainer with every step's losses made NaN, as a run whose weights blew up reports them."""
    launch = trainer._launch
    trainer._launch = lambda: dataclasses.replace(launch(), values=torch.full((6,), math.nan))
    return trainer


def test_a_diverging_run_b_stops_the_pair_and_says_which_run(small_data: MNISTTensors) -> None:
    session, a, b = _session_pair(small_data)
    session.start_run(a, 100_000, None, 250, rival=_diverging(b))
    session.thread.join(30)
    assert not session.running and a.stopped and b.stopped
    assert session.rival.error.startswith("B: loss non_saturating · Training diverged at step 1")
    assert session.rival.error.endswith("Both runs were stopped.") and session.run.error is None


def test_step_by_hand_with_a_diverging_run_stops_both(small_data: MNISTTensors) -> None:
    session, a, b = _session_pair(small_data)
    session.adopt(a, _diverging(b))
    with pytest.raises(RunDiverged, match="^B: loss non_saturating · Training diverged"):
        session.step()
    assert a.stopped and b.stopped


def test_a_lesson_run_that_diverges_stops_alone(small_data: MNISTTensors) -> None:
    pair = _pair(small_data, loss="non_saturating")
    _diverging(pair.trainers[0])
    steps = list(in_turn(pair.trainers, 3, keep_going=True))
    assert [tuple(m is not None for m in s) for s in steps] == [(False, True)] * 3
    assert pair.trainers[1].step_count == 3
