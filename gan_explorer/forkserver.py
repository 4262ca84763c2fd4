"""A clean process that forks the processes the lab's runs train in (process_run.py).

The web server itself is not safe to fork: its event loop runs in another thread, and a copy of it can
finalise the server's coroutines and touch the sockets and the epoll set both processes share (one test
suite in three hung on a request that was never answered when the server forked its children itself).
So the server starts this process once, fresh (fork and exec): it imports torch and the trainer, runs
no thread and no torch operation, and forks one child per run, which starts in milliseconds and shares
the imported modules' memory with it. It ends when the server closes its pipe (the server ending too).
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
import weakref
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger(__name__)

# Forking a process that has imported torch, without exec: done on Linux (as torch's data loaders do); macOS's
# system libraries are not safe to fork so, and Windows cannot fork. Elsewhere runs train in their threads.
SUPPORTED = sys.platform == "linux"
READY = "ready"  # its first word: the modules are imported and children can be asked for
START_S = 60.0  # how long a start may take (importing torch on a busy machine) before it counts as failed


class Forkserver:
    """The server's side: `start()` it early (it imports in the background), `child()` for each run."""

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python  # the interpreter it runs in: this process's
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: Connection | None = None
        self._ready = False

    def start(self) -> None:
        """Start the process if it is not running; returns at once (it imports torch meanwhile). A failure
        here is logged; each run asks again (`child`), and trains in its thread if it still fails."""
        if not SUPPORTED:
            return
        try:
            with self._lock:
                self._start()
        except OSError as e:
            log.warning("the training processes' forkserver did not start (%s)", e)

    def child(self) -> tuple[Connection, int] | None:
        """A new child running process_run.child_main: the server's end of its pipe, and its pid. None
        where no child could be made (logged) or the platform cannot fork: the caller trains in its own
        thread instead."""
        if not SUPPORTED:
            return None
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                self._start()
                if not self._ready:
                    self._wait_ready()
                assert self._pipe is not None and self._process is not None
                reduction.send_handle(self._pipe, theirs.fileno(), self._process.pid)
                pid = self._pipe.recv()
        except (OSError, EOFError, TimeoutError) as e:
            log.warning("no training process (%s: %s); training in the server's thread", type(e).__name__, e)
            ours.close()
            self.close()
            return None
        finally:
            theirs.close()
        return Connection(ours.detach()), pid

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        ours, theirs = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[1])  # this checkout's gan_explorer, wherever run from
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [self.python, "-m", "gan_explorer.forkserver", str(theirs.fileno())], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, env=env, start_new_session=True)  # Ctrl+C in a terminal is for the server
        theirs.close()
        self._pipe, self._ready = Connection(ours.detach()), False
        weakref.finalize(self, self._pipe.close)  # its pipe closed, it ends (also at the server's exit)

    def _wait_ready(self) -> None:
        assert self._pipe is not None
        if not self._pipe.poll(START_S):
            raise TimeoutError(f"the training process did not start in {START_S:.0f} s")
        if self._pipe.recv() != READY:
            raise OSError("the training process started wrongly")
        self._ready = True

    def close(self) -> None:
        """End the process (after a failure, so that the next run starts a fresh one; or when done with it)."""
        with self._lock:
            if self._pipe is not None:
                self._pipe.close()
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
            self._process = self._pipe = None


def serve(fd: int) -> None:
    """The forkserver's loop: a child per handle received, until the server closes the pipe."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # ended children are reaped by the kernel, not left as zombies
    from . import process_run  # torch and the trainer, imported once here and shared with every child
    process_run.warm_up()
    pipe = Connection(fd)
    try:
        pipe.send(READY)
    except OSError:  # the server let go of it while it was importing
        return
    while True:
        try:
            handle = reduction.recv_handle(pipe)
        except (EOFError, OSError):
            return
        pid = os.fork()
        if pid == 0:
            pipe.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                process_run.child_main(Connection(handle))
            except BaseException:  # a bug: said in the server's log; the server sees the pipe close
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(handle)
        pipe.send(pid)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
