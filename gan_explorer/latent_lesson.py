"""The smooth-latent-space lesson's findings on a trained generator, each measured with its figures:
paths between two z (slerp against the straight line), SeFa's top direction, and inverted real digits.

gan_explorer.lessons registers the lesson; its check holds when all three findings do.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import latent, metrics
from .data import MNISTTensors
from .directions import find_directions, mean_change, preview_strips
from .inversion import invert
from .models import NUM_CLASSES, Generator

INTERPOLATION_PAIRS = 64
INTERPOLATION_FRAMES = 9  # the middle frame (t = 0.5) is where a straight line's z is shortest
RANDOM_DIRECTIONS, CHANGE_SAMPLES = 8, 64  # directions.mean_change against random unit directions ...
DIRECTION_GAIN = 1.2  # ... the top one changes G by more than this times as much (as tests/test_directions.py)
SMOOTH_Z, SMOOTH_FRAMES, SMOOTH_SEED = 8, 13, 2
# No step along the direction changes G by more than this times the path's mean step (measured on the
# shipped dcgan and mlp, 32 z each: at most 2.9, and 1.8-2.5 along random directions)
SMOOTH_JUMP = 4.0
INVERTED_DIGITS = 3  # the first test image of digits 0, 1, 2 (dcgan: 9 of 0-9 redrawn as themselves; its 3 reads 8)
READABLE_PATH = 0.7  # share of the frames between inverted digits read with confidence (dcgan's 0-9: 60-100 % per pair)


@dataclass(frozen=True)
class Finding:
    """One part of a checkpoint lesson's promise, as measured: what was asked, whether it held, the figures."""
    what: str
    held: bool
    figures: str


@torch.no_grad()
def midpoint_readability(generator: Generator, method: str, pairs: int = INTERPOLATION_PAIRS) -> float:
    """The share of interpolations from z0 to z1 (seeds 2i, 2i+1) whose middle frame the classifier
    reads with confidence: is the path's middle still on the data manifold?"""
    judge = metrics.default_judge()
    middles = []
    for i in range(pairs):
        z0, z1 = (latent.latent_from_seed(s, generator.latent_dim) for s in (2 * i, 2 * i + 1))
        label = i % NUM_CLASSES if generator.conditional else None
        frames = latent.interpolation_frames(generator, z0, z1, INTERPOLATION_FRAMES, method, label)
        middles.append(frames[INTERPOLATION_FRAMES // 2])
    confidence = metrics.embed(judge.classifier, torch.stack(middles)).probs.max(1).values
    return float((confidence >= metrics.CONFIDENT).double().mean())


def slerp_stays_on_digits(generator: Generator) -> Finding:
    """Slerp's middle frames read as digits at least as often as the straight line's."""
    slerp, lerp = (midpoint_readability(generator, method) for method in ("slerp", "linear"))
    return Finding("slerp's middle frames read as digits at least as often as lerp's", slerp >= lerp,
                   f"{slerp:.0%} against {lerp:.0%} of {INTERPOLATION_PAIRS} pairs")


@torch.no_grad()
def _largest_jump(generator: Generator, direction: torch.Tensor) -> float:
    """Along a direction from -3 to +3 sigma in SMOOTH_FRAMES frames, from SMOOTH_Z random z: the largest
    pixel change between two neighbouring frames, as a multiple of that path's mean change (1 = even)."""
    jumps = []
    for z in torch.randn(SMOOTH_Z, generator.latent_dim, generator=torch.Generator().manual_seed(SMOOTH_SEED)):
        frames = preview_strips(generator, z, direction.unsqueeze(0), steps=SMOOTH_FRAMES).flatten(1)
        change = (frames[1:] - frames[:-1]).norm(dim=1)
        jumps.append(float(change.max() / change.mean().clamp_min(1e-12)))
    return max(jumps)


def top_direction_moves_g(generator: Generator) -> Finding:
    """SeFa's top direction changes G's output more than random unit directions (directions.mean_change,
    as tests/test_directions.py measures it) and smoothly: no step along it jumps."""
    top = find_directions(generator, "sefa", 1)
    random = torch.randn(RANDOM_DIRECTIONS, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    ratio = float(mean_change(generator, top, n=CHANGE_SAMPLES, seed=1)[0]
                  / mean_change(generator, random / random.norm(dim=1, keepdim=True), n=CHANGE_SAMPLES, seed=1).mean())
    jump = _largest_jump(generator, top[0])
    return Finding("SeFa's top direction moves G more than a random one, smoothly",
                   ratio > DIRECTION_GAIN and jump < SMOOTH_JUMP,
                   f"{ratio:.2f}x a random direction's change (needs > {DIRECTION_GAIN}); largest step "
                   f"{jump:.1f}x the mean (needs < {SMOOTH_JUMP})")


def inverted_digits_stay_readable(generator: Generator, digits: MNISTTensors) -> Finding:
    """Real test digits (the first of INVERTED_DIGITS kinds) inverted: each reconstruction is read as its
    digit, and the slerp from each one's z to the next one's reads as digits in most of its frames."""
    judge = metrics.default_judge()
    picked = [int((digits.labels == d).nonzero()[0]) for d in range(INVERTED_DIGITS)]
    found = [invert(generator, digits.images[i]) for i in picked]
    read = metrics.embed(judge.classifier, torch.stack([f.reconstruction for f in found])).probs.argmax(1).tolist()
    frames = torch.cat([latent.interpolation_frames(generator, a.z, b.z, INTERPOLATION_FRAMES, "slerp")
                        for a, b in zip(found, found[1:] + found[:1])])
    readable = float((metrics.embed(judge.classifier, frames).probs.max(1).values >= metrics.CONFIDENT).double().mean())
    same = sum(r == d for r, d in zip(read, range(INVERTED_DIGITS)))
    return Finding("inverted test digits are redrawn as the same digit; paths between them stay readable",
                   same == INVERTED_DIGITS and readable >= READABLE_PATH,
                   f"{same}/{INVERTED_DIGITS} read as their digit (read {read}); {readable:.0%} of the frames "
                   f"between them readable (needs >= {READABLE_PATH:.0%})")
