"""A class in the 2-D lab: several runs training at once, and how long a server's handler takes beside them.

The lab's runs train in processes of their own (gan_explorer/process_run.py), which share no GIL with
the server; this checks they leave the server its cores. `--runs` lab sessions (`ring-slow-d`, one seed
each) train at full speed while the main thread times a handler-sized job 30 times: a 784-output MLP's
forward pass on 64 z, 20 times, and some Python (about 11 ms alone on 2 AVX2 cores). `--in-thread`
trains them in their sessions' threads instead (the baseline).

    python benchmarks/lab_class.py --runs 6
    python benchmarks/lab_class.py --runs 6 --in-thread
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from gan_explorer.device import cpu_summary
from gan_explorer.forkserver import Forkserver
from gan_explorer.presets import preset
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer

JOBS = 30


def _job(network: torch.nn.Module) -> float:
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(20):
            network(torch.randn(64, 100))
    sum(i * i for i in range(20_000))  # a handler's own Python
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--in-thread", action="store_true", help="train in the sessions' threads (the baseline)")
    args = parser.parse_args()
    forkserver = None if args.in_thread else Forkserver()
    torch.set_num_threads(2)
    network = torch.nn.Sequential(torch.nn.Linear(100, 512), torch.nn.ReLU(), torch.nn.Linear(512, 784))
    alone = statistics.median(_job(network) for _ in range(JOBS))
    runs = []
    for seed in range(args.runs):
        session, trainer = Session(apart=forkserver), Trainer(preset("ring-slow-d", seed=seed), device="cpu")
        session.start_run(trainer, 10_000_000, None, 100)
        runs.append((session, trainer))
    time.sleep(5.0)  # past the forkserver's start and the first steps
    steps, start = [t.step_count for _, t in runs], time.perf_counter()
    beside = [_job(network) for _ in range(JOBS)]
    elapsed = time.perf_counter() - start
    total = sum(t.step_count - s for (_, t), s in zip(runs, steps)) / elapsed
    for session, _ in runs:
        session.stop_run()
    where = "in their threads" if args.in_thread else "apart"
    print(f"{cpu_summary()} | load average {os.getloadavg()[0]:.2f}")
    print(f"{args.runs} runs {where}: the job {1e3 * alone:.0f} ms alone, {1e3 * statistics.median(beside):.0f} ms "
          f"beside them (max {1e3 * max(beside):.0f}); the runs made {total:.0f} steps/s in all")


if __name__ == "__main__":
    main()
