"""Sharing the machine between test workers (pytest-xdist runs two files at a time).

Most tests wait on an app server or a browser as much as they compute, so two at once take less time
than one after the other. A test that asserts on a rate or a lag, or waits for a run training in the
page to get somewhere within a time limit (marked `alone`), measures this machine's speed, and beside
another worker it measures that worker's load too: on a 2-core machine the Train charts' lag went over
its bound, and a pair of runs took over a minute to draw, with a second test computing beside them. So
every test takes a shared lock and an `alone` test takes it exclusively: it starts when the other
worker's test ends, and no other test starts until it has finished. (A helper module, not a test: tests/ is on sys.path.)
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ALONE = "alone"  # the marker


@contextmanager
def machine_share(alone: bool) -> Iterator[None]:
    """Hold the machine, shared or (alone) exclusively, for one test; nothing to hold in one process."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        yield
        return
    base = Path(tempfile.gettempdir()) / f"gan-explorer-tests-{run}"
    with open(f"{base}.turn", "a") as turn, open(f"{base}.share", "a") as share:
        # The turnstile: a test waiting to run alone holds it, so tests that come after it wait
        # rather than keep the shared lock taken (flock is not fair to a waiting exclusive lock).
        fcntl.flock(turn, fcntl.LOCK_EX)
        fcntl.flock(share, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        fcntl.flock(turn, fcntl.LOCK_UN)
        yield  # closing the files lets go of the lock
