"""Interaction latency of the Explore, Interpolate and t-SNE tabs, at library level (no server).

    python benchmarks/interaction.py                      # every section
    python benchmarks/interaction.py --tsne               # t-SNE variants on 2,000 MNIST digits
    python benchmarks/interaction.py --slider --interp --checkpoint runs/fast.safetensors
    python benchmarks/interaction.py --embed --n 1000 --n-real 1000

--slider: seed -> z, slider edit, G(z), upscale (the array the UI shows), then PNG encoding.
--interp: 16 interpolation frames and their GIF.
--tsne:   each t-SNE variant's seconds (PCA included) and k-NN accuracy of the 2-D map; this is
          the measurement behind gan_explorer.embedding's choice of openTSNE settings.
--embed:  embed_samples end to end, as the t-SNE tab runs it.
Without --checkpoint the generator is untrained (same speed as a trained one of the preset).
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from gan_explorer.checkpoints import load_checkpoint
from gan_explorer.data import load_mnist
from gan_explorer.device import cpu_summary
from gan_explorer.embedding import TSNESettings, embed_samples, knn_accuracy, pca_reduce, tsne_2d
from gan_explorer.images import gif_bytes, to_uint8, upscale
from gan_explorer.latent import generate, interpolation_frames, latent_from_seed, with_slider_values
from gan_explorer.models import Generator, build_models
from gan_explorer.presets import DEFAULT_PRESET, PRESETS, preset

IMAGE_SCALE = 14  # as the Explore tab: 28 px -> 392 px


def _milliseconds(fn: Callable[[int], object], repeats: int, warmup: int = 3) -> list[float]:
    """fn(i) timed `repeats` times after a few untimed calls (first calls pay for lazy init)."""
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(1000 * (time.perf_counter() - start))
    return times


def _summary(name: str, times: list[float]) -> None:
    p95 = float(np.percentile(times, 95))
    print(f"{name:38s} median {statistics.median(times):8.2f} ms   p95 {p95:8.2f} ms   (n={len(times)})")


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _label(generator: Generator) -> int | None:
    return 3 if generator.conditional else None


def slider_to_image(generator: Generator, repeats: int) -> None:
    """One slider move: what the Explore tab computes before gradio encodes the picture."""
    base = latent_from_seed(0, generator.latent_dim)

    def image(i: int) -> np.ndarray:
        z = with_slider_values(base, [0.1 * (i % 30) - 1.5] + [0.5] * 7)
        return upscale(to_uint8(generate(generator, z, _label(generator)))[0], IMAGE_SCALE)

    _summary("slider -> upscaled image", _milliseconds(image, repeats))
    _summary("slider -> upscaled image -> PNG", _milliseconds(lambda i: _png(image(i)), repeats))


def interpolation_gif(generator: Generator, repeats: int, steps: int = 16) -> None:
    """The Interpolate tab: frames along a slerp path, upscaled, into a ping-pong GIF."""
    def gif(i: int) -> bytes:
        z0, z1 = latent_from_seed(2 * i, generator.latent_dim), latent_from_seed(2 * i + 1, generator.latent_dim)
        frames = interpolation_frames(generator, z0, z1, steps, "slerp", _label(generator), _label(generator))
        return gif_bytes([upscale(f, IMAGE_SCALE // 2) for f in to_uint8(frames)])

    _summary(f"interpolation {steps} frames + GIF", _milliseconds(gif, repeats))


def _opentsne_defaults(features: np.ndarray, threads: int) -> np.ndarray:
    """openTSNE as a user would call it: FFT gradients, approximate neighbours, 250 + 500 iterations."""
    from openTSNE import TSNE

    return np.asarray(TSNE(n_jobs=threads, random_state=0).fit(features))


def _sklearn_tsne(features: np.ndarray, threads: int, max_iter: int = 1000) -> np.ndarray:
    from sklearn.manifold import TSNE

    return TSNE(init="pca", max_iter=max_iter, n_jobs=threads, random_state=0).fit_transform(features)


def tsne_variants(n: int, threads: int, data_root: str | None) -> None:
    """Seconds and k-NN accuracy of each t-SNE variant on n real test digits."""
    from threadpoolctl import threadpool_limits

    digits = load_mnist(data_root, train=False, download=False)
    pick = torch.randperm(len(digits), generator=torch.Generator().manual_seed(0))[:n]
    pixels, labels = digits.images[pick].flatten(1).numpy(), digits.labels[pick].numpy()
    app = TSNESettings(n_jobs=threads)
    variants: dict[str, Callable[[], np.ndarray]] = {
        "app: PCA50 + openTSNE 100+200 it": lambda: tsne_2d(pixels, settings=app),
        "openTSNE BH 100+200 it, no PCA": lambda: tsne_2d(pixels, pca_dims=0, settings=app),
        "PCA50 + openTSNE FFT 100+200 it": lambda: tsne_2d(pixels, settings=TSNESettings(fft_from=0, n_jobs=threads)),
        "PCA50 + openTSNE BH 250+500 it": lambda: tsne_2d(
            pixels, settings=TSNESettings(exaggeration_iters=250, iters=500, n_jobs=threads)),
        "PCA50 + openTSNE defaults (FFT)": lambda: _opentsne_defaults(pca_reduce(pixels, 50, 0), threads),
        "openTSNE defaults (FFT), no PCA": lambda: _opentsne_defaults(pixels, threads),
        "PCA50 + sklearn TSNE 1000 it": lambda: _sklearn_tsne(pca_reduce(pixels, 50, 0), threads),
        "PCA50 + sklearn TSNE 300 it": lambda: _sklearn_tsne(pca_reduce(pixels, 50, 0), threads, 300),
        "sklearn TSNE 1000 it, no PCA": lambda: _sklearn_tsne(pixels, threads),
    }
    # CPU time is printed too: on a busy machine it is the better guide to a quiet machine's wall time.
    print(f"t-SNE on {n} MNIST test digits, {threads} thread(s); quality = 10-NN accuracy in the map "
          f"(pixel space itself: {knn_accuracy(pixels, labels):.3f})")
    tsne_2d(pixels[:200])  # untimed: the first call pays for importing openTSNE and scikit-learn
    for name, run in variants.items():
        with threadpool_limits(threads):
            start, cpu_start = time.perf_counter(), time.process_time()
            coords = run()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        print(f"{name:38s} {seconds:7.2f} s (CPU {cpu:6.2f} s)   10-NN accuracy {knn_accuracy(coords, labels):.3f}",
              flush=True)


def embed_end_to_end(generator: Generator, n: int, n_real: int, data_root: str | None) -> None:
    real = load_mnist(data_root, train=False, download=False) if n_real else None
    tsne_2d(np.random.default_rng(0).normal(size=(100, 8)))  # untimed: a running app has imported openTSNE
    start = time.perf_counter()
    embedding = embed_samples(generator, n, real=real, n_real=n_real)
    print(f"embed_samples n={n} n_real={n_real}: {time.perf_counter() - start:.2f} s for {len(embedding)} points")


def _generator(checkpoint: str | None, preset_name: str, conditional: bool) -> Generator:
    if checkpoint:
        return load_checkpoint(checkpoint).generator.eval()
    torch.manual_seed(0)
    return build_models(preset(preset_name, conditional=conditional))[0].eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slider", action="store_true", help="slider -> image latency")
    parser.add_argument("--interp", action="store_true", help="interpolation frames + GIF latency")
    parser.add_argument("--tsne", action="store_true", help="t-SNE variants: seconds and quality")
    parser.add_argument("--embed", action="store_true", help="embed_samples end to end")
    parser.add_argument("--checkpoint", default=None, help="generator checkpoint (default: untrained preset)")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--conditional", action="store_true", help="untrained generator is conditional")
    parser.add_argument("--repeats", type=int, default=100, help="timed calls per latency measurement")
    parser.add_argument("--tsne-n", type=int, default=2000, help="digits per t-SNE variant")
    parser.add_argument("--n", type=int, default=1000, help="--embed: generated samples")
    parser.add_argument("--n-real", type=int, default=1000, help="--embed: real digits")
    parser.add_argument("--threads", type=int, default=1, help="torch / t-SNE threads")
    parser.add_argument("--data-root", default=None)
    args = parser.parse_args()
    everything = not (args.slider or args.interp or args.tsne or args.embed)
    torch.set_num_threads(args.threads)
    generator = _generator(args.checkpoint, args.preset, args.conditional)
    print(f"generator: {args.checkpoint or f'untrained {args.preset}'}, threads={args.threads}; {cpu_summary()}")
    if args.slider or everything:
        slider_to_image(generator, args.repeats)
    if args.interp or everything:
        interpolation_gif(generator, max(args.repeats // 5, 5))
    if args.tsne or everything:
        tsne_variants(args.tsne_n, args.threads, args.data_root)
    if args.embed or everything:
        embed_end_to_end(generator, args.n, args.n_real, args.data_root)


if __name__ == "__main__":
    main()
