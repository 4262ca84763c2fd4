"""Training throughput: gan_explorer's Trainer against the textbook DataLoader loop, on the CPU.

    python benchmarks/train_throughput.py                          # mlp and dcgan, 20 s per measurement
    python benchmarks/train_throughput.py --arch dcgan --seconds 30 --threads 2 --batch-size 64

The baseline is the loop of the PyTorch DCGAN tutorial and pytorch/examples: torchvision MNIST with
ToTensor + Normalize((0.5,), (0.5,)), a shuffling DataLoader, and `for imgs, _ in loader:` with a
D step then a G step on the same fakes, recording both losses with .item() as the tutorial does.
Both sides use the same models (build_models of one config and seed), batch size, Adam settings
and loss, so the ratio measures the engine: data kept as one tensor, no per-image transforms.
Each round measures them back to back (the order alternating between rounds) after a warm-up;
the table shows the median of the rounds.

The two "no data" rows run the tutorial's own step on one fixed batch already in memory (no data
loading, no .item()), in fp32 and under bf16 autocast: what the textbook loop would gain if its
data cost nothing. The rest of any gain has to come from the step's arithmetic itself.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable, Iterator

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from gan_explorer.config import TrainConfig
from gan_explorer.data import default_data_root, load_mnist
from gan_explorer.device import cpu_summary
from gan_explorer.losses import build_loss
from gan_explorer.models import build_models
from gan_explorer.optim import build_optimizer
from gan_explorer.presets import preset
from gan_explorer.trainer import Trainer

PRESET_FOR = {"mlp": "mlp-classic", "dcgan": "dcgan"}  # unconditional: the textbook loop feeds no labels
WARMUP_STEPS = 20


def mnist_loader(cfg: TrainConfig, root: str, workers: int) -> DataLoader:
    dataset = datasets.MNIST(root, train=True, download=True, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    return DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, drop_last=True, num_workers=workers)


def textbook_update(cfg: TrainConfig, bf16: bool = False) -> Callable[[torch.Tensor], tuple[torch.Tensor, ...]]:
    """The tutorial's step: a D step, then a G step on the same fakes."""
    torch.manual_seed(cfg.seed)
    generator, discriminator = build_models(cfg)
    loss = build_loss(cfg)
    g_optimizer = build_optimizer(cfg.g_optimizer, generator, cfg.g_lr, cfg)
    d_optimizer = build_optimizer(cfg.d_optimizer, discriminator, cfg.d_lr, cfg)

    def update(imgs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            z = torch.randn(imgs.size(0), cfg.latent_dim)
            fake = generator(z)
            d_loss = loss.discriminator_loss(discriminator(imgs), discriminator(fake.detach()))
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            g_loss = loss.generator_loss(discriminator(fake))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
        return d_loss, g_loss
    return update


def textbook_steps(cfg: TrainConfig, root: str, workers: int) -> Iterator[None]:
    """One training step per iteration of the classic per-image-transform DataLoader loop."""
    loader, update = mnist_loader(cfg, root, workers), textbook_update(cfg)
    losses = []
    while True:  # epochs
        for imgs, _ in loader:
            d_loss, g_loss = update(imgs)
            losses.append((d_loss.item(), g_loss.item()))
            yield


def fixed_batch_steps(cfg: TrainConfig, root: str, bf16: bool) -> Iterator[None]:
    """The tutorial's step on one fixed batch: the textbook loop without its data pipeline."""
    imgs, _ = next(iter(mnist_loader(cfg, root, workers=0)))
    update = textbook_update(cfg, bf16)
    while True:
        update(imgs)
        yield


def trainer_steps(cfg: TrainConfig, root: str) -> Iterator[None]:
    trainer = Trainer(cfg, "cpu", data=load_mnist(root))
    while True:
        trainer.step()
        yield


def steps_per_second(steps: Iterator[None], seconds: float) -> float:
    """Run `steps` for about `seconds` and return the rate; the clock checks cost ~1 us a step."""
    start, count = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        next(steps)
        count += 1
    return count / elapsed


def measure(arch: str, args: argparse.Namespace) -> dict[str, float]:
    cfg = preset(PRESET_FOR[arch], batch_size=args.batch_size, precision="fp32")
    runs: dict[str, Callable[[], Iterator[None]]] = {
        "textbook DataLoader": lambda: textbook_steps(cfg, args.data_root, args.workers),
        "gan_explorer Trainer": lambda: trainer_steps(cfg, args.data_root),
        "Trainer, bf16 autocast": lambda: trainer_steps(cfg.replace(precision="bf16"), args.data_root),
        "tutorial step, no data": lambda: fixed_batch_steps(cfg, args.data_root, bf16=False),
        "the same, bf16 autocast": lambda: fixed_batch_steps(cfg, args.data_root, bf16=True),
    }
    iterators = {name: make() for name, make in runs.items()}
    for steps in iterators.values():  # warm-up: allocator, lazy init, first loader workers
        for _ in range(WARMUP_STEPS):
            next(steps)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(args.rounds):
        order = list(iterators) if round_ % 2 == 0 else list(reversed(iterators))
        for name in order:
            rates[name].append(steps_per_second(iterators[name], args.seconds))
    return {name: statistics.median(r) for name, r in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(PRESET_FOR), action="append",
                        help="architecture(s) to measure (default: all)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per method, alternating")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's choice)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the baseline")
    parser.add_argument("--data-root", default=str(default_data_root()))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()} "
          f"{platform.processor() or ''}, batch {args.batch_size}, {args.rounds} x {args.seconds:g} s each, "
          f"DataLoader workers {args.workers}")
    print(cpu_summary())
    print(f"{'arch':6s} {'method':24s} {'steps/s':>9s} {'images/s':>10s}")
    for arch in args.arch or sorted(PRESET_FOR):
        rates = measure(arch, args)
        for name, rate in rates.items():
            print(f"{arch:6s} {name:24s} {rate:9.1f} {rate * args.batch_size:10.0f}")
        baseline = rates["textbook DataLoader"]
        for name, rate in list(rates.items())[1:]:
            print(f"{arch:6s} {'ratio ' + name + ' / textbook':44s} {rate / baseline:9.2f}x")


if __name__ == "__main__":
    main()
