"""Did G copy a training digit? The training image nearest to a sample in pixel space, found through
a principal-component index built once, so Explore can ask on every slider move."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .data import MNISTTensors
from .metrics import MetricsError

NEAREST_DIMS = 64  # principal components of the coarse search: 15 MB instead of the images' 188 MB
NEAREST_CANDIDATES = 256  # re-ranked exactly; the exact nearest was among the first 64 in every test case
PCA_STRIDE = 6  # the principal axes from every 6th image: the same axes, a sixth of the work


@dataclass(frozen=True)
class TrainingImages:
    """Training images indexed for nearest-image lookups, built once (the app builds it at start-up).

    The exact search reads all 60,000 x 784 pixels (188 MB) per lookup, and Explore does one per
    slider release. Here a lookup ranks the images by their distance in the first NEAREST_DIMS
    principal components (a 15 MB matmul), then measures the best NEAREST_CANDIDATES exactly in
    pixel space: about a tenth of the work (docs/performance.md), and the same image as the exact
    search (tests/test_nearest.py checks that on generated digits).
    """
    data: MNISTTensors
    squared_norms: Tensor  # (N,) ||a||^2 of each flattened image
    mean: Tensor  # (784,)
    axes: Tensor  # (784, NEAREST_DIMS) orthonormal principal axes
    coords: Tensor  # (N, NEAREST_DIMS) each image's centred coordinates on them
    coord_norms: Tensor  # (N,) their squared norms

    @classmethod
    @torch.no_grad()
    def build(cls, data: MNISTTensors) -> TrainingImages:
        flat = data.images.flatten(1)
        mean = flat.mean(0)
        sample = flat[::PCA_STRIDE] - mean
        _, vectors = torch.linalg.eigh(sample.T @ sample)  # ascending eigenvalues
        axes = vectors[:, -NEAREST_DIMS:].flip(1).contiguous()
        coords = ((flat - mean) @ axes).contiguous()
        return cls(data, flat.pow(2).sum(1), mean, axes, coords, coords.pow(2).sum(1))

    def candidates(self, x: Tensor) -> Tensor:
        """Indices of the NEAREST_CANDIDATES images closest to flattened x in principal-component space."""
        cx = (x - self.mean) @ self.axes
        k = min(NEAREST_CANDIDATES, len(self.coords))
        return (self.coord_norms - 2 * (self.coords @ cx)).topk(k, largest=False).indices


@torch.no_grad()
def nearest_training_image(sample: Tensor, data: MNISTTensors | TrainingImages,
                           exact: bool = False) -> tuple[Tensor, int, float]:
    """The training image closest to `sample` in pixel space (L2 on [-1, 1] pixels): (image, index, distance).

    Pixel space answers the teacher's question "did G copy a training digit?" directly. With a
    TrainingImages (the app builds one) the search is indexed; raw tensors, or exact=True, compare
    `sample` with every image (the reference the indexed search is tested against).
    """
    if sample.numel() != 28 * 28:
        raise MetricsError(f"Expected one 28x28 image; got shape {tuple(sample.shape)}.")
    images = data.data.images if isinstance(data, TrainingImages) else data.images
    flat = images.flatten(1)
    x = sample.reshape(-1).float().to(images.device)
    # ||a - x||^2 = ||a||^2 - 2 a.x + ||x||^2; the last term is the same for every a, so argmin skips it.
    if isinstance(data, TrainingImages) and not exact:
        candidates = data.candidates(x)
        index = int(candidates[(data.squared_norms[candidates] - 2 * (flat[candidates] @ x)).argmin()])
    else:
        norms = data.squared_norms if isinstance(data, TrainingImages) else flat.pow(2).sum(1)
        index = int((norms - 2 * (flat @ x)).argmin())
    return images[index], index, float((images[index].reshape(-1) - x).norm())
