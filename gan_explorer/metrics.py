"""How good is a generator? Sample quality and diversity, judged by the MNIST classifier.

Everything is measured in the classifier's 128-d feature space (the MNIST stand-in for
Inception-v3) on images in [-1, 1]:
  MNIST-FID        Fréchet distance between Gaussians fitted to generated and real features
                   (reference: the 60,000 MNIST training images, precomputed and shipped).
  Inception Score  exp E_x[KL(p(y|x) || p(y))]: confident per image, varied over images; at most 10.
  class histogram  the classifier's digit shares; mode coverage and a collapse warning read it.
  readability      the share of samples the classifier reads confidently, and per digit the FID
                   between samples read as that digit and real images of it (the classifier reads
                   noise blobs as a confident 8; a real-looking 8 is what tells them apart).
  precision/recall k-NN manifolds (Kynkäänniemi et al. 2019): are samples on the real manifold
                   (precision), and are real digits covered by the samples (recall)? (manifold.py)
Every score is noisy and biased at small n, so each comes with its real-vs-real floor: the
value real MNIST test digits (never trained on) get at the same n. Compare against that, not 0.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file
from threadpoolctl import threadpool_limits
from torch import Tensor

from .checkpoints import SHIPPED_DIR
from .classifier import DEFAULT_CLASSIFIER, MNISTClassifier, load_classifier
from .data import NUM_CLASSES, MNISTTensors, load_mnist
from .latent import sample
from .manifold import precision_recall
from .models import Generator
from .spectrum import high_frequency_gap, radial_power

REFERENCE_STATS = SHIPPED_DIR / "mnist_reference_stats.safetensors"
FLOOR_SIZES = (500, 2000)  # the app's live curve uses 500 samples, `gan-explorer evaluate` 2000
MISSING_SHARE = 0.025  # a digit under a quarter of its fair 10% counts as missing
DOMINANT_SHARE = 0.25  # a digit over 2.5x its fair share dominates
BATCH = 500
CONFIDENT = 0.9  # a sample counts as read when one digit gets this probability (benchmarks/time_to_digits.py)
# Per-digit FID needs enough samples of the digit: below 50 its small-sample bias swamps the signal.
MIN_DIGIT_SAMPLES = 50
REFERENCE_PER_DIGIT = 500  # real images per digit behind DigitReference: 5,000 embedded once, ~1 s
# The bar a shipped checkpoint must clear with `gan-explorer evaluate --n 2000`.
QUALITY_BAR = {"fid_floor_multiple": 2.0, "min_inception_score": 9.0, "min_share": 0.07, "max_share": 0.13}


class MetricsError(ValueError):
    """The reference statistics are missing or the inputs cannot be measured."""


@dataclass(frozen=True)
class Judge:
    """The classifier plus the real data's feature statistics and measured floors."""
    classifier: MNISTClassifier
    mean: np.ndarray  # (128,) float64, mean feature of MNIST train
    cov: np.ndarray  # (128, 128) float64
    floors: dict[str, dict[str, float]]  # by sample size, e.g. floors["2000"]["fid"]


@dataclass(frozen=True)
class DigitReference:
    """Feature mean and covariance of real images of each digit: do the samples read as 7 look like real 7s?"""
    stats: tuple[tuple[np.ndarray, np.ndarray], ...]  # per digit 0-9
    spectrum: np.ndarray  # the real images' radial power spectrum (spectrum.radial_power)


@dataclass(frozen=True)
class Embedding:
    features: Tensor  # (N, 128)
    probs: Tensor  # (N, 10) softmax of the classifier


@functools.lru_cache(maxsize=1)  # read-only, so one shared copy per process is safe
def default_judge() -> Judge:
    return load_judge()


def load_judge(classifier_path: str | Path = DEFAULT_CLASSIFIER, stats_path: str | Path = REFERENCE_STATS) -> Judge:
    classifier = load_classifier(classifier_path)
    stats_path = Path(stats_path)
    if not stats_path.is_file():
        raise MetricsError(f"No reference statistics at {str(stats_path)!r}; "
                           "`gan-explorer train-classifier` writes them.")
    tensors = load_file(str(stats_path))
    card = json.loads(stats_path.with_suffix(".json").read_text())
    return Judge(classifier, tensors["mean"].double().numpy(), tensors["cov"].double().numpy(), card["floors"])


@torch.no_grad()
def embed(classifier: MNISTClassifier, images: Tensor) -> Embedding:
    """Features and class probabilities of (N, 1, 28, 28) images in [-1, 1]."""
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise MetricsError(f"Expected images of shape (N, 1, 28, 28); got {tuple(images.shape)}.")
    if not torch.isfinite(images).all():
        raise MetricsError("The images contain NaN or infinite pixels (did training diverge?); they cannot be scored.")
    features, probs = [], []
    for chunk in images.float().cpu().split(BATCH):
        f = classifier.features(chunk)
        features.append(f)
        probs.append(classifier.head(f).softmax(1))
    return Embedding(torch.cat(features), torch.cat(probs))


# ---------------------------------------------------------------- the metrics

def feature_stats(features: Tensor) -> tuple[np.ndarray, np.ndarray]:
    f = features.double().numpy()
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(mean1: np.ndarray, cov1: np.ndarray, mean2: np.ndarray, cov2: np.ndarray) -> float:
    """||m1 - m2||^2 + Tr(C1 + C2 - 2 (C1 C2)^1/2), the FID formula of Heusel et al. 2017.

    Tr (C1 C2)^1/2 is the sum of the square roots of C1 C2's eigenvalues (real and >= 0 for
    two covariance matrices), as torchmetrics computes it: unlike scipy.linalg.sqrtm this stays
    stable when a feature never fires and the covariances are singular.
    """
    # One BLAS thread: a 128 x 128 problem gains nothing from more, and the app runs this beside
    # a training thread, where OpenBLAS's spinning helper threads made it 50x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        eigenvalues = np.linalg.eigvals(cov1 @ cov2).real.clip(min=0)
    return float(((mean1 - mean2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * np.sqrt(eigenvalues).sum())


def mnist_fid(judge: Judge, features: Tensor) -> float:
    return frechet_distance(*feature_stats(features), judge.mean, judge.cov)


def inception_score(probs: Tensor) -> float:
    """exp of the mean KL between each p(y|x) and the marginal p(y)."""
    p = probs.double().clamp_min(1e-12)
    marginal = p.mean(0, keepdim=True)
    return float((p * (p.log() - marginal.log())).sum(1).mean().exp())


def class_histogram(probs: Tensor) -> list[float]:
    """Share of samples the classifier assigns to each digit 0-9."""
    counts = torch.bincount(probs.argmax(1), minlength=NUM_CLASSES)
    return (counts.double() / max(len(probs), 1)).tolist()


def digit_reference(judge: Judge, data: MNISTTensors, per_digit: int = REFERENCE_PER_DIGIT) -> DigitReference:
    """Per-digit feature statistics of the first `per_digit` real images of each digit in `data`."""
    picks = [(data.labels == d).nonzero().flatten()[:per_digit] for d in range(NUM_CLASSES)]
    features = embed(judge.classifier, data.images[torch.cat(picks)]).features
    return DigitReference(tuple(feature_stats(chunk) for chunk in features.split([len(p) for p in picks])),
                          radial_power(data.images[torch.cat(picks)]))


def readability(emb: Embedding, reference: DigitReference | None = None,
                labels: Tensor | None = None) -> dict[str, Any]:
    """How readable samples are: the share read confidently, each digit's share of those, and, with a
    reference, per digit the FID to real images of that digit (None under MIN_DIGIT_SAMPLES samples).
    With labels (a conditional generator), label_hits[d] is the share of samples asked for d read as d."""
    confidence, digits = emb.probs.max(1)
    read = confidence >= CONFIDENT
    counts = torch.bincount(digits[read], minlength=NUM_CLASSES)
    result: dict[str, Any] = {"confident_share": float(read.double().mean()),
                              "confident_histogram": (counts.double() / max(int(read.sum()), 1)).tolist()}
    if reference is not None:
        result["digit_fid"] = [frechet_distance(*feature_stats(emb.features[digits == d]), *reference.stats[d])
                               if int((digits == d).sum()) >= MIN_DIGIT_SAMPLES else None
                               for d in range(NUM_CLASSES)]
    if labels is not None:
        result["label_hits"] = [float((digits[labels == d] == d).double().mean()) for d in range(NUM_CLASSES)]
    return result


def variety(images: Tensor) -> dict[str, float]:
    """How different the samples are from one another: sample_spread, the mean pixel distance between two
    of them (L2 on [-1, 1] pixels: 19.8 for real digits, near 0 when G draws one picture for every z),
    beside picture_contrast, how far their mean picture strays from a flat grey (L2: near 0 for G's
    blank start, 9.6 for real digits), so that "little spread" can be told from "nothing drawn yet"."""
    flat = images.flatten(1).double()
    mean = flat.mean(0)
    return {"sample_spread": float(torch.pdist(flat).mean()), "picture_contrast": float((mean - mean.mean()).norm())}


def kl_to_uniform(shares: list[float]) -> float:
    """0 when every digit is equally common; log(10) = 2.30 when all samples are one digit."""
    return float(sum(s * np.log(s * NUM_CLASSES) for s in shares if s > 0))


def digits_present(shares: list[float], min_share: float = MISSING_SHARE) -> list[int]:
    return [d for d, s in enumerate(shares) if s >= min_share]


def collapse_warning(shares: list[float], missing_share: float = MISSING_SHARE,
                     dominant_share: float = DOMINANT_SHARE) -> str | None:
    """A short sentence when digits are missing or one digit dominates; None when the mix looks healthy."""
    problems = []
    missing = [d for d, s in enumerate(shares) if s < missing_share]
    if missing:
        which = ", ".join(map(str, missing))
        problems.append(f"digit{'s' if len(missing) > 1 else ''} {which} missing")
    dominant = max(range(len(shares)), key=shares.__getitem__)
    if shares[dominant] > dominant_share:
        problems.append(f"digit {dominant} dominates ({shares[dominant]:.0%} of samples)")
    return "Possible mode collapse: " + "; ".join(problems) + "." if problems else None


# ---------------------------------------------------------------- a generator's report card

@torch.no_grad()
def generate(generator: Generator, n: int, seed: int = 0) -> Tensor:
    """n samples on the CPU; a conditional generator draws every digit equally often.

    Runs in eval mode (BatchNorm running statistics) and restores the mode afterwards; pass a
    copy (Trainer.snapshot()) rather than a generator another thread is training.
    """
    if n < 2:
        raise MetricsError(f"Need at least 2 samples to measure a generator; got n={n}.")
    was_training = generator.training
    generator.eval()
    try:
        device = next(generator.parameters()).device
        z, labels = sample(n, generator.latent_dim, torch.Generator(device).manual_seed(seed), generator.conditional)
        chunks = [generator(z[i:i + BATCH], None if labels is None else labels[i:i + BATCH]).float().cpu()
                  for i in range(0, n, BATCH)]
    finally:
        generator.train(was_training)
    return torch.cat(chunks)


def quick_quality(generator: Generator, n: int = 500, seed: int = 0, judge: Judge | None = None,
                  reference: DigitReference | None = None) -> dict[str, Any]:
    """The cheap live check for the app: FID, IS, histogram and readability (what diagnosis.py reads),
    and with a reference the power spectrum beside the real digits' (the frequency view)."""
    judge = judge or default_judge()
    images = generate(generator, n, seed)
    emb = embed(judge.classifier, images)
    labels = torch.arange(n) % NUM_CLASSES if generator.conditional else None
    result = {"fid": mnist_fid(judge, emb.features), "inception_score": inception_score(emb.probs),
              "class_histogram": class_histogram(emb.probs), **readability(emb, reference, labels),
              **variety(images)}
    if reference is not None:
        spectrum = radial_power(images)
        result.update(spectrum=spectrum.tolist(), spectrum_real=reference.spectrum.tolist(),
                      high_frequency_gap=high_frequency_gap(spectrum, reference.spectrum))
    return result


def evaluate_images(images: Tensor, real: MNISTTensors, seed: int = 0, judge: Judge | None = None,
                    labels: Tensor | None = None) -> dict[str, Any]:
    """Every metric for a batch of images; `real` supplies as many real digits for precision/recall."""
    judge = judge or default_judge()
    n = len(images)
    if n > len(real):
        raise MetricsError(f"n={n}: precision/recall compare with as many real digits, and there are only "
                           f"{len(real)}; use n of at most {len(real)}.")
    emb = embed(judge.classifier, images)
    real_idx = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:n]
    precision, recall = precision_recall(embed(judge.classifier, real.images[real_idx]).features, emb.features)
    shares = class_histogram(emb.probs)
    result = {"n": n, "fid": mnist_fid(judge, emb.features), "inception_score": inception_score(emb.probs),
              "precision": precision, "recall": recall, "class_histogram": shares,
              "min_share": min(shares), "max_share": max(shares), "digits_present": digits_present(shares),
              "kl_to_uniform": kl_to_uniform(shares), "warning": collapse_warning(shares)}
    if labels is not None:  # a conditional generator: does it draw the digit it was asked for?
        result["label_accuracy"] = float((emb.probs.argmax(1) == labels).double().mean())
    result["floor"] = judge.floors.get(str(n))
    return result


def evaluate_generator(generator: Generator, n: int = 2000, seed: int = 0, judge: Judge | None = None,
                       data_root: str | Path | None = None) -> dict[str, Any]:
    """All metrics of n samples, JSON-serialisable; real digits come from the MNIST test set."""
    labels = torch.arange(n) % NUM_CLASSES if generator.conditional else None
    return evaluate_images(generate(generator, n, seed), load_mnist(data_root, train=False),
                           seed, judge, labels)


def quality_bar_failures(result: dict[str, Any]) -> list[str]:
    """Which parts of QUALITY_BAR an evaluate result misses (empty when it clears the bar)."""
    bar, floor = QUALITY_BAR, result.get("floor") or {}
    failures = []
    if "fid" not in floor:
        failures.append(f"no measured FID floor at n={result['n']} (floors exist for n in {FLOOR_SIZES})")
    elif result["fid"] > bar["fid_floor_multiple"] * floor["fid"]:
        failures.append(f"FID {result['fid']:.2f} > {bar['fid_floor_multiple']:g} x floor {floor['fid']:.2f}")
    if result["inception_score"] < bar["min_inception_score"]:
        failures.append(f"IS {result['inception_score']:.2f} < {bar['min_inception_score']}")
    if not bar["min_share"] <= result["min_share"] <= result["max_share"] <= bar["max_share"]:
        failures.append(f"digit shares {result['min_share']:.1%}-{result['max_share']:.1%} "
                        f"outside {bar['min_share']:.0%}-{bar['max_share']:.0%}")
    return failures
