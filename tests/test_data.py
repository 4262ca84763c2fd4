"""MNIST loading: where it is looked for, what comes back, and the error when it is missing."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gan_explorer.data import DATA_ENV, BatchSampler, DataNotFoundError, MNISTTensors, default_data_root, load_mnist


def test_missing_mnist_without_download_names_the_root_and_the_env_var(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        load_mnist(tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message
    assert DATA_ENV in message and "--data-root" in message


def test_default_data_root_honours_the_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_data_root() == tmp_path


def test_default_data_root_is_a_user_cache_folder_without_the_env_var(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_data_root() == tmp_path / "gan-explorer"


def test_load_mnist_reads_the_env_var_root_by_default(monkeypatch: pytest.MonkeyPatch, mnist_root: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(mnist_root))
    assert len(load_mnist(train=False, download=False)) == 10_000


def test_mnist_tensors_are_scaled_to_minus_one_one(mnist: MNISTTensors, mnist_test: MNISTTensors) -> None:
    assert mnist.images.shape == (60_000, 1, 28, 28) and mnist.images.dtype == torch.float32
    assert mnist.labels.shape == (60_000,) and mnist.labels.dtype == torch.int64
    assert mnist.images.min().item() == -1.0 and mnist.images.max().item() == 1.0
    assert mnist_test.images.shape == (10_000, 1, 28, 28)
    assert torch.bincount(mnist_test.labels).tolist()[:3] == [980, 1135, 1032]  # the published split


def test_batch_sampler_visits_every_image_once_per_epoch() -> None:
    n, batch = 40, 8
    data = MNISTTensors(torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1), torch.arange(n))
    sampler = BatchSampler(data, torch.Generator().manual_seed(0))
    seen = torch.cat([sampler.sample(batch)[1] for _ in range(n // batch)])
    assert sorted(seen.tolist()) == list(range(n))
    assert sampler.epoch == 1.0
    next_epoch = torch.cat([sampler.sample(batch)[1] for _ in range(n // batch)])
    assert sorted(next_epoch.tolist()) == list(range(n))
    assert not torch.equal(seen, next_epoch), "each epoch should use a fresh permutation"


def test_batch_sampler_keeps_images_and_labels_paired() -> None:
    data = MNISTTensors(torch.arange(20, dtype=torch.float32).view(20, 1, 1, 1), torch.arange(20))
    images, labels = BatchSampler(data, torch.Generator().manual_seed(1)).sample(6)
    assert torch.equal(images.flatten().long(), labels)
