"""The quality metrics: the classifier they rest on, their real-vs-real floors, and what they flag."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gan_explorer.classifier import DEFAULT_CLASSIFIER, accuracy, load_classifier
from gan_explorer.data import MNISTTensors
from gan_explorer.manifold import precision_recall
from gan_explorer.metrics import (
    MetricsError,
    class_histogram,
    collapse_warning,
    digit_reference,
    embed,
    evaluate_images,
    frechet_distance,
    inception_score,
    kl_to_uniform,
    quick_quality,
    readability,
)
from gan_explorer.models import Generator
from gan_explorer.nearest import TrainingImages, nearest_training_image

N = 500  # the app's live sample size; the floors are measured at 500 and 2000


def _subset(data: MNISTTensors, n: int, seed: int) -> MNISTTensors:
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n]
    return MNISTTensors(data.images[idx], data.labels[idx])


def _noise(n: int) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1


class OneDigitGenerator(Generator):
    """A collapsed generator: every sample is the same real digit."""

    def __init__(self, digit_image: torch.Tensor) -> None:
        super().__init__()
        self.latent_dim, self.conditional = 8, False
        self.digit = torch.nn.Parameter(digit_image.clone(), requires_grad=False)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.digit.expand(len(z), 1, 28, 28)


def test_classifier_is_at_least_99_percent_accurate_as_its_card_says(mnist_test):
    measured = accuracy(load_classifier(), mnist_test)
    card = json.loads(DEFAULT_CLASSIFIER.with_suffix(".json").read_text())
    assert measured >= 0.99
    assert measured == pytest.approx(card["test_accuracy"], abs=1e-3)


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    mean1, mean2 = np.array([0.0, 1.0]), np.array([2.0, 1.0])
    var1, var2 = np.array([1.0, 4.0]), np.array([9.0, 4.0])
    expected = 4.0 + ((np.sqrt(var1) - np.sqrt(var2)) ** 2).sum()
    assert frechet_distance(mean1, np.diag(var1), mean2, np.diag(var2)) == pytest.approx(expected)
    assert frechet_distance(mean1, np.diag(var1), mean1, np.diag(var1)) == pytest.approx(0.0, abs=1e-9)


def test_inception_score_is_10_for_confident_balanced_and_1_for_identical_predictions():
    confident = torch.eye(10).repeat(5, 1)
    assert inception_score(confident) == pytest.approx(10.0, rel=1e-6)
    assert inception_score(torch.full((50, 10), 0.1)) == pytest.approx(1.0)


def test_real_digits_score_near_their_floor(judge, mnist_test):
    images = _subset(mnist_test, N, seed=123).images
    result = evaluate_images(images, _subset(mnist_test, 5000, seed=7), seed=1, judge=judge)
    floor = judge.floors[str(N)]
    assert result["fid"] < floor["fid"] + 4 * floor["fid_sd"]
    assert result["inception_score"] > floor["inception_score"] - 4 * floor["inception_score_sd"]
    assert result["precision"] > 0.6 and result["recall"] > 0.6
    assert result["warning"] is None
    json.dumps(result)  # the CLI and the app need plain JSON


def test_uniform_noise_scores_far_from_the_floor(judge, mnist_test):
    result = evaluate_images(_noise(N), mnist_test, judge=judge)
    floor = judge.floors[str(N)]
    assert result["fid"] > 20 * floor["fid"]
    assert result["inception_score"] < 3.0
    assert result["precision"] < 0.05 and result["recall"] < 0.05


def test_precision_recall_of_real_vs_real_is_high_and_of_noise_low(judge, mnist_test):
    real_a = embed(judge.classifier, _subset(mnist_test, N, seed=1).images).features
    real_b = embed(judge.classifier, _subset(mnist_test, N, seed=2).images).features
    noise = embed(judge.classifier, _noise(N)).features
    assert min(precision_recall(real_a, real_b)) > 0.6
    assert max(precision_recall(real_a, noise)) < 0.05


def test_generator_collapsed_to_one_digit_reads_as_one_confident_digit(judge, mnist_test):
    seven = mnist_test.images[(mnist_test.labels == 7).nonzero()[0, 0]]
    result = quick_quality(OneDigitGenerator(seven), n=200, judge=judge)
    assert result["class_histogram"][7] == 1.0
    assert result["confident_share"] == 1.0 and result["confident_histogram"][7] == 1.0
    assert kl_to_uniform(result["class_histogram"]) == pytest.approx(np.log(10))


def test_readability_gives_each_digits_fid_to_real_ones_and_each_labels_hits(judge, mnist_test):
    reference = digit_reference(judge, mnist_test, per_digit=200)
    images = mnist_test.images[5000:7000]  # not among the reference's first 200 of each digit
    result = readability(embed(judge.classifier, images), reference, labels=mnist_test.labels[5000:7000])
    # real digits look like real ones: far under diagnosis.REAL_LOOKING_DIGIT_FID (100), noise far over
    assert all(fid is not None and fid < 50 for fid in result["digit_fid"])
    assert min(result["label_hits"]) > 0.9  # the "labels" are the true ones
    noise = readability(embed(judge.classifier, _noise(N)), reference)
    assert max(f for f in noise["digit_fid"] if f is not None) > 200


def test_collapse_warning_names_missing_digits_and_stays_quiet_for_a_fair_mix():
    shares = [0.12] * 8 + [0.04, 0.0]
    assert collapse_warning(shares) == "Possible mode collapse: digit 9 missing."
    assert collapse_warning([0.1] * 10) is None


def test_class_histogram_counts_the_classifiers_digits():
    probs = torch.eye(10)[torch.tensor([3, 3, 3, 1])]
    assert class_histogram(probs) == [0, 0.25, 0, 0.75, 0, 0, 0, 0, 0, 0]


def test_nearest_training_image_finds_the_digit_a_sample_copies(mnist):
    sample = mnist.images[4321] + 0.01 * torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(0))
    image, index, distance = nearest_training_image(sample, TrainingImages.build(mnist))
    assert index == 4321
    assert torch.equal(image, mnist.images[4321])
    assert distance == pytest.approx(float((sample - mnist.images[4321]).norm()), rel=1e-4)
    assert nearest_training_image(sample, mnist)[1] == 4321  # raw tensors work too, just slower


def test_metrics_reject_images_of_the_wrong_shape_or_with_nan(judge):
    with pytest.raises(MetricsError, match=r"\(N, 1, 28, 28\)"):
        embed(judge.classifier, torch.zeros(4, 28, 28))
    with pytest.raises(MetricsError, match="NaN"):
        embed(judge.classifier, torch.full((4, 1, 28, 28), float("nan")))
    with pytest.raises(MetricsError, match="one 28x28 image"):
        nearest_training_image(torch.zeros(2, 1, 28, 28), MNISTTensors(torch.zeros(3, 1, 28, 28), torch.zeros(3)))


def test_the_quick_check_sets_a_generators_spectrum_beside_the_real_digits(judge, mnist_test):
    reference = digit_reference(judge, mnist_test, per_digit=50)
    seven = mnist_test.images[(mnist_test.labels == 7).nonzero()[0, 0]]
    result = quick_quality(OneDigitGenerator(seven), n=50, judge=judge, reference=reference)
    assert len(result["spectrum"]) == len(result["spectrum_real"]) == 15
    assert 0 <= result["high_frequency_gap"] < 1  # a real digit, so close to real digits' spectrum
    assert "spectrum" not in quick_quality(OneDigitGenerator(seven), n=50, judge=judge)
