"""Time to digits: seconds from pressing Train to samples a class can read.

"Readable" (issue 5): of 2,000 samples from the fixed-seed generator snapshot, at least 80% are
classified with confidence >= 0.9 by the project's MNIST classifier, and every digit makes up
5%..15% of them. The clock covers what a user waits for: building the Trainer (data + models)
and training; the evaluations in between are paused out of it, as the app runs them off the
training thread.

    python benchmarks/time_to_digits.py                       # the default preset
    python benchmarks/time_to_digits.py --preset mlp-classic --seconds 120
    python benchmarks/time_to_digits.py --set g_lr=5e-4 --set batch_size=128

Steps to digits (`--steps`): the same criterion on a step clock, every `--eval-steps` steps, for
each of `--seeds`. On the CPU a run is deterministic given its seed, so this figure does not
depend on how busy the machine is; time to digits on a machine is then steps / its steps per second.

    python benchmarks/time_to_digits.py --threads 1 --steps 1500 --eval-steps 50 --seeds 0,1,2

`--threads app` trains as the app's training thread does (gan_explorer/cores.py): on the server's share
of the cores, and on all of them while the run trains alone and nobody uses the page, which is the case
the clock measures (a teacher pressed Start and the class watches). `--requests-per-s R` adds a student
asking the server R times a second (a slider drag: about 8), who keeps training to the server's share.
"""
from __future__ import annotations

import argparse
import ast
import time
from dataclasses import dataclass

import torch

from gan_explorer.classifier import load_classifier
from gan_explorer.cores import Borrower, CoreShare
from gan_explorer.data import load_mnist
from gan_explorer.device import cpu_summary
from gan_explorer.presets import DEFAULT_PRESET, PRESETS, preset
from gan_explorer.trainer import Trainer

CONFIDENCE = 0.9
MIN_CONFIDENT = 0.80
DIGIT_SHARE = (0.05, 0.15)


@dataclass
class Readability:
    confident: float  # share of samples with max softmax >= CONFIDENCE
    min_share: float
    max_share: float

    @property
    def readable(self) -> bool:
        return (self.confident >= MIN_CONFIDENT
                and DIGIT_SHARE[0] <= self.min_share and self.max_share <= DIGIT_SHARE[1])


@torch.no_grad()
def readability(generator: torch.nn.Module, classifier: torch.nn.Module, n: int, seed: int = 1234) -> Readability:
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n, generator.latent_dim, generator=rng)
    labels = torch.arange(n) % 10 if generator.conditional else None
    probs = classifier(generator.cpu()(z, labels)).softmax(1)
    confidence, digit = probs.max(1)
    shares = torch.bincount(digit, minlength=10).float() / n
    return Readability((confidence >= CONFIDENCE).float().mean().item(), shares.min().item(), shares.max().item())


def measure(preset_name: str, overrides: dict, seconds: float, eval_every: float, n: int,
            data_root: str | None, borrower: Borrower | None = None, requests_per_s: float = 0.0) -> float | None:
    """Train for `seconds` (training clock), print the readability curve; return time to digits or None."""
    classifier = load_classifier()
    load_mnist(data_root)  # warm the file cache: a class has run the app before
    config = preset(preset_name, **overrides)
    if borrower is not None:
        borrower.share.request()  # pressing Start is a request: the first IDLE_S train on the server's share
    start = time.perf_counter()
    trainer = Trainer(config, device="cpu", data_root=data_root)
    clock = time.perf_counter() - start  # building the trainer counts
    threads = "app" if borrower is not None else torch.get_num_threads()
    print(f"preset={preset_name} {overrides or ''} threads={threads} build={clock:.2f}s")
    print(f"{'seconds':>8} {'step':>6} {'epoch':>6} {'confident':>9} {'min%':>6} {'max%':>6}")
    next_eval, reached, next_request = eval_every, None, 0.0
    while clock < seconds:
        t0 = time.perf_counter()
        if borrower is not None:
            if requests_per_s and clock >= next_request:
                borrower.share.request()
                next_request += 1 / requests_per_s
            borrower.next_round()
        trainer.step()
        clock += time.perf_counter() - t0
        if clock >= next_eval:
            r = readability(trainer.snapshot(), classifier, n)
            print(f"{clock:8.1f} {trainer.step_count:6d} {trainer.sampler.epoch:6.2f} {r.confident:9.3f} "
                  f"{100 * r.min_share:6.1f} {100 * r.max_share:6.1f}{'  readable' if r.readable else ''}",
                  flush=True)
            if r.readable and reached is None:
                reached = clock
            next_eval += eval_every
            if borrower is not None:
                borrower.skip_round()
    print(f"time to digits: {f'{reached:.1f} s' if reached is not None else f'not reached in {seconds:g} s'}")
    return reached


def steps_to_digits(preset_name: str, overrides: dict, seed: int, max_steps: int, eval_steps: int,
                    n: int, data_root: str | None, confirm: int = 2) -> int | None:
    """Train on a step clock; return the first step at which the samples were readable, or None.

    Stops once `confirm` evaluations in a row were readable (the first of them is the result),
    so a lucky single check is visible as a readable line followed by an unreadable one."""
    classifier = load_classifier()
    config = preset(preset_name, **{**overrides, "seed": seed})
    trainer = Trainer(config, device="cpu", data=load_mnist(data_root))
    first, streak = None, 0
    while trainer.step_count < max_steps and streak < confirm:
        trainer.step()
        if trainer.step_count % eval_steps:
            continue
        r = readability(trainer.snapshot(), classifier, n)
        streak = streak + 1 if r.readable else 0
        first = trainer.step_count if streak == 1 else first if streak else None
        print(f"  seed {seed} step {trainer.step_count:5d} confident {r.confident:.3f} "
              f"min {100 * r.min_share:4.1f}% max {100 * r.max_share:4.1f}%{'  readable' if r.readable else ''}",
              flush=True)
    return first if streak >= confirm or (first is not None and trainer.step_count >= max_steps) else None


def _parse_override(text: str) -> tuple[str, object]:
    key, _, value = text.partition("=")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a TrainConfig field (repeatable)")
    parser.add_argument("--seconds", type=float, default=60.0, help="training-clock budget")
    parser.add_argument("--eval-every", type=float, default=5.0, help="seconds of training between evaluations")
    parser.add_argument("--n", type=int, default=2000, help="samples per evaluation")
    parser.add_argument("--threads", default=None,
                        help="torch threads, or 'app': as the app's training thread (default: torch's choice)")
    parser.add_argument("--requests-per-s", type=float, default=0.0,
                        help="with --threads app: a student's requests a second, which give the core back")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--steps", type=int, default=None,
                        help="measure steps to digits instead: train up to this many steps per seed")
    parser.add_argument("--eval-steps", type=int, default=50, help="with --steps: steps between evaluations")
    parser.add_argument("--seeds", default="0,1,2", help="with --steps: comma-separated training seeds")
    args = parser.parse_args()
    cores = CoreShare() if args.threads == "app" else None
    if cores is not None:
        print(f"threads as the app's: {cores.server_threads}, {cores.cores} while alone and idle")
    elif args.threads:
        torch.set_num_threads(int(args.threads))
    print(f"{cpu_summary()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    overrides = dict(_parse_override(s) for s in args.set)
    if args.steps is None:
        if cores is not None:
            with cores.training() as borrower:
                measure(args.preset, overrides, args.seconds, args.eval_every, args.n, args.data_root,
                        borrower, args.requests_per_s)
                medians = {threads: borrower.round_time(threads) for threads in sorted(borrower.times)}
                print("seconds per step by thread count (median of the last rounds): "
                      + ", ".join(f"{k}: {v:.4f}" for k, v in medians.items() if v is not None))
        else:
            measure(args.preset, overrides, args.seconds, args.eval_every, args.n, args.data_root)
        return
    firsts = [steps_to_digits(args.preset, overrides, int(seed), args.steps, args.eval_steps, args.n,
                              args.data_root) for seed in args.seeds.split(",")]
    print(f"steps to digits: preset={args.preset} {overrides or ''} seeds {args.seeds}: "
          f"{' '.join(str(f) if f is not None else f'>{args.steps}' for f in firsts)}")


if __name__ == "__main__":
    main()
