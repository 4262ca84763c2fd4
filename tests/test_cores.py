"""The server's cores: a run training alone on an idle server borrows the server's core while that
is measured to pay, and gives it back as soon as a request comes; other threads keep to the server's share."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import torch

from gan_explorer import cores as cores_module
from gan_explorer.cores import IDLE_S, MIN_SAMPLES, RETRY_EVERY, Borrower, CoreShare, pin
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


def rounds(borrower: Borrower, clock: Clock, seconds_on: dict[int, float], n: int) -> list[int]:
    """The thread counts of n rounds, each taking seconds_on[threads] on the borrower's clock."""
    counts = []
    for _ in range(n):
        threads = borrower.next_round()
        counts.append(threads)
        clock.now += seconds_on[threads]
    return counts


def test_a_run_may_borrow_only_alone_on_an_idle_server() -> None:
    share, clock = idle_share(cores=2)
    with share.training():
        assert share.may_borrow()
        share.request()
        assert not share.may_borrow()
        clock.now += IDLE_S
        assert share.may_borrow()
        with share.training():
            assert not share.may_borrow()
    assert share.server_threads == 1


def test_the_servers_core_is_not_lent_while_a_quality_check_runs_on_it() -> None:
    share, _ = idle_share(cores=2)
    during: list[bool] = []
    with share.training():
        share.on_server_share(lambda: during.append(share.may_borrow()))()
        assert during == [False] and share.may_borrow()


def test_a_fixed_thread_count_or_a_single_core_never_borrows() -> None:
    for share, _ in (idle_share(cores=2, fixed=1), idle_share(cores=1)):
        with share.training():
            assert not share.may_borrow()


def test_borrowing_that_pays_goes_on_after_each_count_was_measured() -> None:
    share, _ = idle_share(cores=2)
    clock = Clock()
    with share.training():
        counts = rounds(Borrower(share, clock), clock, {1: 0.05, 2: 0.03}, 40)
    assert counts[:MIN_SAMPLES] == [1] * MIN_SAMPLES
    assert counts[-20:] == [2] * 20


def test_borrowing_that_does_not_pay_stops_and_is_tried_again_later() -> None:
    share, _ = idle_share(cores=2)
    clock = Clock()
    with share.training():
        borrower = Borrower(share, clock)
        counts = rounds(borrower, clock, {1: 0.05, 2: 0.5}, 20 + RETRY_EVERY)  # a busy machine
    assert counts[15:RETRY_EVERY] == [1] * (RETRY_EVERY - 15)
    assert 2 in counts[RETRY_EVERY:]


def test_each_failed_try_of_borrowing_waits_twice_as_long_for_the_next() -> None:
    share, _ = idle_share(cores=2)
    clock = Clock()
    with share.training():
        counts = rounds(Borrower(share, clock), clock, {1: 0.05, 2: 0.5}, 20 + 4 * RETRY_EVERY)
    tries = [i for i in range(1, len(counts)) if counts[i] == 2 and counts[i - 1] == 1]
    gaps = [b - a for a, b in zip(tries, tries[1:])]
    assert len(tries) == 3 and gaps[1] > 1.8 * gaps[0]


def test_time_between_rounds_that_was_not_training_is_not_counted() -> None:
    share, _ = idle_share(cores=2)
    clock = Clock()
    with share.training():
        borrower = Borrower(share, clock)
        rounds(borrower, clock, {1: 0.05, 2: 0.03}, 30)
        before = {threads: list(times) for threads, times in borrower.times.items()}
        borrower.skip_round()
        clock.now += 0.25  # an evaluation, eight rounds long
        assert rounds(borrower, clock, {1: 0.05, 2: 0.03}, 1) == [2]
    assert {threads: list(times) for threads, times in borrower.times.items()} == before


def test_slow_first_rounds_on_a_new_thread_count_do_not_decide() -> None:
    share, _ = idle_share(cores=2)
    clock = Clock()
    with share.training():
        borrower = Borrower(share, clock)
        counts = rounds(borrower, clock, {1: 0.05, 2: 0.03}, MIN_SAMPLES + 1)  # measured on 1 thread
        first = [0.3, 0.2]  # oneDNN compiling its kernels for 2 threads
        for seconds in first:
            counts.append(borrower.next_round())
            clock.now += seconds
        counts += rounds(borrower, clock, {1: 0.05, 2: 0.03}, 20)
    assert counts[-10:] == [2] * 10


def test_a_request_takes_the_borrowed_core_back_at_the_next_round() -> None:
    share, share_clock = idle_share(cores=2)
    clock = Clock()
    with share.training():
        borrower = Borrower(share, clock)
        assert rounds(borrower, clock, {1: 0.05, 2: 0.03}, 30)[-1] == 2
        share.request()
        assert rounds(borrower, clock, {1: 0.05, 2: 0.03}, 5) == [1] * 5
        share_clock.now += IDLE_S
        assert rounds(borrower, clock, {1: 0.05, 2: 0.03}, 1) == [2]


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
    monkeypatch.setattr(cores_module, "GAIN", 1e9)  # borrowing always pays: this test is not about speed
    share, _ = idle_share(cores=2)
    training_counts: list[int] = []
    quality_counts: list[int] = []
    next_round = Borrower.next_round

    def recorded(borrower: Borrower) -> int:
        threads = next_round(borrower)
        training_counts.append(torch.get_num_threads())
        if len(training_counts) == 30:
            share.request()  # a student moves a slider mid-run
        return threads

    def quality(generator: torch.nn.Module) -> dict:
        quality_counts.append(torch.get_num_threads())
        return {}

    monkeypatch.setattr(Borrower, "next_round", recorded)
    session = Session(cores=share)
    session.start_run(Trainer(preset("ring"), "cpu"), steps=60, quality_fn=quality, quality_every=20)
    session.thread.join(30)
    session.run.quality_thread.join(10)

    assert training_counts[MIN_SAMPLES:30] == [2] * (30 - MIN_SAMPLES)
    assert set(training_counts[30:]) == {1} and session.run.threads == 1  # what the status line says
    assert quality_counts and set(quality_counts) == {1}
