"""A small MNIST CNN: the judge behind every quality metric (MNIST-FID, Inception Score, histograms).

It reads images in [-1, 1], the generator's scale, so a sample goes in exactly as G made it.
`features(x)` is the 128-d penultimate layer: the space in which FID, precision/recall and
nearest neighbours are measured, the MNIST counterpart of Inception-v3's pool features.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from .checkpoints import SHIPPED_DIR
from .data import NUM_CLASSES, MNISTTensors, load_mnist

DEFAULT_CLASSIFIER = SHIPPED_DIR / "mnist_classifier.safetensors"
FEATURE_DIM = 128


class ClassifierError(RuntimeError):
    """The classifier file is missing or does not match this architecture."""


class MNISTClassifier(nn.Module):
    """conv-pool x3 (28 -> 14 -> 7 -> 3) -> 128-d features -> 10 logits. About 100k parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 3 * 3, FEATURE_DIM), nn.ReLU())
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: Tensor) -> Tensor:
        """(B, 1, 28, 28) in [-1, 1] -> (B, 128) penultimate activations."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.features(x)))


@dataclass(frozen=True)
class ClassifierReport:
    test_accuracy: float
    epochs: int
    seed: int
    train_seconds: float
    threads: int


def _random_shift(images: Tensor, max_shift: int, rng: torch.Generator) -> Tensor:
    """Shift each image by up to max_shift pixels (background -1 fills in): cheap augmentation."""
    padded = F.pad(images, (max_shift,) * 4, value=-1.0)
    size = 2 * max_shift + 1
    dx, dy = torch.randint(0, size, (2, images.size(0)), generator=rng).tolist()
    return torch.stack([padded[i, :, y:y + 28, x:x + 28] for i, (x, y) in enumerate(zip(dx, dy))])


@torch.no_grad()
def accuracy(model: MNISTClassifier, data: MNISTTensors, batch_size: int = 1000) -> float:
    model.eval()
    correct = sum((model(data.images[i:i + batch_size]).argmax(1) == data.labels[i:i + batch_size]).sum().item()
                  for i in range(0, len(data), batch_size))
    return correct / len(data)


def train_classifier(data_root: str | Path | None = None, epochs: int = 3, seed: int = 0,
                     out: str | Path = DEFAULT_CLASSIFIER, batch_size: int = 128) -> ClassifierReport:
    """Train on MNIST train, measure on MNIST test, save `out` (.safetensors) and its .json report."""
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    train, test = load_mnist(data_root, train=True), load_mnist(data_root, train=False)
    model = MNISTClassifier()
    steps_per_epoch = len(train) // batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    # One-cycle: fast early progress, then annealing to a sharp optimum in few epochs.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * steps_per_epoch)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=rng)
        for i in range(steps_per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            x = _random_shift(train.images[idx], 2, rng)
            loss = F.cross_entropy(model(x), train.labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    report = ClassifierReport(accuracy(model, test), epochs, seed, time.perf_counter() - start,
                              torch.get_num_threads())
    save_classifier(model, report, out)
    return report


def save_classifier(model: MNISTClassifier, report: ClassifierReport, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out),
              metadata={"format": "gan-explorer-classifier", "test_accuracy": f"{report.test_accuracy:.4f}"})
    command = f"gan-explorer train-classifier --epochs {report.epochs} --seed {report.seed} --threads {report.threads}"
    card = {"format": "gan-explorer-classifier", "command": command, **asdict(report)}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    return out


def load_classifier(path: str | Path = DEFAULT_CLASSIFIER) -> MNISTClassifier:
    """The trained classifier in eval mode, on the CPU."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierError(f"No classifier at {str(path)!r}; train one with `gan-explorer train-classifier`.")
    model = MNISTClassifier()
    try:
        model.load_state_dict(load_file(str(path)))
    except Exception as e:  # safetensors and load_state_dict raise several types for a bad file
        raise ClassifierError(f"{path.name} is not a GAN Explorer MNIST classifier: {e}") from e
    return model.eval()
