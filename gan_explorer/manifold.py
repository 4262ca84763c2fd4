"""Precision and recall of generated samples (Kynkäänniemi et al., 2019), in a feature space: the
share of fakes inside the real samples' manifold (quality), and of reals inside the fakes' (variety).
Each manifold is the union of balls around its points reaching their k-th nearest neighbour."""
from __future__ import annotations

import torch
from torch import Tensor

PR_NEIGHBOURS = 3  # k of the k-NN manifolds, as in Kynkäänniemi et al.


def precision_recall(real: Tensor, fake: Tensor, k: int = PR_NEIGHBOURS) -> tuple[float, float]:
    """Kynkäänniemi et al. 2019: each set's manifold is the union of balls reaching its k-th neighbour."""
    real, fake = real.float(), fake.float()
    real_radii = _kth_neighbour_distance(real, k)
    fake_radii = _kth_neighbour_distance(fake, k)
    distances = torch.cdist(fake, real)  # (n_fake, n_real)
    precision = (distances <= real_radii[None, :]).any(1).float().mean()
    recall = (distances <= fake_radii[:, None]).any(0).float().mean()
    return float(precision), float(recall)


def _kth_neighbour_distance(x: Tensor, k: int) -> Tensor:
    # k + 1 because each point is its own nearest neighbour at distance 0.
    return torch.cdist(x, x).kthvalue(k + 1, dim=1).values
