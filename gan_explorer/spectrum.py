"""The frequency view: how much of each spatial frequency generated digits hold against real ones.

GANs are known to get high frequencies wrong (checkerboard artefacts from transposed convolutions,
grainy noise early in training). The radially averaged power spectrum makes that visible as a gap
between two curves that closes as training goes on; it costs one FFT of a few hundred 28x28 images.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def radial_power(images: Tensor) -> np.ndarray:
    """log10 of the mean power at each integer radius of the 2-D spectrum, from the lowest
    frequency (radius 0, the mean brightness) up to the Nyquist radius: shape (H // 2 + 1,).

    `images` is (N, 1, H, W) in [-1, 1], as G draws them and MNIST is scaled."""
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[0] == 0:
        raise ValueError(f"expected a non-empty (N, 1, H, W) batch of images, got shape {tuple(images.shape)}")
    x = images.detach().float().cpu()[:, 0]
    power = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1)).abs().pow(2).mean(dim=0)
    h, w = power.shape
    yy, xx = torch.meshgrid(torch.arange(h) - h // 2, torch.arange(w) - w // 2, indexing="ij")
    radius = torch.sqrt(xx.float() ** 2 + yy.float() ** 2).round().long()
    top = min(h, w) // 2
    inside = radius <= top  # the corners beyond the Nyquist circle have no full ring
    sums = torch.zeros(top + 1).index_add_(0, radius[inside], power[inside].double().float())
    counts = torch.zeros(top + 1).index_add_(0, radius[inside], torch.ones(int(inside.sum())))
    return np.log10((sums / counts).numpy() + 1e-12)


def high_frequency_gap(generated: np.ndarray, real: np.ndarray) -> float:
    """Mean absolute difference (in decades of power) between two radial spectra over the upper
    half of the frequencies, where generators err most; 0 for identical spectra."""
    if generated.shape != real.shape:
        raise ValueError(f"spectra of different lengths: {generated.shape} and {real.shape}")
    upper = slice(len(real) // 2, None)
    return float(np.abs(generated[upper] - real[upper]).mean())
