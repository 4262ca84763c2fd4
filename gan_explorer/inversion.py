"""Draw a digit, find its z: GAN inversion by gradient descent on z.

G maps z to an image; inversion asks the reverse question: which z (and, for a conditional model,
which digit label) makes G draw this picture? There is no formula for G's inverse, so we search:
Adam moves z to lower the pixel distance between G(z) and the target, while a penalty keeps |z|^2
near latent_dim, where almost every z ~ N(0, I) lies (a z far from there is one G never saw in
training, and draws something that matches the pixels but looks like no digit). The search starts
from several places (restarts, run side by side as one batch) and keeps the best.

The target goes through the same steps that made MNIST (mnist_style): white ink on black, the ink's
bounding box scaled into 20 x 20, placed in 28 x 28 with its centre of mass at the centre.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .latent import generate
from .models import NUM_CLASSES, Generator

MNIST_BOX = 20  # MNIST's digits were scaled to fit 20 x 20 ...
MNIST_SIDE = 28  # ... and centred by centre of mass in 28 x 28
INK_LEVEL = 0.2  # a pixel this far from the background (0-1) counts as ink when finding the box
MIN_INK_PIXELS = 4  # fewer than this: an empty canvas or a stray click, not a digit

DEFAULT_RESTARTS = 6
DEFAULT_STEPS = 100
CANDIDATES = 256  # random z scored once; the best `restarts` of them start the search
LEARNING_RATE = 0.1
PRIOR_WEIGHT = 0.05  # weight of ((|z|^2 / d) - 1)^2 against the mean squared pixel error
MAX_RESTARTS, MAX_STEPS = 64, 2000
LABELS_TRIED = 2  # a conditional model searches the classifier's two likeliest digits

ProgressFn = Callable[[int, int], None]  # (steps done, total steps)
NearestFn = Callable[[Tensor], Tensor]  # image (1, 28, 28) in [-1, 1] -> closest training image
ClassifyFn = Callable[[Tensor], Tensor]  # images (N, 1, 28, 28) -> (N, 10) logits or probabilities


class InversionError(ValueError):
    """The picture or the settings cannot be inverted (an empty drawing, a bad number of steps...)."""


@dataclass(frozen=True)
class Inversion:
    target: Tensor  # (1, 28, 28) in [-1, 1]: the picture after MNIST's centring and scaling
    reconstruction: Tensor  # (1, 28, 28) in [-1, 1]: G(z, label)
    z: Tensor  # (latent_dim,)
    label: int | None  # the digit the conditional model was given; None for an unconditional one
    distance: float  # L2 distance between target and reconstruction, on [-1, 1] pixels
    nearest: Tensor | None  # (1, 28, 28): the training image closest to the target, if asked for
    nearest_distance: float | None  # its distance to the target: how close a real digit comes


# ---------------------------------------------------------------- the picture, made like MNIST

def _grey(picture: np.ndarray | Image.Image) -> np.ndarray:
    """(H, W) float in [0, 1], ink bright or dark as drawn; a transparent background counts as no ink."""
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(_as_uint8(np.asarray(picture)))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255
        alpha = rgba[..., 3]
        if alpha.min() < 0.99:  # strokes on a transparent canvas: the strokes are where alpha is
            grey, strokes = rgba[..., :3].mean(-1), alpha > 0.5
            background = 1.0 if strokes.any() and grey[strokes].mean() < 0.5 else 0.0  # dark ink: white paper
            return grey * alpha + background * (1 - alpha)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255


def _as_uint8(array: np.ndarray) -> np.ndarray:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)) or min(array.shape[:2]) < 1:
        raise InversionError(f"Expected a picture of shape (H, W) or (H, W, 1/3/4); got {array.shape}.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.dtype == np.uint8:
        return array
    values = array.astype(np.float32)
    if not np.isfinite(values).all():
        raise InversionError("The picture contains NaN or infinite values.")
    values = values / 255 if values.max(initial=0) > 1 else values  # 0-1 floats or 0-255 numbers
    return (values.clip(0, 1) * 255).round().astype(np.uint8)


def mnist_style(picture: np.ndarray | Image.Image) -> Tensor:
    """(1, 28, 28) in [-1, 1]: a drawing or photo of one digit, prepared as MNIST's digits were.

    Either polarity works (the border's colour is taken as the paper). The ink's bounding box is
    scaled to fit 20 x 20 (keeping its shape) and placed so its centre of mass is at the centre
    of 28 x 28."""
    grey = _grey(picture)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = float(np.median(border))
    ink = np.abs(grey - paper)
    ink = ink / max(float(ink.max()), 1e-6)
    rows, cols = np.nonzero(ink > INK_LEVEL)
    if rows.size < MIN_INK_PIXELS or float(np.abs(grey - paper).max()) < INK_LEVEL:
        raise InversionError("The picture is empty: draw a digit (or upload a picture of one) first.")
    box = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = MNIST_BOX / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    small = np.asarray(Image.fromarray((box * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float32) / 255
    frame = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    mass = small.sum()
    cy = (small.sum(1) @ np.arange(small.shape[0])) / mass
    cx = (small.sum(0) @ np.arange(small.shape[1])) / mass
    top = int(np.clip(round(MNIST_SIDE / 2 - cy), 0, MNIST_SIDE - small.shape[0]))
    left = int(np.clip(round(MNIST_SIDE / 2 - cx), 0, MNIST_SIDE - small.shape[1]))
    frame[top:top + small.shape[0], left:left + small.shape[1]] = small
    return torch.from_numpy(frame.clip(0, 1) * 2 - 1).unsqueeze(0)


# ---------------------------------------------------------------- the search

def _whole(name: str, value: object, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise InversionError(f"{name} must be a whole number from {lo} to {hi}; got {value!r}.")
    return value


def _as_target(target: Tensor | np.ndarray | Image.Image) -> Tensor:
    """A tensor is taken as already made like MNIST (e.g. a test digit); a picture is prepared here."""
    if not isinstance(target, Tensor):
        return mnist_style(target)
    if target.numel() != MNIST_SIDE * MNIST_SIDE or not torch.isfinite(target).all():
        raise InversionError(f"A target tensor must be one finite 28 x 28 image; got shape {tuple(target.shape)}.")
    return target.detach().float().cpu().reshape(1, MNIST_SIDE, MNIST_SIDE).clamp(-1, 1)


def labels_to_try(generator: Generator, target: Tensor, classify: ClassifyFn | None) -> list[int | None]:
    """[None] for an unconditional model; else the classifier's LABELS_TRIED likeliest digits (all ten without one)."""
    if not generator.conditional:
        return [None]
    if classify is None:
        return list(range(NUM_CLASSES))
    with torch.no_grad():
        scores = classify(target.reshape(1, 1, MNIST_SIDE, MNIST_SIDE)).reshape(-1)
    return scores.topk(LABELS_TRIED).indices.tolist()


def _objective(generator: Generator, z: Tensor, labels: Tensor | None, target: Tensor) -> Tensor:
    """Per restart: the mean squared pixel error plus the penalty for an atypical |z|."""
    error = (generator(z, labels) - target).pow(2).flatten(1).mean(1)
    typical = (z.pow(2).mean(1) - 1).pow(2)  # 0 when |z|^2 = latent_dim, the typical squared length
    return error + PRIOR_WEIGHT * typical


def _starts(generator: Generator, target: Tensor, label: int | None, restarts: int,
            rng: torch.Generator) -> Tensor:
    """The `restarts` best of CANDIDATES random z for this label: the search begins near the target."""
    z = torch.randn(max(CANDIDATES, restarts), generator.latent_dim, generator=rng).to(target.device)
    labels = None if label is None else torch.full((len(z),), label, device=target.device)
    with torch.no_grad():
        score = _objective(generator, z, labels, target)
    return z[score.topk(restarts, largest=False).indices]


def invert(generator: Generator, target: Tensor | np.ndarray | Image.Image, *, restarts: int = DEFAULT_RESTARTS,
           steps: int = DEFAULT_STEPS, seed: int = 0, classify: ClassifyFn | None = None,
           nearest: NearestFn | None = None, progress: ProgressFn | None = None) -> Inversion:
    """Find the z (and digit label, for a conditional model) whose G(z) is closest to `target`.

    `restarts` searches per label tried run together for `steps` Adam steps; the best is kept.
    `classify` (images -> class scores) picks the labels a conditional model tries; `nearest`
    finds the training image closest to the target; `progress(done, total)` is called every step.
    The random starts come from a generator of this call's own, seeded by `seed`."""
    restarts = _whole("restarts", restarts, 1, MAX_RESTARTS)
    steps = _whole("steps", steps, 1, MAX_STEPS)
    target = _as_target(target)
    generator.eval()  # BatchNorm's running statistics: each restart is independent of the others
    rng = torch.Generator().manual_seed(seed)
    tried = labels_to_try(generator, target, classify)
    on_device = target.to(next(generator.parameters()).device)  # a live run's G may be on the GPU
    z = torch.cat([_starts(generator, on_device, label, restarts, rng) for label in tried]).requires_grad_(True)
    labels = None if tried == [None] else torch.tensor(tried, device=on_device.device).repeat_interleave(restarts)
    optimizer = torch.optim.Adam([z], lr=LEARNING_RATE)
    for step in range(steps):
        for group in optimizer.param_groups:  # cosine decay: big moves first, fine tuning at the end
            group["lr"] = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * step / steps))
        loss = _objective(generator, z, labels, on_device)
        # Gradients for z only: G's weights (shared with other users of the model) are left untouched.
        (z.grad,) = torch.autograd.grad(loss.sum(), [z])
        optimizer.step()
        if progress is not None:
            progress(step + 1, steps)
    with torch.no_grad():
        best = int(_objective(generator, z, labels, on_device).argmin())
    label = None if labels is None else int(labels[best])
    found = z[best].detach().cpu().clone()
    reconstruction = generate(generator, found, label)[0]
    real = None if nearest is None else nearest(target).reshape(1, MNIST_SIDE, MNIST_SIDE)
    return Inversion(target, reconstruction, found, label, float((reconstruction - target).norm()), real,
                     None if real is None else float((real - target).norm()))


@torch.no_grad()
def best_random_distance(generator: Generator, target: Tensor, n: int, label: int | None = None,
                         seed: int = 0) -> float:
    """The baseline a search must beat: the smallest distance to `target` among n random z."""
    rng = torch.Generator().manual_seed(seed)
    best = math.inf
    for start in range(0, n, CANDIDATES):
        images = generate(generator, torch.randn(min(CANDIDATES, n - start), generator.latent_dim, generator=rng),
                          label)
        best = min(best, float((images - _as_target(target)).flatten(1).norm(dim=1).min()))
    return best


def evaluations(restarts: int = DEFAULT_RESTARTS, steps: int = DEFAULT_STEPS) -> int:
    """How many images G draws in one search per label tried: the random candidates, then every step."""
    return max(CANDIDATES, restarts) + restarts * steps
