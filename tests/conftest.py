"""Shared fixtures. MNIST comes from $GAN_EXPLORER_DATA (CI sets it to ../shared/data)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from gan_explorer.data import MNISTTensors, default_data_root, load_mnist

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """A dataset root that holds MNIST; the sibling ../shared/data is used when the env var is unset."""
    candidates = [default_data_root(), REPO.parent / "shared" / "data"]
    for root in candidates:
        if (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
            return root
    pytest.fail(f"MNIST not found in any of {[str(c) for c in candidates]}; set GAN_EXPLORER_DATA.")


@pytest.fixture(scope="session")
def mnist(mnist_root: Path) -> MNISTTensors:
    return load_mnist(mnist_root, train=True, download=False)


@pytest.fixture(scope="session")
def mnist_test(mnist_root: Path) -> MNISTTensors:
    return load_mnist(mnist_root, train=False, download=False)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
