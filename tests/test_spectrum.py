"""The frequency view: radial power spectra of real and generated digits, and the gap between them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_explorer.spectrum import high_frequency_gap, radial_power


@pytest.fixture(scope="module")
def real_digits(mnist_test) -> torch.Tensor:
    return mnist_test.images[:1000].float()


def test_two_halves_of_mnist_have_nearly_the_same_spectrum(real_digits: torch.Tensor) -> None:
    a, b = radial_power(real_digits[:500]), radial_power(real_digits[500:])
    assert a.shape == (15,)
    assert high_frequency_gap(a, b) < 0.1


def test_noise_holds_far_more_high_frequency_power_than_digits(real_digits: torch.Tensor) -> None:
    noise = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    real, grainy = radial_power(real_digits[:500]), radial_power(noise)
    assert (grainy[-5:] > real[-5:]).all()
    assert high_frequency_gap(grainy, real) > 0.5  # decades of power: white noise against strokes


def test_blurred_digits_lose_high_frequencies(real_digits: torch.Tensor) -> None:
    blurred = F.avg_pool2d(real_digits[:500], 3, stride=1, padding=1, count_include_pad=False)
    real, soft = radial_power(real_digits[:500]), radial_power(blurred)
    assert (soft[-5:] < real[-5:]).all()
    assert np.isclose(soft[0], real[0], atol=0.05)  # the mean brightness is kept


def test_a_wrong_shape_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="N, 1, H, W"):
        radial_power(torch.zeros(3, 28, 28))
