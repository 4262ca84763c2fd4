"""Time to digits in the app: seconds from pressing Start to readable digits, as a class waits for them.

`time_to_digits.py` times the Trainer alone. Here the app runs in this process (as tests/conftest.py
launches it, with its thread setting and its warm-up done), a gradio_client presses Start with the
defaults (`/train`, the `fast` preset) and reads the stream as a page would, so the clock includes what
the app does beside training: the live charts and grid every 0.8 s, the quality checks, the core it
lends or keeps. Every --eval-every seconds the run is paused while its snapshot is scored by
time_to_digits' criterion (2,000 samples, >= 80% read with confidence >= 0.9, every digit 5-15%); the
pauses are left out of the clock.

    python benchmarks/app_time_to_digits.py --runs 3
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # time_to_digits

from gradio_client import Client
from time_to_digits import readability

from gan_explorer.classifier import load_classifier
from gan_explorer.device import cpu_summary
from gan_explorer.trainer import Trainer, live_runs

WARM_UP_S = 20.0  # the app's start-up preparation (MNIST, the judge, the shipped models) has finished


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _new_run(before: set[int], timeout_s: float = 30.0) -> Trainer:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fresh = [run for run in live_runs() if id(run) not in before and run.step_count > 0]
        if fresh:
            return fresh[0]  # type: ignore[return-value]
        time.sleep(0.05)
    raise RuntimeError("no run started")


def one_run(url: str, classifier: object, seconds: float, eval_every: float) -> float | None:
    """Press Start, score the run every eval_every seconds of the clock; the first readable time or None."""
    before = {id(run) for run in live_runs()}
    client = Client(url, verbose=False, analytics_enabled=False)
    start, paused = time.perf_counter(), 0.0
    job = client.submit(api_name="/train")
    trainer = _new_run(before)
    reached, next_eval = None, eval_every
    while reached is None and time.perf_counter() - start - paused < seconds:
        time.sleep(max(0.0, next_eval - (time.perf_counter() - start - paused)))
        pause_start = time.perf_counter()
        trainer.pause()
        clock = pause_start - start - paused
        r = readability(trainer.snapshot(), classifier, 2000)  # type: ignore[arg-type]
        trainer.resume()
        paused += time.perf_counter() - pause_start
        print(f"{clock:8.1f} s  step {trainer.step_count:5d}  confident {r.confident:.3f}  "
              f"digits {100 * r.min_share:.1f}-{100 * r.max_share:.1f}%{'  readable' if r.readable else ''}",
              flush=True)
        reached = clock if r.readable else None
        next_eval += eval_every
    client.predict(api_name="/stop")
    job.cancel()
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="Starts, one after another (each a new session)")
    parser.add_argument("--seconds", type=float, default=60.0, help="give up after this long on the clock")
    parser.add_argument("--eval-every", type=float, default=3.0)
    args = parser.parse_args()
    from gan_explorer.ui import build_demo, configure_torch_threads, launch_options

    configure_torch_threads()  # as app.py does
    demo = build_demo()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            quiet=True, **launch_options())
    print(cpu_summary(), f"| load average {os.getloadavg()[0]:.2f}")
    time.sleep(WARM_UP_S)
    classifier = load_classifier()
    try:
        for i in range(args.runs):
            reached = one_run(url, classifier, args.seconds, args.eval_every)
            print(f"run {i + 1}: time to digits in the app: "
                  f"{f'{reached:.1f} s' if reached is not None else f'not reached in {args.seconds:g} s'}")
    finally:
        demo.close()


if __name__ == "__main__":
    main()
