"""Precompute what the metrics compare against: real MNIST feature statistics and the floors.

The floor of a metric at sample size n is the value real digits get: n MNIST *test* images
(which neither the classifier nor any GAN trained on) scored exactly like n generated ones.
A perfect generator of new digits would land there, so it is the target, not 0 (or 10).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from .classifier import MNISTClassifier
from .data import load_mnist
from .manifold import precision_recall
from .metrics import (
    FLOOR_SIZES,
    REFERENCE_STATS,
    Judge,
    class_histogram,
    embed,
    feature_stats,
    frechet_distance,
    inception_score,
    kl_to_uniform,
)

FLOOR_REPEATS = 5


def measure_floors(judge: Judge, test_features: torch.Tensor, test_probs: torch.Tensor,
                   sizes: tuple[int, ...] = FLOOR_SIZES, repeats: int = FLOOR_REPEATS,
                   seed: int = 0) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of each metric over `repeats` pairs of disjoint test subsets."""
    rng = torch.Generator().manual_seed(seed)
    floors = {}
    for n in sizes:
        runs: dict[str, list[float]] = {}
        for _ in range(repeats):
            order = torch.randperm(len(test_features), generator=rng)
            a, b = order[:n], order[n:2 * n]  # a plays the generator, b the real digits
            shares = class_histogram(test_probs[a])
            values = {"fid": frechet_distance(*feature_stats(test_features[a]), judge.mean, judge.cov),
                      "inception_score": inception_score(test_probs[a]),
                      "kl_to_uniform": kl_to_uniform(shares), "min_share": min(shares), "max_share": max(shares)}
            values["precision"], values["recall"] = precision_recall(test_features[b], test_features[a])
            for key, value in values.items():
                runs.setdefault(key, []).append(value)
        floors[str(n)] = {**{k: float(np.mean(v)) for k, v in runs.items()},
                          **{f"{k}_sd": float(np.std(v)) for k, v in runs.items()}}
    return floors


def build_reference(classifier: MNISTClassifier, data_root: str | Path | None = None,
                    out: str | Path = REFERENCE_STATS) -> dict[str, dict[str, float]]:
    """Write the MNIST-train feature mean/covariance (`out`) and the floors (its .json); returns the floors."""
    train = embed(classifier, load_mnist(data_root, train=True).images)
    mean, cov = feature_stats(train.features)
    judge = Judge(classifier, mean, cov, {})
    test = embed(classifier, load_mnist(data_root, train=False).images)
    floors = measure_floors(judge, test.features, test.probs)
    out = Path(out)
    save_file({"mean": torch.from_numpy(mean), "cov": torch.from_numpy(cov)}, str(out),
              metadata={"format": "gan-explorer-reference-stats"})
    card = {"format": "gan-explorer-reference-stats", "reference": "MNIST train, 60000 images",
            "floors_from": f"disjoint MNIST test subsets, {FLOOR_REPEATS} repeats (mean and _sd)",
            "floors": floors}
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    return floors
