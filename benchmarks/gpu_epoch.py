"""Seconds per MNIST epoch on a GPU: gan_explorer's Trainer against pytorch/examples' dcgan.

    python benchmarks/gpu_epoch.py --data-root ~/.cache/gan-explorer --json gpu_epoch.json

Ours: the default preset (`fast`) at batch 64 (the baseline's), 938 steps = one pass over MNIST, data resident on
the GPU, each step replayed as a CUDA graph, through `Trainer.run()`; also measured one step at
a time, eagerly and with bf16 to show what each lever gives. Baseline: the training loop of
pytorch/examples/dcgan/main.py with `--dataset mnist` (64x64 images, ngf = ndf = 64, nz = 100,
batch 64, Adam 2e-4, BCELoss, cudnn.benchmark, a DataLoader with its default 2 workers doing
Resize + ToTensor + Normalize, and the loss .item()s it prints every iteration); its image
saving every 100 iterations is left out. Every figure is the median of --repeats full epochs
(default 3) after a warm-up, each timed with a device sync on both ends: single epochs moved by
up to 20 % between runs on one H100.
"""
from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from gan_explorer.data import default_data_root, load_mnist
from gan_explorer.presets import preset
from gan_explorer.trainer import Trainer

WARMUP_STEPS = 50


def _timed(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    """(median seconds of `repeats` calls of fn, steps of one call)."""
    seconds = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        steps = fn()
        torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), steps


def trainer_epoch(data_root: str, repeats: int, cuda_graph: bool, precision: str, overlap: bool = True,
                  compile_models: bool = False, channels_last: bool = False) -> tuple[float, int]:
    """One epoch through run() (which queues each step before reading the last one's metrics),
    or with overlap=False through step() (which waits for each step). compile_models: G and D
    through torch.compile; channels_last: their weights (so their convolutions) in NHWC layout."""
    # batch 64, as the baseline and the recorded figures (fast itself trains at 32 since it was tuned for CPUs)
    trainer = Trainer(preset("fast", precision=precision, batch_size=64), "cuda", data=load_mnist(data_root),
                      cuda_graph=cuda_graph, compile_models=compile_models)
    if channels_last:
        for module in (trainer.generator, trainer.discriminator, trainer.generator_ema):
            if module is not None:
                module.to(memory_format=torch.channels_last)
    start = time.perf_counter()
    for _ in trainer.run(max_steps=WARMUP_STEPS):
        pass
    if compile_models:
        print(f"torch.compile + warm-up of {WARMUP_STEPS} steps: {time.perf_counter() - start:.1f} s", flush=True)

    def one_at_a_time() -> int:
        steps, end = 0, trainer.sampler.epoch + 1.0
        while trainer.sampler.epoch < end:
            trainer.step()
            steps += 1
        return steps
    return _timed(lambda: sum(1 for _ in trainer.run(max_epochs=1.0)) if overlap else one_at_a_time(), repeats)


# ---------------------------------------------------------------- pytorch/examples dcgan, nc = 1

def _weights_init(m: nn.Module) -> None:
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def _examples_models(nz: int = 100, ngf: int = 64, ndf: int = 64, nc: int = 1) -> tuple[nn.Module, nn.Module]:
    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(), nn.Flatten(0))
    return generator.apply(_weights_init), discriminator.apply(_weights_init)


def examples_epoch(data_root: str, repeats: int, workers: int = 2, batch_size: int = 64,
                   nz: int = 100) -> tuple[float, int]:
    torch.backends.cudnn.benchmark = True
    dataset = datasets.MNIST(data_root, train=True, download=False, transform=transforms.Compose([
        transforms.Resize(64), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers)
    device = torch.device("cuda")
    net_g, net_d = (m.to(device) for m in _examples_models(nz))
    criterion = nn.BCELoss()
    optimizer_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def one_epoch(max_iters: int | None = None) -> int:
        iters = 0
        for data, _ in loader:
            # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
            net_d.zero_grad()
            real = data.to(device)
            label = torch.full((real.size(0),), 1.0, device=device)
            output = net_d(real)
            err_d_real = criterion(output, label)
            err_d_real.backward()
            d_x = output.mean().item()
            noise = torch.randn(real.size(0), nz, 1, 1, device=device)
            fake = net_g(noise)
            label.fill_(0.0)
            output = net_d(fake.detach())
            err_d_fake = criterion(output, label)
            err_d_fake.backward()
            d_g_z1 = output.mean().item()
            err_d = err_d_real + err_d_fake
            optimizer_d.step()
            # (2) Update G: maximize log(D(G(z)))
            net_g.zero_grad()
            label.fill_(1.0)
            output = net_d(fake)
            err_g = criterion(output, label)
            err_g.backward()
            d_g_z2 = output.mean().item()
            optimizer_g.step()
            _ = (err_d.item(), err_g.item(), d_x, d_g_z1, d_g_z2)  # what main.py prints each iteration
            iters += 1
            if max_iters is not None and iters >= max_iters:
                break
        return iters

    one_epoch(WARMUP_STEPS)
    return _timed(one_epoch, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=str(default_data_root()))
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per row; the median is shown")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("This benchmark needs a CUDA GPU.")
    ours = functools.partial(trainer_epoch, args.data_root, args.repeats)
    rows: dict[str, tuple[float, int]] = {
        "Trainer, CUDA graph, fp32/TF32": ours(True, "fp32"),
        "Trainer, CUDA graph, fp32, step() one at a time": ours(True, "fp32", overlap=False),
        "Trainer, CUDA graph, bf16 autocast": ours(True, "bf16"),
        "Trainer, CUDA graph, fp32, torch.compile": ours(True, "fp32", compile_models=True),
        "Trainer, CUDA graph, fp32, channels_last": ours(True, "fp32", channels_last=True),
        "Trainer, eager, fp32/TF32": ours(False, "fp32"),
        "pytorch/examples dcgan (64x64, DataLoader)": examples_epoch(args.data_root, args.repeats),
    }
    baseline = rows["pytorch/examples dcgan (64x64, DataLoader)"][0]
    print(f"GPU: {torch.cuda.get_device_name()} | torch {torch.__version__}")
    print(f"{'':52} {'s/epoch':>8} {'steps':>6} {'steps/s':>8} {'vs examples':>11}")
    for name, (seconds, steps) in rows.items():
        print(f"{name:52} {seconds:8.3f} {steps:6d} {steps / seconds:8.0f} {baseline / seconds:10.1f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
                       "rows": {k: {"seconds": s, "steps": n} for k, (s, n) in rows.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
