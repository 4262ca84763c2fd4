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

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from .device import usable_cpus

IDLE_S = 1.0  # no request for this long: nobody is dragging a slider (a drag asks several times a second)


def pin(threads: int) -> None:
    """Set the calling thread's PyTorch thread count. A thread's first PyTorch call sets its count
    from the process-wide one, which would undo a count set before it: make that call first."""
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class CoreShare:
    """The cores of one server process, shared between its training runs and its requests.

    `server_threads`: what training leaves the server (all cores but one, at least one).
    `training_threads()`: all cores while exactly one run trains and no request came for IDLE_S,
    else `server_threads`. `fixed` turns borrowing off (an explicit thread count was asked for)."""

    def __init__(self, cores: int | None = None, fixed: int | None = None, idle_s: float = IDLE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cores = cores if cores is not None else usable_cpus()
        self.server_threads = fixed if fixed is not None else max(1, self.cores - 1)
        self.borrows = fixed is None and self.cores > self.server_threads
        self._idle_s, self._clock = idle_s, clock
        self._last_request = clock()
        self._training = 0
        self._lock = threading.Lock()

    def request(self) -> None:
        """A request arrived (a click, a slider): training gives the borrowed core back, and the
        calling thread computes on the server's share."""
        self._last_request = self._clock()
        pin(self.server_threads)

    @contextmanager
    def training(self) -> Iterator[None]:
        """Count a run's training thread while it trains (a comparison's two runs are one thread)."""
        with self._lock:
            self._training += 1
        try:
            yield
        finally:
            with self._lock:
                self._training -= 1

    def training_threads(self) -> int:
        alone = self._training == 1
        idle = self._clock() - self._last_request >= self._idle_s
        return self.cores if self.borrows and alone and idle else self.server_threads

    def on_server_share(self, fn: Callable[..., object]) -> Callable[..., object]:
        """`fn` run on the server's share, for work a training thread starts in a thread of its own."""
        def call(*args: object, **kwargs: object) -> object:
            pin(self.server_threads)
            return fn(*args, **kwargs)
        return call
