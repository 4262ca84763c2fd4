"""MNIST as one tensor on the training device, and batches drawn from it by index.

A textbook DataLoader runs ToTensor + Normalize per image per step in Python; MNIST is only
47 MB as float32, so we convert it once and index batches straight out of device memory.
"""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

NUM_CLASSES = 10  # MNIST's digits 0-9: a conditional model's labels, the classifier's outputs, the grid's columns
DATA_ENV = "GAN_EXPLORER_DATA"
# torchvision's MNIST download: these .gz files land in MNIST/raw/ and are unpacked beside it.
# Their sizes let a first start (a fresh Space) show how far the download has got.
DOWNLOAD_BYTES = {"train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
                  "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542}
# Two sessions asking for MNIST at once on a fresh machine must not download into the same files.
_DOWNLOAD_LOCK = threading.Lock()


class DataNotFoundError(RuntimeError):
    """MNIST is not at the data root and could not be downloaded."""


def default_data_root() -> Path:
    """$GAN_EXPLORER_DATA if set, else a per-user cache folder (~/.cache/gan-explorer)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "gan-explorer"


def download_fraction(root: str | Path) -> float:
    """How much of MNIST is on disk under `root`: 1.0 when unpacked, else the share of the download so far."""
    raw = Path(root).expanduser() / "MNIST" / "raw"
    if all((raw / name.removesuffix(".gz")).exists() for name in DOWNLOAD_BYTES):
        return 1.0
    done = 0
    for name, size in DOWNLOAD_BYTES.items():
        path = raw / name
        done += min(path.stat().st_size, size) if path.exists() else 0
    return done / sum(DOWNLOAD_BYTES.values())


@dataclass(frozen=True)
class MNISTTensors:
    images: Tensor  # (N, 1, 28, 28) float32 in [-1, 1]
    labels: Tensor  # (N,) int64

    def __len__(self) -> int:
        return self.images.size(0)

    def to(self, device: torch.device | str) -> MNISTTensors:
        return MNISTTensors(self.images.to(device), self.labels.to(device))


def load_mnist(root: str | Path | None = None, train: bool = True,
               device: torch.device | str = "cpu", download: bool = True) -> MNISTTensors:
    """The whole MNIST split, scaled to [-1, 1], on `device`.

    The CPU copy is cached per (root, split): a second session or a test does not re-read it.
    """
    root = Path(root).expanduser() if root is not None else default_data_root()
    return _load_cpu(str(root.resolve()), train, download).to(device)


@functools.lru_cache(maxsize=4)  # read-only data, so sharing between sessions is safe
def _load_cpu(root: str, train: bool, download: bool) -> MNISTTensors:
    from torchvision.datasets import MNIST

    try:
        with _DOWNLOAD_LOCK:
            dataset = MNIST(root=root, train=train, download=download)
    except Exception as e:  # torchvision raises RuntimeError, URLError, OSError... depending on the cause
        hint = ("Downloading failed (no internet?)." if download
                else "Download is off.")
        raise DataNotFoundError(
            f"MNIST was not found under {root!r} ({type(e).__name__}: {e}). {hint} "
            f"Point --data-root or the {DATA_ENV} environment variable at a folder that holds "
            f"MNIST/raw/ (the torchvision layout), or run once with internet so it can be downloaded."
        ) from e
    images = dataset.data.unsqueeze(1).float().div_(127.5).sub_(1.0)
    return MNISTTensors(images.contiguous(), dataset.targets.clone())


class BatchSampler:
    """Draws batches without replacement, a fresh permutation each epoch, from tensors in memory."""

    def __init__(self, data: MNISTTensors, generator: torch.Generator) -> None:
        self.data = data
        self.generator = generator
        self._order = self._permutation()
        self._position = 0
        self.images_seen = 0

    def _permutation(self) -> Tensor:
        perm = torch.randperm(len(self.data), generator=self.generator)
        return perm.to(self.data.images.device)

    @property
    def epoch(self) -> float:
        return self.images_seen / len(self.data)

    def sample(self, batch_size: int) -> tuple[Tensor, Tensor]:
        if self._position + batch_size > len(self.data):
            self._order, self._position = self._permutation(), 0
        idx = self._order[self._position:self._position + batch_size]
        self._position += batch_size
        self.images_seen += batch_size
        return self.data.images[idx], self.data.labels[idx]
