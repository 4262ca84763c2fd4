"""How many CPU threads training uses, from moment to moment, in a server that also draws pages.

On a small CPU (a 2-vCPU Space, a laptop) one core is kept for the web server, the live charts and
the sliders, and training takes the others. But for most of a lesson's first minute nobody touches
the page: the teacher pressed Start and the room watches. Then a run that trains alone may borrow
the server's core too (the default preset reaches readable digits about 1.5 times sooner on a
2-core CPU, benchmarks/time_to_digits.py), and gives it back before its next step once anyone asks
the server for anything.

PyTorch's thread count belongs to each thread (OpenMP's setting), but `torch.set_num_threads` also
sets the count a thread not yet started takes at its first parallel operation. So every thread that
computes sets its own: the training thread `training_threads()`, handlers and quality checks
`server_threads` (`pin`).
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from .device import usable_cpus

IDLE_S = 1.0  # no request for this long: nobody is dragging a slider (a drag asks several times a second)
# Borrowing must pay: on a busy machine (a browser beside the server, other jobs) two OpenMP threads on
# two cores wait for each other at every barrier and a step can take ten times as long as on one.
GAIN = 0.85  # borrow while a round of steps on every core takes under this share of a round without
WINDOW = 9  # the last rounds timed at each thread count; their median is judged, so the first use of a
            # count (oneDNN compiles its kernels for it), a paused or a slow round does not decide
MIN_SAMPLES = 5  # rounds timed at a thread count before it is judged
RETRY_EVERY = 300  # rounds before borrowing that did not pay is tried again; doubled after each failed try
MAX_RETRY_EVERY = 4800


def pin(threads: int) -> None:
    """Set the calling thread's PyTorch thread count. A thread's first PyTorch call sets its count
    from the process-wide one, which would undo a count set before it: make that call first."""
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class CoreShare:
    """The cores of one server process, shared between its training runs and its requests.

    `server_threads`: what training leaves the server (all cores but one, at least one).
    `may_borrow()`: exactly one run trains, no request came for IDLE_S and no work of the server's runs
    (a quality check, `on_server_share`). `fixed` turns borrowing off (an explicit count was asked for)."""

    def __init__(self, cores: int | None = None, fixed: int | None = None, idle_s: float = IDLE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cores = cores if cores is not None else usable_cpus()
        self.server_threads = fixed if fixed is not None else max(1, self.cores - 1)
        self.borrows = fixed is None and self.cores > self.server_threads
        self._idle_s, self._clock = idle_s, clock
        self._last_request = clock()
        self._training = 0
        self._server_work = 0
        self._lock = threading.Lock()

    def request(self) -> None:
        """A request arrived (a click, a slider): training gives the borrowed core back, and the
        calling thread computes on the server's share."""
        self._last_request = self._clock()
        pin(self.server_threads)

    @contextmanager
    def training(self) -> Iterator[Borrower]:
        """A training thread's Borrower while it trains (a comparison's two runs are one thread)."""
        with self._counted("_training"):
            yield Borrower(self)

    def may_borrow(self) -> bool:
        alone, idle = self._training == 1 and self._server_work == 0, self._clock() - self._last_request >= self._idle_s
        return self.borrows and alone and idle

    @contextmanager
    def _counted(self, attribute: str) -> Iterator[None]:
        with self._lock:
            setattr(self, attribute, getattr(self, attribute) + 1)
        try:
            yield
        finally:
            with self._lock:
                setattr(self, attribute, getattr(self, attribute) - 1)

    def on_server_share(self, fn: Callable[..., object]) -> Callable[..., object]:
        """`fn` run on the server's share, for work a training thread starts in a thread of its own
        (a quality check): while it runs, the server's core is not lent."""
        def call(*args: object, **kwargs: object) -> object:
            pin(self.server_threads)
            with self._counted("_server_work"):
                return fn(*args, **kwargs)
        return call


class Borrower:
    """One training thread's thread count, chosen between two rounds of steps: every core while the
    share allows it and rounds are measured faster so, else the training share. The last rounds at each
    count are timed as the run goes (a few before judging, by their median); borrowing that did not pay
    is tried again now and then, as the machine may have become quieter."""

    def __init__(self, share: CoreShare, clock: Callable[[], float] = time.perf_counter) -> None:
        self.share, self._clock = share, clock
        self.threads = share.server_threads
        self.times: dict[int, deque[float]] = defaultdict(lambda: deque(maxlen=WINDOW))  # seconds per round
        self._round_start: float | None = None
        self._uncounted = True  # the round after a change of count warms a thread pool up: not counted
        self._rounds_since_try = 0
        self._retry_every = RETRY_EVERY

    def round_time(self, threads: int) -> float | None:
        """The median of the last rounds timed on `threads`, or None before MIN_SAMPLES of them."""
        times = self.times.get(threads)
        return statistics.median(times) if times and len(times) >= MIN_SAMPLES else None

    def next_round(self) -> int:
        """Time the round that ended, pin the thread count of the next one and return it."""
        now = self._clock()
        if self._round_start is not None and not self._uncounted:
            self.times[self.threads].append(now - self._round_start)
        threads = self._choose()
        self._uncounted, self.threads = threads != self.threads, threads
        pin(threads)
        self._round_start = self._clock()
        return threads

    def skip_round(self) -> None:
        """The time until the next round was not training (an evaluation between steps): not counted."""
        self._uncounted = True

    def _choose(self) -> int:
        base, every = self.share.server_threads, self.share.cores
        if not self.share.may_borrow():
            return base
        for threads in (base, every):  # measure each before judging
            if self.round_time(threads) is None:
                return threads
        if self.round_time(every) < GAIN * self.round_time(base):  # type: ignore[operator]
            self._retry_every = RETRY_EVERY
            return every
        self._rounds_since_try += 1
        if self._rounds_since_try >= self._retry_every:  # a failed try costs rounds: wait longer each time
            self._rounds_since_try, self._retry_every = 0, min(2 * self._retry_every, MAX_RETRY_EVERY)
            self.times[every].clear()
        return base
