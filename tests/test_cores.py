"""The server's cores: a run training alone on an idle server borrows the server's core, and gives it
back as soon as a request comes; every other thread computes on the server's share."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import torch

from gan_explorer import sessions
from gan_explorer.cores import IDLE_S, CoreShare, pin
from gan_explorer.presets import preset
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def keep_thread_count() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def idle_share(cores: int = 2, fixed: int | None = None) -> tuple[CoreShare, Clock]:
    clock = Clock()
    share = CoreShare(cores=cores, fixed=fixed, clock=clock)
    clock.now += IDLE_S
    return share, clock


def test_a_run_training_alone_on_an_idle_server_takes_every_core() -> None:
    share, _ = idle_share(cores=2)
    with share.training():
        assert share.training_threads() == 2
    assert share.server_threads == 1


def test_a_request_gives_the_borrowed_core_back_until_the_page_is_idle_again() -> None:
    share, clock = idle_share(cores=2)
    with share.training():
        share.request()
        assert share.training_threads() == 1
        clock.now += IDLE_S / 2
        assert share.training_threads() == 1
        clock.now += IDLE_S
        assert share.training_threads() == 2


def test_two_runs_training_at_once_each_keep_to_the_training_share() -> None:
    share, _ = idle_share(cores=4)
    with share.training(), share.training():
        assert share.training_threads() == 3


def test_a_fixed_thread_count_or_a_single_core_never_borrows() -> None:
    fixed, _ = idle_share(cores=2, fixed=1)
    single, _ = idle_share(cores=1)
    for share in (fixed, single):
        with share.training():
            assert share.training_threads() == 1
    assert not fixed.borrows and not single.borrows


def test_pin_sets_the_calling_threads_count_and_leaves_other_threads_theirs() -> None:
    pin(1)
    seen: list[int] = []

    def other() -> None:
        pin(2)
        seen.append(torch.get_num_threads())

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [2]
    assert torch.get_num_threads() == 1


def test_a_sessions_run_borrows_while_idle_and_its_quality_checks_keep_to_the_server_share(
        monkeypatch: pytest.MonkeyPatch) -> None:
    share, clock = idle_share(cores=2)
    training_counts: list[int] = []
    quality_counts: list[int] = []

    def pin_and_record(threads: int) -> None:
        pin(threads)
        training_counts.append(torch.get_num_threads())
        if len(training_counts) == 20:
            share.request()  # a student moves a slider mid-run

    def quality(generator: torch.nn.Module) -> dict:
        quality_counts.append(torch.get_num_threads())
        return {}

    monkeypatch.setattr(sessions, "pin", pin_and_record)
    session = Session(cores=share)
    session.start_run(Trainer(preset("ring"), "cpu"), steps=40, quality_fn=quality, quality_every=10)
    session.thread.join(30)
    session.run.quality_thread.join(10)

    assert training_counts[:19] == [2] * 19
    assert set(training_counts[20:]) == {1}
    assert quality_counts and set(quality_counts) == {1}
