"""The lock that keeps a test marked `alone` apart from the other worker's tests (machine_share.py).
flock's locks belong to each opened file, so threads of one process stand in for the two workers."""
from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import pytest
from machine_share import machine_share

HELD_S = 0.3


@pytest.fixture(autouse=True)
def a_run_of_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A run id of its own, its lock files in the test's own folder."""
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "test")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _hold(alone: bool, log: list[str], name: str, started: threading.Event | None = None) -> None:
    with machine_share(alone):
        log.append(f"{name} in")
        if started is not None:
            started.set()
        time.sleep(HELD_S)
        log.append(f"{name} out")


def _run(*threads: threading.Thread, gap_s: float = 0.1) -> None:
    for thread in threads:
        thread.start()
        time.sleep(gap_s)  # each asks after the one before it holds or waits
    for thread in threads:
        thread.join(10)


def test_a_test_alone_waits_for_the_test_beside_it_and_the_next_one_waits_for_it() -> None:
    log: list[str] = []
    shared = threading.Event()
    first = threading.Thread(target=_hold, args=(False, log, "shared", shared))
    alone = threading.Thread(target=_hold, args=(True, log, "alone"))
    later = threading.Thread(target=_hold, args=(False, log, "later"))
    first.start()
    shared.wait(5)
    _run(alone, later)
    assert log == ["shared in", "shared out", "alone in", "alone out", "later in", "later out"]


def test_tests_that_share_the_machine_run_at_once() -> None:
    log: list[str] = []
    _run(*(threading.Thread(target=_hold, args=(False, log, name)) for name in ("one", "two")))
    assert log[:2] == ["one in", "two in"]
