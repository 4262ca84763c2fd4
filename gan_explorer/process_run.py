"""Training in a process of its own: the steps of a session's runs (the 2-D lab's) are taken in a forked
child, so the server's threads (Gradio's event loop, the planes' frames, the charts) never hold the GIL
the training needs. Beside a page in Chromium on 2 cores this took a run from about 0.75x to the speed
it has alone (docs/lab2d.md, "A process of its own").

`in_process(trainers, steps, names, rest)` yields what compare.in_turn yields (each round's metrics,
RunDiverged when a run diverges), so the session's loop (sessions.py) reads the same either way:

- Before the fork, G's, D's (and G's average's) weights move to shared memory: each step's update is in
  the parent's networks at once, and a frame reads them there (a frame may mix two steps' weights).
- The child sends each step's metrics; the parent writes them into its Trainer's history and step count
  (`_mirror`), so charts, diagnosis, quality checks and checkpoints read the run as from a thread.
- Stop (the parent trainer's stop()), slow motion (`rest()`, read at every batch) and live settings
  (Trainer.update, forwarded by `on_update`) reach the child between two rounds of steps.
- At the end the child sends what is not shared: the optimisers' and schedulers' state, the random
  generators' states, the sampler's count. The parent's Trainer goes on from there, as if it had trained.

A session asks for it (`Session.apart`: the lab's do) and gets it where the OS can fork and the runs are
on the CPU (`can_train_apart`); otherwise, and for the Train tab's runs (which Pause holds between two
steps, and which borrow a second core while nobody uses the page), the session's thread trains.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from .compare import RunDiverged, in_turn
from .history import StepMetrics
from .models import Dropout
from .trainer import Trainer

SEND_EVERY_S = 0.02  # the child sends its steps' metrics in batches, at most this far apart
POLL_S = 0.05  # the parent looks at Stop and slow motion at least this often
JOIN_S = 5.0  # the child ends within a step of being told to; after this long it is killed
# The child yields a core to the server's threads when both want one: a class whose runs all train at
# once must not make the page wait (a thread's runs shared the GIL with the server; processes do not).
NICENESS = 10


def can_train_apart(trainers: Sequence[Trainer]) -> bool:
    """Whether these runs can train in a forked process: on the CPU (a forked child cannot use a GPU
    its parent opened), on Linux (where forking a process with threads is what torch's own data
    loaders do; macOS's system libraries are not safe to fork)."""
    return sys.platform == "linux" and all(t.device.type == "cpu" for t in trainers)


def in_process(trainers: Sequence[Trainer], steps: int, names: Sequence[str],
               rest: Callable[[], float]) -> Iterator[tuple[StepMetrics, ...]]:
    """Train `steps` rounds of the runs, in turn, in a forked child; yield each round's metrics."""
    context = multiprocessing.get_context("fork")
    for trainer in trainers:
        _share_weights(trainer)
    to_child, from_parent = context.Pipe()
    from_child, to_parent = context.Pipe(duplex=False)
    stop, resting = context.Event(), context.Value("d", rest(), lock=False)
    child = context.Process(target=_child_main, name="gan-explorer-train-apart", daemon=True,
                            args=(trainers, steps, names, from_parent, to_parent, stop, resting))
    sending = threading.Lock()

    def forward(index: int) -> Callable[[dict[str, Any]], None]:
        def send(changes: dict[str, Any]) -> None:
            with sending, contextlib.suppress(OSError):  # a child that has ended takes no more
                to_child.send((index, changes))
        return send
    child.start()
    to_parent.close()  # the child's ends
    from_parent.close()
    for i, trainer in enumerate(trainers):
        trainer.on_update = forward(i)
    try:
        yield from _watch(trainers, child, from_child, stop, resting, rest)
    finally:
        for trainer in trainers:
            trainer.on_update = None
        stop.set()
        from_child.close()  # a child still sending gets a broken pipe rather than wait for a reader
        with sending:
            to_child.close()
        child.join(JOIN_S)
        if child.is_alive():
            child.kill()


def _watch(trainers: Sequence[Trainer], child: Any, from_child: Any, stop: Any, resting: Any,
           rest: Callable[[], float]) -> Iterator[tuple[StepMetrics, ...]]:
    """The parent's side: mirror the child's steps, pass on Stop and slow motion, take the final state."""
    while True:
        if any(t.stopped for t in trainers):
            stop.set()
        resting.value = rest()
        if not from_child.poll(POLL_S):
            continue
        try:
            kind, payload = pickle.loads(from_child.recv_bytes())
        except EOFError:  # it ended, or was killed, before its last word
            child.join(JOIN_S)
            raise RuntimeError(f"the training process ended without a word (exit code {child.exitcode})") from None
        if kind == "steps":
            for round_ in payload:
                for trainer, metrics in zip(trainers, round_):
                    _mirror(trainer, metrics)
                yield round_
        elif kind == "done":
            for trainer, state in zip(trainers, payload):
                _load_loose_state(trainer, state)
            return
        else:  # "diverged": (message, index), the child's RunDiverged
            for trainer in trainers:
                trainer.stop()
            raise RunDiverged(*payload)


def _mirror(trainer: Trainer, metrics: StepMetrics) -> None:
    with trainer.lock:
        trainer.history.append(metrics)
        trainer.step_count, trainer.train_seconds = metrics.step, metrics.wall_time


def _share_weights(trainer: Trainer) -> None:
    for network in (trainer.generator, trainer.discriminator, trainer.generator_ema):
        if network is not None:
            network.share_memory()


def _generators(trainer: Trainer) -> list[torch.Generator]:
    """The random generators a step draws from besides the sampler's, in one order: z's, D's dropout's."""
    found = [trainer.rng, *(m.rng for m in trainer.discriminator.modules() if isinstance(m, Dropout))]
    return list({id(generator): generator for generator in found if generator is not None}.values())


def _loose_state(trainer: Trainer) -> dict[str, Any]:
    """What a step changes outside the shared weights."""
    return {"step_count": trainer.step_count, "train_seconds": trainer.train_seconds,
            "last_finish": trainer._last_finish, "sampler": trainer.sampler.state(),
            "generators": [g.get_state() for g in _generators(trainer)],
            "optimizers": [trainer.g_optimizer.state_dict(), trainer.d_optimizer.state_dict()],
            "schedulers": [s.state_dict() for s in trainer.schedulers]}


def _load_loose_state(trainer: Trainer, state: dict[str, Any]) -> None:
    with trainer.lock:
        trainer.step_count, trainer.train_seconds = state["step_count"], state["train_seconds"]
        trainer._last_finish = state["last_finish"]
        trainer.sampler.load_state(state["sampler"])
        for generator, saved in zip(_generators(trainer), state["generators"], strict=True):
            generator.set_state(saved)
        for optimizer, saved in zip((trainer.g_optimizer, trainer.d_optimizer), state["optimizers"]):
            optimizer.load_state_dict(saved)
        for scheduler, saved in zip(trainer.schedulers, state["schedulers"], strict=True):
            scheduler.load_state_dict(saved)


def _child_main(trainers: Sequence[Trainer], steps: int, names: Sequence[str], from_parent: Any, to_parent: Any,
                stop: Any, resting: Any) -> None:
    """The child: the runs' steps, in turn, on one thread of its own."""
    os.nice(NICENESS)
    torch.set_num_threads(1)
    for trainer in trainers:
        trainer.renew_locks()  # another thread of the parent may have held one as it forked
    batch: list[tuple[StepMetrics, ...]] = []
    sent = time.monotonic()
    try:
        for round_ in in_turn(trainers, steps, names):
            batch.append(round_)
            _take_updates(trainers, from_parent)
            if stop.is_set():
                trainers[0].stop()  # in_turn ends where a round of steps ends
            if resting.value > 0 or time.monotonic() - sent > SEND_EVERY_S:
                to_parent.send_bytes(pickle.dumps(("steps", batch)))
                batch, sent = [], time.monotonic()
            if resting.value > 0:
                stop.wait(resting.value)
        to_parent.send_bytes(pickle.dumps(("steps", batch)))
        _take_updates(trainers, from_parent)  # a rate sent as the run ended is in the state sent back
        to_parent.send_bytes(pickle.dumps(("done", [_loose_state(t) for t in trainers])))
    except RunDiverged as e:
        to_parent.send_bytes(pickle.dumps(("steps", batch)))
        to_parent.send_bytes(pickle.dumps(("diverged", (str(e), e.index))))


def _take_updates(trainers: Sequence[Trainer], from_parent: Any) -> None:
    with contextlib.suppress(EOFError):  # the parent has stopped listening: nothing more comes
        while from_parent.poll():
            index, changes = from_parent.recv()
            trainers[index].update(**changes)
