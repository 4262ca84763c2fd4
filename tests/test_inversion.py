"""Inversion: a drawn or real digit is prepared like MNIST, and the z found redraws it (MNIST needed)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gan_explorer.checkpoints import SHIPPED_DIR, load_checkpoint
from gan_explorer.classifier import load_classifier
from gan_explorer.data import MNISTTensors
from gan_explorer.inversion import (
    DEFAULT_RESTARTS,
    Inversion,
    InversionError,
    best_random_distance,
    evaluations,
    invert,
    mnist_style,
)

DIGITS = 5  # per model here; benchmarks/inversion.py measures 50
MODELS = ("mlp", "dcgan_conditional")  # the fastest, and the conditional one
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


def _generator(name: str):
    return load_checkpoint(SHIPPED_DIR / f"{name}.safetensors").generator


def _read(classifier, image: torch.Tensor) -> int:
    with torch.no_grad():
        return int(classifier(image.reshape(1, 1, 28, 28)).argmax())


def _spread_digits(data: MNISTTensors, n: int) -> list[int]:
    """Indices of the first test image of n different digits."""
    return [int((data.labels == d).nonzero()[0]) for d in range(n)]


@pytest.fixture(scope="module", params=MODELS)
def inversions(request, mnist_test: MNISTTensors, classifier) -> tuple[str, list[tuple[int, Inversion]]]:
    generator = _generator(request.param)
    return request.param, [(int(mnist_test.labels[i]), invert(generator, mnist_test.images[i], classify=classifier))
                           for i in _spread_digits(mnist_test, DIGITS)]


def test_reconstructions_are_read_as_the_same_digit(inversions, classifier) -> None:
    name, found = inversions
    read = [_read(classifier, result.reconstruction) for _, result in found]
    same = sum(r == digit for r, (digit, _) in zip(read, found))
    assert same >= 0.8 * len(found), f"{name}: {same}/{len(found)} read as the target's digit ({read})"


def test_reconstructions_are_much_closer_than_the_best_of_as_many_random_z(inversions) -> None:
    name, found = inversions
    generator = _generator(name)
    ratios = []
    for digit, result in found:
        n = evaluations() * (2 if generator.conditional else 1)  # a conditional search tries two digits
        baseline = best_random_distance(generator, result.target, n, digit if generator.conditional else None)
        ratios.append(result.distance / baseline)
    assert max(ratios) < 0.8, f"{name}: distance / best-random-distance {np.round(ratios, 2).tolist()}"


def test_a_conditional_model_is_given_the_label_the_classifier_reads(inversions, classifier) -> None:
    name, found = inversions
    labels = [result.label for _, result in found]
    if not _generator(name).conditional:
        assert labels == [None] * len(found)
    else:
        assert sum(label == digit for label, (digit, _) in zip(labels, found)) >= 0.8 * len(found), labels


def test_restarts_come_from_the_call_s_own_seed(mnist_test: MNISTTensors) -> None:
    generator = _generator("mlp")
    state = torch.random.get_rng_state()
    runs = [invert(generator, mnist_test.images[0], restarts=2, steps=3, seed=s) for s in (1, 1, 2)]
    assert torch.equal(torch.random.get_rng_state(), state), "inversion drew from the global RNG"
    assert torch.equal(runs[0].z, runs[1].z) and not torch.equal(runs[0].z, runs[2].z)
    assert runs[0].z.shape == (generator.latent_dim,) and runs[0].reconstruction.shape == (1, 28, 28)


def test_a_drawing_is_centred_and_scaled_like_mnist_whatever_its_polarity(mnist_test: MNISTTensors) -> None:
    digit = ((mnist_test.images[0, 0] + 1) * 127.5).round().numpy().astype(np.uint8)
    big = np.asarray(Image.fromarray(digit).resize((168, 168), Image.Resampling.BILINEAR))
    canvas = np.zeros((400, 300), dtype=np.uint8)
    canvas[30:198, 120:288] = big  # large and off-centre, as a sketchpad gives it
    for drawing in (canvas, 255 - canvas, np.stack([255 - canvas] * 3, axis=-1)):  # white on black, black on white, RGB
        prepared = mnist_style(drawing)
        assert prepared.shape == (1, 28, 28)
        error = (prepared - mnist_test.images[0]).abs().mean()
        assert error < 0.1, f"prepared drawing differs from the MNIST digit by {error:.3f} per pixel"


def test_strokes_on_a_transparent_canvas_count_as_ink() -> None:
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)
    rgba[20:80, 45:55] = (0, 0, 0, 255)  # a black "1" on a transparent background
    prepared = mnist_style(rgba)
    ink = prepared[0] > 0
    assert 40 <= int(ink.sum()) <= 100 and ink[4:24].any(1).all(), "the stroke is not a 20-pixel-tall bar"
    assert prepared[0, :, :8].max() == -1, "the transparent background came out as ink"


@pytest.mark.parametrize("picture", [np.zeros((50, 50), np.uint8), np.full((50, 50, 3), 255, np.uint8),
                                     np.zeros((50, 50, 4), np.uint8)])
def test_an_empty_drawing_is_refused_with_a_message(picture: np.ndarray) -> None:
    with pytest.raises(InversionError, match="empty"):
        mnist_style(picture)


@pytest.mark.parametrize("settings", [{"restarts": 0}, {"steps": 0}, {"steps": 2.5}, {"restarts": DEFAULT_RESTARTS * 100}])
def test_bad_effort_settings_are_refused_by_name(settings: dict) -> None:
    with pytest.raises(InversionError, match=next(iter(settings))):
        invert(_generator("mlp"), torch.zeros(1, 28, 28), **settings)
