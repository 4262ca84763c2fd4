"""A run's history in pictures: the fixed-noise grid kept every so many steps, in bounded memory,
so a class can scrub back through a run or take it home as an animated GIF."""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from .images import grid

DEFAULT_EVERY = 25  # steps between kept grids at the start of a run
MAX_FRAMES = 64  # 64 grids of 100 digits: about 5 MB, whatever the run's length
CAPTION_PX = 28  # the height of the "step N" strip under each GIF frame
GAP_PX = 8  # between the grids of a comparison's runs


@dataclass(frozen=True)
class Frame:
    step: int
    grid: np.ndarray  # (H, W) uint8: the fixed-noise grid after `step` steps


class Timelapse:
    """Grids of the fixed noise, one every `every` steps. When `max_frames` are kept, every other
    one is dropped and `every` doubles, so a run of any length keeps evenly spaced frames from its
    start (the noise it began as) to now, and memory stays bounded."""

    def __init__(self, every: int = DEFAULT_EVERY, max_frames: int = MAX_FRAMES) -> None:
        if every < 1 or max_frames < 2:
            raise ValueError(f"a timelapse needs every >= 1 and max_frames >= 2 (got {every}, {max_frames})")
        self.every, self.max_frames = every, max_frames
        self._frames: list[Frame] = []

    def due(self, step: int) -> bool:
        """Whether the grid after `step` steps should be kept."""
        return step % self.every == 0 and not (self._frames and self._frames[-1].step == step)

    def record(self, step: int, images: Tensor, nrow: int = 10) -> None:
        """Keep the grid of `images` (generator output in [-1, 1]) as the frame of `step`."""
        if self._frames and step <= self._frames[-1].step:
            self._frames = [f for f in self._frames if f.step < step]  # a new run from an old step
        self._frames.append(Frame(step, grid(images, nrow=nrow)))
        if len(self._frames) > self.max_frames:
            self._thin()

    def _thin(self) -> None:
        self.every *= 2
        last = self._frames[-1]
        self._frames = [f for f in self._frames[:-1] if f.step % self.every == 0] + [last]

    @property
    def frames(self) -> tuple[Frame, ...]:
        return tuple(self._frames)

    def at(self, step: int) -> Frame:
        """The last frame kept at or before `step` (the first frame for an earlier step)."""
        if not self._frames:
            raise LookupError("the timelapse has no frames yet: train a few steps first")
        earlier = [f for f in self._frames if f.step <= step]
        return earlier[-1] if earlier else self._frames[0]

    def gif(self, duration_ms: int = 150, scale: int = 2) -> bytes:
        """The frames as an animated GIF, each captioned with its step; the last frame lingers."""
        return side_by_side_gif([self], [""], duration_ms, scale)


def side_by_side_gif(timelapses: Sequence[Timelapse], tags: Sequence[str], duration_ms: int = 150,
                     scale: int = 2) -> bytes:
    """Runs' timelapses as one animated GIF: at each step the first one kept, every run's grid of
    that step side by side (a comparison's A | B), each captioned with its tag and the step; the
    last frame lingers."""
    first = timelapses[0].frames
    if not first:
        raise LookupError("the timelapse has no frames yet: train a few steps first")
    pictures = [_side_by_side([t.at(frame.step) for t in timelapses], tags, frame.step, scale) for frame in first]
    durations = [duration_ms] * (len(pictures) - 1) + [duration_ms * 10]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0)
    return buffer.getvalue()


def _side_by_side(frames: Sequence[Frame], tags: Sequence[str], step: int, scale: int) -> Image.Image:
    """The frames' grids, upscaled without blur, GAP_PX apart over a black strip that says the step."""
    height, width = frames[0].grid.shape
    gap = GAP_PX * scale
    out = Image.new("L", (len(frames) * width * scale + (len(frames) - 1) * gap, (height + CAPTION_PX) * scale), 0)
    draw, font = ImageDraw.Draw(out), ImageFont.load_default(size=18 * scale)
    for i, (frame, tag) in enumerate(zip(frames, tags)):
        left = i * (width * scale + gap)
        out.paste(Image.fromarray(frame.grid).resize((width * scale, height * scale), Image.Resampling.NEAREST),
                  (left, 0))
        draw.text((left + 6 * scale, (height + 3) * scale), f"{tag + ' · ' if tag else ''}step {step:,}",
                  fill=255, font=font)
    return out
