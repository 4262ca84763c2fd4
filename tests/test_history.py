"""A run's metrics history: every step exactly while short, bounded memory on a long run (the last
steps exact, the older ones as means of neighbours), and consistent reads while training appends."""
from __future__ import annotations

import threading

import numpy as np

from gan_explorer import plots
from gan_explorer.history import CAPACITY, RECENT, History, StepMetrics, metric, metric_table


def step(i: int, loss: float | None = None) -> StepMetrics:
    value = float(i) if loss is None else loss
    return StepMetrics(i, i / 100, value, -value, 0.5, 0.4, 1.0, 2.0, 64.0, i / 10, 1e-3, 2e-3)


def filled(n: int) -> History:
    history = History()
    for i in range(1, n + 1):
        history.append(step(i))
    return history


def test_a_short_history_holds_every_step_exactly() -> None:
    history = filled(3000)
    assert history == [step(i) for i in range(1, 3001)]
    assert history[-1] == step(3000) and history[10:12] == [step(11), step(12)]
    assert [m.step for m in history][:3] == [1, 2, 3]


def test_a_long_run_keeps_its_last_steps_exactly_and_older_ones_as_means_of_neighbours() -> None:
    n = 3 * CAPACITY
    history = filled(n)
    assert len(history) <= CAPACITY
    assert history[-RECENT:] == [step(i) for i in range(n - RECENT + 1, n + 1)]
    steps = metric(history, "step")
    assert steps[-1] == n and np.all(np.diff(steps) > 0)
    first = history[0]
    assert first.step > 1 and first.d_loss < first.step  # a mean of steps up to it, labelled by the last
    # every step still counts: each row's loss is the mean of the steps it stands for
    assert abs(first.d_loss - (first.step + 1) / 2) < 1e-9


def test_the_charts_of_a_history_match_those_of_the_same_steps_as_a_list() -> None:
    history = filled(2500)
    as_list = [step(i) for i in range(1, 2501)]
    for key in ("d_loss", "g_lr"):
        assert np.array_equal(metric(history, key, 100), metric(as_list, key, 100))
    assert np.array_equal(plots.downsample(history, ["d_loss"])["d_loss"], plots.downsample(as_list, ["d_loss"])["d_loss"])
    dicts = [m.to_dict() for m in as_list]
    assert np.array_equal(metric_table(history, ["step", "g_loss"]), metric_table(dicts, ["step", "g_loss"]))


def test_a_reader_sees_whole_steps_in_order_while_training_appends() -> None:
    history, done, bad = History(), threading.Event(), []

    def read() -> None:
        while not done.is_set():
            table = history.columns(["step", "d_loss"])
            steps, losses = table[:, 0], table[:, 1]  # a row never written would hold whatever memory held
            whole = np.all(np.diff(steps) > 0) and np.all((losses > 0) & (losses <= steps))
            if len(table) and not (whole and np.all(steps == np.round(steps))):
                bad.append(len(table))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(1, 2 * CAPACITY):
        history.append(step(i, loss=float(i)))
    done.set()
    reader.join()
    assert not bad
