"""t-SNE maps of generated and real digits: shapes, labels, input checks, and that digits separate."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.embedding import embed_samples, knn_accuracy, tsne_2d
from gan_explorer.models import build_models

LATENT_DIM = 16


def _generator(architecture: str = "mlp", conditional: bool = False):
    torch.manual_seed(0)
    cfg = TrainConfig(architecture=architecture, conditional=conditional, latent_dim=LATENT_DIM,
                      dcgan_width=8, mlp_g_hidden=(32, 64))
    return build_models(cfg)[0]


def _digits(data: MNISTTensors, classes: tuple[int, ...]) -> MNISTTensors:
    keep = torch.isin(data.labels, torch.tensor(classes))
    return MNISTTensors(data.images[keep], data.labels[keep])


def test_embed_samples_returns_consistent_rows_for_generated_and_real(mnist_test: MNISTTensors) -> None:
    emb = embed_samples(_generator("dcgan", conditional=True), 100, seed=1, real=mnist_test, n_real=100)
    assert len(emb) == 200
    assert emb.coords.shape == (200, 2) and emb.coords.dtype == np.float32 and np.isfinite(emb.coords).all()
    assert emb.images.shape == (200, 28, 28) and emb.images.dtype == np.uint8
    assert emb.labels.shape == (200,) and emb.labels.dtype == np.int64
    assert emb.z.shape == (200, LATENT_DIM) and emb.z.dtype == np.float32
    generated = emb.source == "generated"
    assert generated.sum() == 100 and (emb.source[~generated] == "real").all()
    assert np.isfinite(emb.z[generated]).all() and np.isnan(emb.z[~generated]).all()
    np.testing.assert_array_equal(emb.labels[generated], np.arange(100) % 10)  # the conditional label
    assert set(emb.labels[~generated]) <= set(range(10)) and len(set(emb.labels[~generated])) > 5


def test_unconditional_samples_are_labelled_by_the_labeler_or_unknown() -> None:
    seen: list[tuple[int, ...]] = []

    def labeler(images: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(images.shape))
        return (images.flatten(1).mean(1) > images.mean()).long() * 7

    generator = _generator()
    labelled = embed_samples(generator, 100, labeler=labeler)
    assert seen == [(100, 1, 28, 28)]
    assert set(labelled.labels) <= {0, 7}
    assert (embed_samples(generator, 100).labels == -1).all()
    with pytest.raises(ValueError, match="returned 1 labels for 100 images"):
        embed_samples(generator, 100, labeler=lambda images: torch.tensor([3]))


def test_the_same_seed_gives_the_same_map() -> None:
    first = embed_samples(_generator(), 100, seed=3)
    second = embed_samples(_generator(), 100, seed=3)
    np.testing.assert_array_equal(first.coords, second.coords)
    np.testing.assert_array_equal(first.z, second.z)


def test_real_digits_of_different_classes_land_in_separate_clusters(mnist_test: MNISTTensors) -> None:
    emb = embed_samples(_generator(), 100, real=_digits(mnist_test, (0, 1, 7)), n_real=150)
    real = emb.source == "real"
    assert knn_accuracy(emb.coords[real], emb.labels[real], k=5) >= 0.9


def test_tsne_keeps_the_digit_neighbourhoods_of_pixel_space(mnist_test: MNISTTensors) -> None:
    images, labels = mnist_test.images[:500].flatten(1).numpy(), mnist_test.labels[:500].numpy()
    coords = tsne_2d(images, seed=0)
    accuracy = knn_accuracy(coords, labels)
    assert accuracy >= 0.75
    assert accuracy >= knn_accuracy(images, labels) - 0.05  # 2-D loses little of what 784-D knows


def test_tsne_progress_rises_to_one_through_the_optimisation() -> None:
    reports: list[tuple[float, str]] = []
    tsne_2d(np.random.default_rng(0).normal(size=(100, 20)), progress=lambda f, m: reports.append((f, m)))
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert sum(message.startswith("Optimising") for _, message in reports) >= 10


@pytest.mark.parametrize("n, n_real, with_real, message", [
    (99, 0, False, "from 100 to 5000"),
    (5001, 0, False, "from 100 to 5000"),
    (100, 5001, True, "from 0 to 5000"),
    (100, 10, False, "only 0 real images"),
    (100.0, 0, False, "from 100 to 5000"),
])
def test_embed_samples_rejects_sample_counts_out_of_range(n: int, n_real: int, with_real: bool, message: str,
                                                          mnist_test: MNISTTensors) -> None:
    with pytest.raises(ValueError, match=message):
        embed_samples(_generator(), n, real=mnist_test if with_real else None, n_real=n_real)


@pytest.mark.parametrize("seed", [-1, 2**32, 0.5])
def test_embed_samples_rejects_seeds_numpy_cannot_use(seed) -> None:
    with pytest.raises(ValueError, match="seed must be a whole number from 0 to 2"):
        embed_samples(_generator(), 100, seed=seed)


def test_tsne_rejects_non_finite_features() -> None:
    features = np.zeros((10, 4), dtype=np.float32)
    features[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tsne_2d(features)
