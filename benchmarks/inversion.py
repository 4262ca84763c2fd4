"""Inversion and directions on the shipped checkpoints: how often the z found redraws the same digit,
how much closer than chance it gets, what it costs, and how much the discovered directions move G.

For each checkpoint, `--digits` MNIST test digits (the first of each class in turn) are inverted at
the default effort. Printed per checkpoint: the share whose reconstruction the classifier reads as
the target's digit, the mean distance against the best of as many random z, the seconds per
inversion (mean and worst) and that as a multiple of one G forward pass on a batch of 64 timed in
the same run (the machine is shared: the multiple travels, the seconds do not), and the process's CPU
seconds (with one thread, what a quiet machine's wall clock would show). Then, per direction
method, the mean change of G along the top direction over a random direction of the same length.

    python benchmarks/inversion.py --digits 50 --threads 1
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from gan_explorer.checkpoints import SHIPPED_DIR, load_checkpoint
from gan_explorer.classifier import load_classifier
from gan_explorer.data import load_mnist
from gan_explorer.device import cpu_summary
from gan_explorer.directions import METHODS, find_directions, mean_change
from gan_explorer.inversion import best_random_distance, evaluations, invert, labels_to_try
from gan_explorer.latent import generate
from gan_explorer.models import NUM_CLASSES, Generator

SHIPPED = ("dcgan", "dcgan_conditional", "dcgan_wgan_gp", "mlp")


def forward_seconds(generator: Generator, repeats: int = 20) -> float:
    """The baseline: one G forward pass on a batch of 64 (median of `repeats`)."""
    z = torch.randn(64, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        generate(generator, z, 0 if generator.conditional else None)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_digits(n: int) -> list[int]:
    """Indices of n MNIST test digits, cycling through the classes (the k-th image of each in turn)."""
    labels = load_mnist(train=False).labels
    by_digit = [(labels == d).nonzero().flatten().tolist() for d in range(NUM_CLASSES)]
    return [by_digit[i % NUM_CLASSES][i // NUM_CLASSES] for i in range(n)]


def bench_inversion(name: str, generator: Generator, indices: list[int]) -> None:
    classifier, test = load_classifier(), load_mnist(train=False)
    baseline = forward_seconds(generator)
    same, seconds, cpu_seconds, ratios = 0, [], [], []
    for seed, i in enumerate(indices):
        start, cpu_start = time.perf_counter(), time.process_time()
        found = invert(generator, test.images[i], classify=classifier, seed=seed)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
        with torch.no_grad():
            same += int(classifier(found.reconstruction[None]).argmax()) == int(test.labels[i])
        tries = len(labels_to_try(generator, found.target, classifier)) * evaluations()
        label = int(test.labels[i]) if generator.conditional else None
        ratios.append(found.distance / best_random_distance(generator, found.target, tries, label, seed))
    mean = statistics.mean(seconds)
    print(f"{name}: same digit {same}/{len(indices)} ({same / len(indices):.0%}); distance / best of "
          f"{tries} random z {statistics.mean(ratios):.2f} (worst {max(ratios):.2f}); {mean:.2f} s per "
          f"inversion (worst {max(seconds):.2f} s; CPU time {statistics.mean(cpu_seconds):.2f} s, worst "
          f"{max(cpu_seconds):.2f} s) = {mean / baseline:.0f}x one forward pass on 64 z ({baseline * 1000:.1f} ms)")


def bench_directions(name: str, generator: Generator) -> None:
    random = torch.randn(32, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    chance = float(mean_change(generator, random / random.norm(dim=1, keepdim=True), seed=1).mean())
    for method in METHODS:
        top = find_directions(generator, method, 5)
        changes = (mean_change(generator, top, seed=1) / chance).tolist()
        print(f"{name} {method}: change along the top 5 directions / along a random one: "
              f"{', '.join(f'{c:.2f}' for c in changes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits", type=int, default=50, help="test digits per checkpoint (default 50)")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (default 1, as the app's server)")
    parser.add_argument("--checkpoints", default=",".join(SHIPPED), help="comma-separated shipped names")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(cpu_summary(), f"| {args.threads} thread(s)")
    indices = test_digits(args.digits)
    for name in args.checkpoints.split(","):
        generator = load_checkpoint(SHIPPED_DIR / f"{name}.safetensors").generator
        bench_inversion(name, generator, indices)
        bench_directions(name, generator)


if __name__ == "__main__":
    main()
