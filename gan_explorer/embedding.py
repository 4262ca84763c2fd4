"""A 2-D t-SNE map of generated (and optionally real) digits, for the t-SNE tab and the CLI.

Pixels (784) -> PCA to 50 dimensions -> openTSNE. The settings below were chosen by measurement
(`python benchmarks/interaction.py --tsne`): openTSNE with exact neighbours on PCA features,
Barnes-Hut gradients and 300 iterations was the fastest variant that still separates the digits
as well as the slower ones (about 2 CPU-seconds for 2,000 points).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .data import MNISTTensors
from .images import to_uint8
from .latent import generate, sample
from .models import Generator
from .parsing import whole_number

MIN_SAMPLES, MAX_SAMPLES = 100, 5000
MAX_REAL = 5000
GENERATE_BATCH = 1000  # bounds peak memory for a 5,000-sample map
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class TSNESettings:
    perplexity: float = 30.0  # roughly the number of neighbours each point "listens to"
    exaggeration_iters: int = 100  # early exaggeration pulls clusters apart before they settle
    iters: int = 200  # openTSNE's learning rate N/12 converges far sooner than the classic 1,000 steps
    theta: float = 0.5  # Barnes-Hut accuracy/speed trade-off
    fft_from: int = 4000  # from about this many points FFT gradients beat Barnes-Hut (2x at 10k, measured)
    n_jobs: int = 1  # the app shares a small CPU with training; 1 thread keeps it responsive
    progress_every: int = 10  # iterations between progress reports


@dataclass(frozen=True)
class Embedding:
    coords: np.ndarray  # (N, 2) float32
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) int64 digit, -1 if unknown
    source: np.ndarray  # (N,) str, "generated" or "real"
    z: np.ndarray  # (N, latent_dim) float32; rows of real digits are NaN

    def __len__(self) -> int:
        return len(self.coords)


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def _scaled(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """Map a sub-task's 0..1 progress onto lo..hi of the whole task."""
    if progress is None:
        return None
    return lambda fraction, message: _report(progress, lo + fraction * (hi - lo), message)


def pca_reduce(features: np.ndarray, dims: int, seed: int = 0) -> np.ndarray:
    """(N, F) -> (N, dims) principal components; unchanged when dims is 0 or not below F."""
    from sklearn.decomposition import PCA

    dims = min(dims, *features.shape)
    if dims <= 0 or dims >= features.shape[1]:
        return features
    return PCA(dims, svd_solver="randomized", random_state=seed).fit_transform(features).astype(np.float32)


def tsne_2d(features: np.ndarray, seed: int = 0, pca_dims: int = 50, progress: Progress | None = None,
            settings: TSNESettings = TSNESettings()) -> np.ndarray:
    """(N, F) features -> (N, 2) float32 t-SNE coordinates; pca_dims=0 skips the PCA step."""
    from openTSNE import TSNEEmbedding, affinity, initialization

    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or len(features) < 5:
        raise ValueError(f"t-SNE needs a (samples, features) array with at least 5 samples; "
                         f"got shape {features.shape}.")
    if not np.isfinite(features).all():
        raise ValueError("t-SNE features contain NaN or infinite values.")
    _report(progress, 0.0, "PCA")
    reduced = pca_reduce(features, pca_dims, seed)
    _report(progress, 0.05, "Finding neighbours")
    # Exact neighbours (sklearn) were faster than openTSNE's approximate (Annoy) ones at every size up
    # to our largest map, 10k points on 50 PCA dimensions, and they are deterministic.
    perplexity = min(settings.perplexity, (len(features) - 1) / 3)
    affinities = affinity.PerplexityBasedNN(reduced, perplexity=perplexity, method="exact",
                                            n_jobs=settings.n_jobs, random_state=seed)
    start = initialization.pca(reduced, random_state=seed)  # PCA init keeps the global layout stable
    gradients = "fft" if len(features) >= settings.fft_from else "bh"
    embedding = TSNEEmbedding(start, affinities, negative_gradient_method=gradients, theta=settings.theta,
                              n_jobs=settings.n_jobs, random_state=seed)
    total = settings.exaggeration_iters + settings.iters

    def phase(done_before: int, message: str) -> dict:
        def callback(iteration: int, error: float, _: np.ndarray) -> bool:
            _report(progress, 0.15 + 0.85 * (done_before + iteration) / total, message)
            return False  # False = keep going
        return {"callbacks": callback if progress else None, "callbacks_every_iters": settings.progress_every}

    _report(progress, 0.15, "Optimising (early exaggeration)")
    embedding = embedding.optimize(settings.exaggeration_iters, exaggeration=12, momentum=0.5,
                                   **phase(0, "Optimising (early exaggeration)"))
    embedding = embedding.optimize(settings.iters, momentum=0.8,
                                   **phase(settings.exaggeration_iters, "Optimising"))
    _report(progress, 1.0, "Done")
    return np.asarray(embedding, dtype=np.float32)


def _check_inputs(n: int, n_real: int, real: MNISTTensors | None, seed: int) -> None:
    whole_number("seed", seed, 0, 2**32 - 1, strict=True)  # numpy's RandomState, inside PCA and openTSNE, wants 32 bits
    whole_number("Number of generated samples", n, MIN_SAMPLES, MAX_SAMPLES, strict=True)
    whole_number("Number of real digits", n_real, 0, MAX_REAL, strict=True)
    if n_real > 0 and (real is None or len(real) < n_real):
        have = 0 if real is None else len(real)
        raise ValueError(f"Asked for {n_real} real digits but only {have} real images were given.")


def _generated(generator: Generator, n: int, seed: int, labeler: Callable[[Tensor], Tensor] | None,
               progress: Progress | None) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """n images from G for a seeded z, with their digit labels (-1 when unknown)."""
    # A conditional model gets every digit equally often, so each has a cluster to find.
    z, conditions = sample(n, generator.latent_dim, int(seed), generator.conditional)
    batches = []
    for start in range(0, n, GENERATE_BATCH):
        stop = min(start + GENERATE_BATCH, n)
        batches.append(generate(generator, z[start:stop], None if conditions is None else conditions[start:stop]))
        _report(progress, stop / n, "Generating samples")
    images = torch.cat(batches)
    if conditions is not None:
        labels = conditions
    elif labeler is not None:
        with torch.no_grad():  # a classifier as labeler need not keep its graph
            labels = torch.as_tensor(labeler(images)).reshape(-1).cpu()
        if labels.numel() != n:
            raise ValueError(f"The labeler returned {labels.numel()} labels for {n} images; it must return one each.")
    else:
        labels = torch.full((n,), -1)
    return images, labels.numpy().astype(np.int64), z.numpy()


def embed_samples(generator: Generator, n: int, seed: int = 0, real: MNISTTensors | None = None,
                  n_real: int = 0, labeler: Callable[[Tensor], Tensor] | None = None,
                  progress: Progress | None = None) -> Embedding:
    """A t-SNE map of n generated samples plus n_real real digits drawn from `real`.

    Generated digits are labelled by their condition (conditional models), else by `labeler`
    (e.g. a classifier's argmax), else -1. Real digits keep their MNIST label and have no z (NaN).
    """
    _check_inputs(n, n_real, real, seed)
    images, labels, z = _generated(generator, n, seed, labeler, _scaled(progress, 0.0, 0.1))
    z_rows = [z.astype(np.float32)]
    if n_real > 0:
        pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(int(seed)))[:n_real]
        images = torch.cat([images, real.images[pick].float().cpu()])
        labels = np.concatenate([labels, real.labels[pick].cpu().numpy().astype(np.int64)])
        z_rows.append(np.full((n_real, z.shape[1]), np.nan, dtype=np.float32))
    features = images.flatten(1).numpy()
    coords = tsne_2d(features, seed=seed, progress=_scaled(progress, 0.1, 1.0))
    source = np.array(["generated"] * n + ["real"] * n_real)
    return Embedding(coords, to_uint8(images), labels, source, np.concatenate(z_rows))



def knn_accuracy(points: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Leave-one-out k-NN accuracy: how often the majority label of a point's k nearest neighbours
    is its own label. Measures whether a map keeps the digits apart (chance is about 0.1).
    """
    from sklearn.neighbors import NearestNeighbors

    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    neighbours = neighbours[:, 1:]  # drop the point itself
    classes, index = np.unique(labels, return_inverse=True)
    votes = np.zeros((len(labels), len(classes)), dtype=np.int64)
    np.add.at(votes, (np.arange(len(labels))[:, None], index[neighbours]), 1)
    return float((votes.argmax(1) == index).mean())
