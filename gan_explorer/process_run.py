"""Training in a process of its own: the steps of a lab session's runs are taken in a child of the
forkserver (forkserver.py), so the server's threads (Gradio's event loop, the planes' frames, the charts)
never hold the GIL the steps need. Beside a page in Chromium on 2 cores a thread's run made about 0.8x
the steps it makes alone (docs/lab2d.md, "A process of its own").

`in_process(trainers, pipe, steps, names, rest)` yields what compare.in_turn yields (each round's
metrics; RunDiverged when a run diverges), so the session's loop (sessions.py) reads the same either way:

- The child builds each run's Trainer from its config and takes the server's state of it: the weights,
  the optimisers' and schedulers' state, the random generators, the sampler's count, the step count.
- It sends its steps' metrics, with the weights they left, at most SEND_EVERY_S apart; the server
  writes them into its Trainer (`_mirror`), so frames, charts, diagnosis and checkpoints read the run
  as from a thread.
- Stop, slow motion (`rest()`) and live settings (Trainer.update, forwarded by `on_update`) reach the
  child between two rounds of steps.
- At the end the child sends the whole state back; the server's Trainer goes on from there, to the bit
  as if it had trained the steps itself.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

import torch

from .compare import RunDiverged, in_turn
from .datasets import DATASETS
from .history import StepMetrics
from .models import Dropout
from .presets import preset
from .trainer import Trainer

SEND_EVERY_S = 0.03  # the child sends its steps (and the weights they left) in batches at most this far apart
POLL_S = 0.05  # the server looks at Stop and slow motion at least this often
END_S = 5.0  # the child ends within a step of being told to; after this long it is killed
# The child yields a core to the server's threads when both want one: a class whose runs all train at
# once must not make the page wait.
NICENESS = 10


def can_train_apart(trainers: Sequence[Trainer]) -> bool:
    """Whether these runs can train in a child: on data drawn from a distribution (which a child builds
    from the config; a data set on disk, MNIST, would be read again) and on the CPU (a forked child
    cannot use a GPU its parent opened)."""
    return all(t.device.type == "cpu" and DATASETS[t.config.dataset].distribution is not None for t in trainers)


def in_process(trainers: Sequence[Trainer], pipe: Connection, pid: int, steps: int, names: Sequence[str],
               rest: Callable[[], float]) -> Iterator[tuple[StepMetrics, ...]]:
    """Train `steps` rounds of the runs, in turn, in the child at the other end of `pipe`; yield each round."""
    sending = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with sending, contextlib.suppress(OSError):  # a child that has ended takes no more
            pipe.send_bytes(pickle.dumps(message))

    def forward(index: int) -> Callable[[dict[str, Any]], None]:
        return lambda changes: send(("update", index, changes))

    send(("train", [t.config for t in trainers], [_state(t) for t in trainers], steps, list(names), rest()))
    for i, trainer in enumerate(trainers):
        trainer.on_update = forward(i)
    try:
        yield from _watch(trainers, pipe, send, rest)
    finally:
        for trainer in trainers:
            trainer.on_update = None
        send(("stop",))
        _end(pipe, pid)


def _watch(trainers: Sequence[Trainer], pipe: Connection, send: Callable[[tuple[Any, ...]], None],
           rest: Callable[[], float]) -> Iterator[tuple[StepMetrics, ...]]:
    """The server's side: mirror the child's steps, pass on Stop and slow motion, take the final state."""
    resting, stopping = rest(), False
    while True:
        if not stopping and any(t.stopped for t in trainers):
            send(("stop",))
            stopping = True
        if rest() != resting:
            resting = rest()
            send(("rest", resting))
        if not pipe.poll(POLL_S):
            continue
        try:
            kind, payload = pickle.loads(pipe.recv_bytes())
        except EOFError:  # it ended, or was killed, before its last word
            raise RuntimeError("the training process ended without a word") from None
        if kind == "steps":
            rounds, weights = payload
            for i, (trainer, flat) in enumerate(zip(trainers, weights)):
                _mirror(trainer, [round_[i] for round_ in rounds], flat)
            yield from rounds
        elif kind == "done":
            for trainer, state in zip(trainers, payload):
                _load_state(trainer, state)
            return
        else:  # "diverged": (message, index), the child's RunDiverged
            for trainer in trainers:
                trainer.stop()
            raise RunDiverged(*payload)


def _end(pipe: Connection, pid: int) -> None:
    """Wait for the child to close its end (it has ended), or kill it after END_S."""
    deadline = time.monotonic() + END_S
    with contextlib.suppress(EOFError, OSError):
        while pipe.poll(max(deadline - time.monotonic(), 0)):
            pipe.recv_bytes()  # what it sent after the end is not wanted
    if time.monotonic() >= deadline:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    pipe.close()


def _mirror(trainer: Trainer, steps: list[StepMetrics], flat: torch.Tensor) -> None:
    """Write the child's steps and the weights they left into the server's Trainer, in one hold of its lock
    (a frame never reads a history ahead of the weights)."""
    with trainer.lock:
        for metrics in steps:
            trainer.history.append(metrics)
        if steps:
            trainer.step_count, trainer.train_seconds = steps[-1].step, steps[-1].wall_time
        _copy_weights(trainer, flat)


def _tensors(trainer: Trainer) -> list[torch.Tensor]:
    """The networks' weights and buffers, in one order: G's, D's, G's average's."""
    networks = [trainer.generator, trainer.discriminator, trainer.generator_ema]
    return [t for network in networks if network is not None for t in network.state_dict().values()]


def _weights(trainer: Trainer) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in _tensors(trainer)])


@torch.no_grad()
def _copy_weights(trainer: Trainer, flat: torch.Tensor) -> None:
    """_weights' inverse, into the trainer's own tensors (the caller holds its lock)."""
    offset = 0
    for t in _tensors(trainer):
        t.copy_(flat[offset:offset + t.numel()].view_as(t))
        offset += t.numel()


def _generators(trainer: Trainer) -> list[torch.Generator]:
    """The random generators a step draws from besides the sampler's, in one order: z's, D's dropout's."""
    found = [trainer.rng, *(m.rng for m in trainer.discriminator.modules() if isinstance(m, Dropout))]
    return list({id(generator): generator for generator in found if generator is not None}.values())


def _state(trainer: Trainer) -> dict[str, Any]:
    """Everything a step reads or changes: the weights and what lies outside them."""
    with trainer.lock:
        return {"weights": _weights(trainer).clone(), "step_count": trainer.step_count,
                "train_seconds": trainer.train_seconds, "last_finish": trainer._last_finish,
                "sampler": trainer.sampler.state(), "generators": [g.get_state() for g in _generators(trainer)],
                "optimizers": [trainer.g_optimizer.state_dict(), trainer.d_optimizer.state_dict()],
                "schedulers": [s.state_dict() for s in trainer.schedulers]}


def _load_state(trainer: Trainer, state: dict[str, Any]) -> None:
    with trainer.lock:
        _copy_weights(trainer, state["weights"])
        trainer.step_count, trainer.train_seconds = state["step_count"], state["train_seconds"]
        trainer._last_finish = state["last_finish"]
        trainer.sampler.load_state(state["sampler"])
        for generator, saved in zip(_generators(trainer), state["generators"], strict=True):
            generator.set_state(saved)
        for optimizer, saved in zip((trainer.g_optimizer, trainer.d_optimizer), state["optimizers"]):
            optimizer.load_state_dict(saved)
        for scheduler, saved in zip(trainer.schedulers, state["schedulers"], strict=True):
            scheduler.load_state_dict(saved)


def warm_up() -> None:
    """Build a run once, in the forkserver, so that its children need not: building the first Trainer of
    a process imports about 900 modules (torch.optim's fused Adam pulls in torch._dynamo and sympy), a
    second on this machine. One thread, so that no thread pool exists to be forked."""
    torch.set_num_threads(1)
    Trainer(preset("ring"), device="cpu")


def child_main(pipe: Connection) -> None:
    """The child (forkserver.py forks it): the runs' steps, in turn, on one thread of its own."""
    os.nice(NICENESS)
    torch.set_num_threads(1)
    try:
        _, configs, states, steps, names, resting = pickle.loads(pipe.recv_bytes())
    except EOFError:  # the server let go of it before asking for anything
        return
    trainers = [Trainer(config, device="cpu") for config in configs]
    for trainer, state in zip(trainers, states):
        _load_state(trainer, state)
    controls = {"rest": resting}

    def send(kind: str, payload: Any) -> None:
        pipe.send_bytes(pickle.dumps((kind, payload)))
    batch: list[tuple[StepMetrics, ...]] = []
    sent = time.monotonic()
    try:
        for round_ in in_turn(trainers, steps, names):
            batch.append(round_)
            _take_messages(pipe, trainers, controls)
            if controls["rest"] > 0 or time.monotonic() - sent > SEND_EVERY_S:
                send("steps", (batch, [_weights(t) for t in trainers]))
                batch, sent = [], time.monotonic()
            if controls["rest"] > 0 and not pipe.poll(controls["rest"]):  # a message (Stop) ends the rest
                continue
            _take_messages(pipe, trainers, controls)
        send("steps", (batch, [_weights(t) for t in trainers]))
        _take_messages(pipe, trainers, controls)  # a rate sent as the run ended is in the state sent back
        send("done", [_state(t) for t in trainers])
    except RunDiverged as e:
        send("steps", (batch, [_weights(t) for t in trainers]))
        send("diverged", (str(e), e.index))


def _take_messages(pipe: Connection, trainers: Sequence[Trainer], controls: dict[str, float]) -> None:
    """Live settings, slow motion and Stop from the server, as many as have come."""
    try:
        while pipe.poll():
            message = pickle.loads(pipe.recv_bytes())
            if message[0] == "update":
                trainers[message[1]].update(**message[2])
            elif message[0] == "rest":
                controls["rest"] = message[1]
            else:  # "stop": in_turn ends where a round of steps ends
                trainers[0].stop()
    except EOFError:  # the server has stopped listening: nothing more comes
        trainers[0].stop()
