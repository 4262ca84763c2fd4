"""Step cost: seconds per training step of preset variants, as ratios to the preset itself.

On a busy machine absolute timings drift; ratios measured in one process, rounds alternating
between the variants, do not (much). Combine with `time_to_digits.py --steps` (steps to readable
digits, which does not depend on the machine) to predict time to digits on a given CPU:
seconds = steps / (the preset's steps per second there * its cost / the variant's cost).

    python benchmarks/step_cost.py --threads 1 --variant "batch_size=32" --variant "dcgan_width=16"
"""
from __future__ import annotations

import argparse
import re
import statistics
import time

import torch
from time_to_digits import _parse_override
from torch import nn

from gan_explorer.data import load_mnist
from gan_explorer.device import cpu_summary
from gan_explorer.models import FewInputsLinear
from gan_explorer.presets import DEFAULT_PRESET, PRESETS, preset
from gan_explorer.trainer import Trainer

WARMUP_STEPS = 10


def seconds_per_step(trainer: Trainer, steps: int) -> float:
    """CPU seconds of this process per step: on a shared machine, unlike the wall clock, they do not
    count the time other processes held the cores (run with --threads 1 to compare like with like)."""
    start = time.process_time()
    for _ in range(steps):
        trainer.step()
    return (time.process_time() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--variant", action="append", default=[], metavar="FIELD=VALUE[,FIELD=VALUE]",
                        help="overrides of one variant, comma-separated, a tuple in brackets: "
                             "'batch_size=128,mlp_g_hidden=(64,64)' (repeatable)")
    parser.add_argument("--steps", type=int, default=20, help="steps per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--contiguous", action="store_true",
                        help="add the preset with its networks in the default layout (the Trainer picks "
                             "channels_last for fp32 on a CPU): what that choice is worth here")
    parser.add_argument("--foreach-adam", action="store_true",
                        help="add the preset with Adam's foreach kernels in place of the fused one "
                             "(optim.py): what the fused kernel is worth here")
    parser.add_argument("--two-pass-d", action="store_true",
                        help="add the preset with D scoring real and fake in two passes (algorithm.py's "
                             "_scores): what one pass is worth here, where D scores each sample alone")
    parser.add_argument("--plain-linear", action="store_true",
                        help="add the preset with nn.Linear where its 2-D networks read a few numbers "
                             "(models.FewInputsLinear): what that layer is worth here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{cpu_summary()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    data = load_mnist()
    names = [args.preset] + args.variant
    trainers = [Trainer(preset(args.preset, **dict(_parse_override(s) for s in re.split(r",(?![^()]*\))", v) if s)),
                        device="cpu", data=data) for v in [""] + args.variant]
    if args.contiguous:
        names.append(f"{args.preset} in contiguous layout")
        trainers.append(Trainer(preset(args.preset), device="cpu", data=data))
        for net in (trainers[-1].generator, trainers[-1].discriminator):
            net.to(memory_format=torch.contiguous_format)
    if args.foreach_adam:
        names.append(f"{args.preset} with foreach Adam")
        trainers.append(Trainer(preset(args.preset), device="cpu", data=data))
        for optimizer in (trainers[-1].g_optimizer, trainers[-1].d_optimizer):
            for group in optimizer.param_groups:  # read at each step
                group["fused"], group["foreach"] = False, True
    if args.two_pass_d:
        names.append(f"{args.preset} with D in two passes")
        trainers.append(Trainer(preset(args.preset), device="cpu", data=data))
        trainers[-1].d_scores_in_one_pass = False
    if args.plain_linear:
        names.append(f"{args.preset} with plain nn.Linear layers")
        trainers.append(Trainer(preset(args.preset), device="cpu", data=data))
        for net in (trainers[-1].generator, trainers[-1].discriminator):
            for module in net.modules():
                if isinstance(module, FewInputsLinear):
                    module.__class__ = nn.Linear  # the same weights, nn.Linear's product
    for trainer in trainers:
        seconds_per_step(trainer, WARMUP_STEPS)
    times: list[list[float]] = [[] for _ in trainers]
    for r in range(args.rounds):
        order = range(len(trainers)) if r % 2 == 0 else reversed(range(len(trainers)))
        for i in order:
            times[i].append(seconds_per_step(trainers[i], args.steps))
    base = statistics.median(times[0])
    print(f"{'variant':<50} {'steps/CPU s':>11} {'cost':>6}")
    for name, t in zip(names, times, strict=True):
        cost = statistics.median(a / b for a, b in zip(t, times[0], strict=True))
        print(f"{name:<50} {1 / statistics.median(t):11.1f} {cost:6.2f}")
    print(f"(cost: median over rounds of seconds per step / the preset's in the same round; preset {1 / base:.1f} steps per CPU second)")


if __name__ == "__main__":
    main()
