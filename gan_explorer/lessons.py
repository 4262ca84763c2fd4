"""Lessons: a named GAN experiment a teacher runs with one click, and the effect it promises as code.

A Lesson says what to watch and why (two or three sentences), which run or pair of runs it starts
(each a preset of presets.PRESETS, so `gan-explorer train --preset NAME` trains it alone), which tab
it opens, and its promised effect as a check: a function of the runs so far that returns the step
at which the effect showed, or None. `lesson_runner.run_lesson` trains the runs, checks their
samples every `check_every` steps and asks the check; `gan-explorer lesson NAME` prints its answer.
Adding a lesson is one entry in LESSONS (and its runs' presets, if new, in presets.PRESETS).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import metrics
from .config import TrainConfig
from .data import MNISTTensors
from .diagnosis import RunState, diagnose
from .history import metric
from .latent_lesson import Finding, inverted_digits_stay_readable, slerp_stays_on_digits, top_direction_moves_g
from .models import NUM_CLASSES, Generator
from .modes import coverage_line

TABS = ("train", "interpolate", "lab")


@dataclass(frozen=True)
class RunRecord:
    """One run of a lesson as its check sees it: settings, metrics and quality checks so far."""
    preset: str
    config: TrainConfig
    history: Sequence[Any]  # StepMetrics (or a checkpoint's dicts), oldest first
    quality: Sequence[Mapping[str, Any]]  # metrics.quick_quality results with "step", oldest first
    step: int
    generator: Generator | None = None  # a shipped checkpoint's generator (lessons without training)
    digits: MNISTTensors | None = None  # real MNIST test digits, for a checkpoint lesson's checks

    @property
    def finding_kind(self) -> str:
        cfg = self.config
        return diagnose(RunState(self.history, self.quality, cfg.conditional, cfg.loss, cfg.g_lr, cfg.d_lr)).kind

    @property
    def readable_share(self) -> float:
        return self.quality[-1].get("confident_share", 0.0) if self.quality else 0.0

    @property
    def samples_line(self) -> str:
        """The latest check in a few words: the modes covered for a Gaussian mixture, else the share of readable digits."""
        check = self.quality[-1] if self.quality else {}
        return coverage_line(check) if "modes_covered" in check else f"{self.readable_share:.0%} readable"

    def last(self, key: str, steps: int) -> np.ndarray:
        """A metric over the run's last `steps` steps."""
        return metric(self.history, key, steps)


Check = Callable[[Sequence[RunRecord]], "int | None"]


Findings = Callable[[Sequence[RunRecord]], "list[Finding]"]


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    text: str  # what to watch and why it happens, two or three sentences
    effect: str  # the promise the check tests, one line
    check: Check
    runs: tuple[str, ...] = ()  # preset names: one run, or run A (the problem) and run B (its fix)
    checkpoint: str = ""  # a shipped checkpoint's name, for lessons that explore a trained G
    tab: str = "train"
    # The step budget: each run's steps within which the effect must show, about 2 minutes of training
    # on the 2-core AVX2 CPU as benchmarks/lessons.py predicts it.
    max_steps: int = 0
    check_every: int = 100  # steps between quality checks of the runs' samples
    # A checkpoint lesson with several promises: each measured and reported (check = all of them held).
    findings: Findings | None = None
    try_this: str = ""  # where to look in the app, for a lesson the page does not set up by itself


# ---------------------------------------------------------------- what the checks read

# The minimax loss's gradient for G is D(G(z)) times the non-saturating one's, so while D wins it is
# a few percent of it: under a quarter of the other run's (median over the last check's steps) is "vanished".
VANISHED_RATIO = 0.25
COVERED_DIGITS = 8  # the fix of a collapsed run draws at least this many of the 10 digits
# "The same sample for different z": the fixed-noise grid's mean pairwise pixel distance is under a third
# of the healthy run's. Measured: 0.7-5.3 for collapse-prone (one picture 100 times, steps 100-800), 15-20
# for healthy runs (real MNIST digits: 19.8).
SAME_SAMPLE_SPREAD = 1 / 3
# D far ahead: it calls real digits real and fakes fake with near certainty. (diagnosis' "D is winning"
# asks for D(G(z)) < 0.02 at every one of 300 steps; a D ten times faster than G leaves it at 0.00-0.08.)
D_AHEAD_REAL, D_AHEAD_FAKE = 0.9, 0.05
DISTANCE_FALL = 0.5  # the critic's distance has fallen to half its peak as samples improved
DISTANCE_CHUNK = 50  # steps per mean of the critic's distance: one step's gap is noisy


def _learned(run: RunRecord) -> bool:
    """The diagnosis calls the run Healthy: half its samples read as digits that look like real ones."""
    return run.finding_kind == "healthy"


def _present(check: Mapping[str, Any]) -> list[int]:
    return metrics.digits_present(check.get("confident_histogram") or [0.0] * NUM_CLASSES)


def _healthy(runs: Sequence[RunRecord]) -> int | None:
    run = runs[0]
    return run.step if run.finding_kind == "healthy" else None


def _saturating(runs: Sequence[RunRecord]) -> int | None:
    """B (non-saturating) has learned digits while A (minimax) has not, and A's gradients have vanished."""
    a, b = runs
    if not _learned(b) or _learned(a):
        return None
    window = b.step - b.quality[-2]["step"] if len(b.quality) > 1 else b.step
    ratio = np.median(a.last("g_grad_norm", window)) / max(np.median(b.last("g_grad_norm", window)), 1e-12)
    return b.step if ratio < VANISHED_RATIO else None


def _collapse(runs: Sequence[RunRecord]) -> int | None:
    """A has collapsed while B has learned most digits: the diagnosis calls A mode collapse (readable,
    real-looking samples on few digits, or digits lost since coverage was reached), or A draws the
    same sample for different z (its grid's spread is under SAME_SAMPLE_SPREAD of B's)."""
    a, b = runs
    if not _learned(b) or len(_present(b.quality[-1])) < COVERED_DIGITS:
        return None
    same_sample = a.quality[-1]["sample_spread"] < SAME_SAMPLE_SPREAD * b.quality[-1]["sample_spread"]
    return b.step if same_sample or a.finding_kind == "mode_collapse" else None


def _d_wins(runs: Sequence[RunRecord]) -> int | None:
    """D is far ahead in A (over the steps since the last check, mean D(x) above D_AHEAD_REAL and mean
    D(G(z)) below D_AHEAD_FAKE) and A has not learned, while B, the same networks with the fix, has."""
    a, b = runs
    window = b.step - b.quality[-2]["step"] if len(b.quality) > 1 else b.step
    ahead = a.last("d_real", window).mean() > D_AHEAD_REAL and a.last("d_fake", window).mean() < D_AHEAD_FAKE
    return b.step if ahead and not _learned(a) and _learned(b) else None


def _wgan_gp(runs: Sequence[RunRecord]) -> int | None:
    """A (standard loss) has not learned; B (WGAN-GP) has, and its critic's distance estimate,
    mean D(x) - D(G(z)), has fallen from its peak."""
    a, b = runs
    if _learned(a) or not _learned(b):
        return None
    gap = b.last("d_real", len(b.history)) - b.last("d_fake", len(b.history))
    chunks = [c.mean() for c in np.array_split(gap, max(1, len(gap) // DISTANCE_CHUNK))]
    return b.step if chunks[-1] <= DISTANCE_FALL * max(chunks) else None


# The ring's lesson: A piles its points on at most this many of the 8 modes (hopping between them)
# while B covers every one. Measured: A 0-2 at every check from step 100 to 800, seeds 0-4 (docs/lab2d.md).
COLLAPSED_MODES = 2
ON_DATA = 0.5  # gradients-2d: half of G's points have followed D's gradient to within 3σ of a mode


def _modes(run: RunRecord) -> tuple[int, int]:
    check = run.quality[-1] if run.quality else {}
    return check.get("modes_covered", 0), check.get("modes", -1)


def _ring_collapse(runs: Sequence[RunRecord]) -> int | None:
    """A covers at most COLLAPSED_MODES of the ring's modes while B covers all of them."""
    a, b = runs
    covered_b, modes = _modes(b)
    return b.step if covered_b == modes and _modes(a)[0] <= COLLAPSED_MODES else None


def _points_reach_the_data(runs: Sequence[RunRecord]) -> int | None:
    """Pushed along D's gradient, G's points reach every mode, at least half of them within 3σ of one."""
    run = runs[0]
    covered, modes = _modes(run)
    share = run.quality[-1].get("high_quality_share", 0.0) if run.quality else 0.0
    return run.step if covered == modes and share >= ON_DATA else None


def sample_spread(images: torch.Tensor) -> float:
    """Mean pixel distance between two of the images: near 0 when G draws the same image for every z."""
    return metrics.variety(images)["sample_spread"]


def _latent_space(runs: Sequence[RunRecord]) -> list[Finding]:
    run = runs[0]
    if run.generator is None or run.digits is None:
        raise ValueError("smooth-latent-space reads a shipped generator and real MNIST test digits.")
    return [slerp_stays_on_digits(run.generator), top_direction_moves_g(run.generator),
            inverted_digits_stay_readable(run.generator, run.digits)]


def every_finding(findings: Findings) -> Check:
    """A lesson's check from its findings: shown (at the run's step) when every one of them held."""
    def check(runs: Sequence[RunRecord]) -> int | None:
        return runs[0].step if all(f.held for f in findings(runs)) else None
    return check


# ---------------------------------------------------------------- the lessons

LESSONS: dict[str, Lesson] = {}


def register(lesson: Lesson) -> Lesson:
    LESSONS[lesson.name] = lesson
    return lesson


register(Lesson(
    name="what-g-and-d-do", title="What G and D do",
    text="G turns random noise z into images; D sees real digits and G's fakes and learns to tell them apart. "
         "On the 'What D says' chart D first pulls D(x) (real) up and D(G(z)) (fake) down; then G learns to "
         "fool it, the two lines drift towards each other and the grid turns from noise into digits.",
    effect="the diagnosis turns Healthy: half the samples read as digits, one column per digit, D unsure",
    check=_healthy, runs=("fast",), max_steps=1200, check_every=100))

register(Lesson(
    name="saturating-loss", title="Saturating vs non-saturating loss",
    text="Two runs from the same seed with the same networks and learning rates; only G's loss differs. With "
         "the original minimax loss log(1 - D(G(z))) G's gradient is proportional to D(G(z)), so once D "
         "rejects the fakes G hardly moves (the gradient-norm chart); the non-saturating loss -log D(G(z)) "
         "pushes G hardest exactly then, and its grid turns into digits while the other stalls.",
    effect="B (non-saturating) turns Healthy while A (minimax) does not, with A's gradient under a quarter of B's",
    check=_saturating, runs=("minimax-strong-d", "non-saturating-strong-d"), max_steps=800, check_every=100))

register(Lesson(
    name="mode-collapse", title="Mode collapse: the same picture for every z",
    text="Run A gives Adam a heavy momentum (beta1 0.9) and G twice D's learning rate: G overshoots towards "
         "whatever D accepts at the moment and stops listening to z, so every z lands on the same picture "
         "(a checkerboard, not even a digit) and the grid shows it 100 times. Run B, the dcgan preset "
         "(beta1 0.5, equal learning rates), keeps its samples apart and draws every digit.",
    effect="A's fixed-noise samples are near-identical (their spread under a third of B's) or the diagnosis "
           "calls A mode collapse, while B is Healthy with at least 8 digits",
    check=_collapse, runs=("collapse-prone", "dcgan"), max_steps=600, check_every=100))

register(Lesson(
    name="strong-discriminator", title="A discriminator far ahead",
    text="Run A gives D ten times G's learning rate: D soon calls every real digit real and every fake fake "
         "(D(x) near 1, D(G(z)) near 0), and G's small steps cannot catch up, so its grid stays a blur. "
         "Run B, the same networks with equal learning rates, stays balanced (D unsure, near 0.5) and "
         "turns into digits.",
    effect="D is far ahead in A (mean D(x) > 0.9 and D(G(z)) < 0.05 since the last check) and A has not "
           "learned, while B is Healthy",
    check=_d_wins, runs=("slow-g", "fast"), max_steps=900, check_every=100))

register(Lesson(
    name="wgan-gp", title="WGAN-GP: a critic that measures a distance",
    text="Both runs give D five times G's learning rate. With the original loss (run A) D soon rejects every "
         "fake and G's gradients vanish; with WGAN-GP (run B) D is a critic whose gradient penalty keeps "
         "its slope near 1, so a critic far ahead still tells G which way to go. Its score gap D(x) - D(G(z)) "
         "estimates how far the fakes are from real digits: watch it fall as the grid improves.",
    effect="B (WGAN-GP) turns Healthy while A (minimax) does not, and B's critic gap has fallen to half "
           "its peak",
    check=_wgan_gp, runs=("minimax-strong-d", "wgan-gp-strong-d"), max_steps=800, check_every=100))

register(Lesson(
    name="smooth-latent-space", title="A smooth latent space: paths, directions, and a drawn digit's z",
    text="G maps nearby z to similar images, so a walk from one z to another is a film of plausible digits; "
         "spherical interpolation (slerp) keeps |z| near its typical 8 in 64 dimensions, where the straight "
         "line's midpoint (about 5.7) is a z G rarely saw. Some ways through z matter more than others: "
         "SeFa reads them from G's first layer, and its top direction restyles the digit smoothly, more than "
         "a random move of the same length. And every digit has a z: a search finds one whose G(z) redraws a "
         "real digit, and walks from it stay readable.",
    effect="slerp's middle frames read as digits at least as often as lerp's; SeFa's top direction moves G "
           "more than a random one, without jumps; real test digits inverted are redrawn as themselves, "
           "and the paths between them stay readable",
    try_this="compare *slerp* with *linear* here; on **Draw**, draw a digit, press **Find**, then "
             "**Interpolate from here**; on **Explore**, press **Preview from the current z** and move the "
             "direction sliders.",
    check=every_finding(_latent_space), findings=_latent_space, checkpoint="dcgan", tab="interpolate"))

register(Lesson(
    name="mode-collapse-2d", title="Mode collapse on a ring of 8 Gaussians",
    text="Run A's D learns five times slower than G (non-saturating loss): G piles all its points wherever D is "
         "weakest, D catches up and rejects that spot, and G's whole cloud jumps to the next mode, covering one "
         "or two of the eight at a time. Run B is WGAN-GP's recipe, a critic trained five times per G step with "
         "a gradient penalty: its gradient points towards every mode at once, so G spreads over all eight.",
    effect=f"A covers at most {COLLAPSED_MODES} of the 8 modes while B covers all 8 "
           f"(a mode counts when 0.8% of 2,500 points lie within 3σ of it)",
    check=_ring_collapse, runs=("ring-slow-d", "ring-wgan-gp"), tab="lab", max_steps=300, check_every=100))

register(Lesson(
    name="gradients-2d", title="What D's gradient does to the fake points",
    text="G never sees the data: all it learns is D's gradient at its own points, drawn as arrows on the fake "
         "points. Each G step moves every point a little along its arrow, uphill on D's heat map, towards where "
         "D says real; D then redraws its map around the data, and the arrows follow until the points sit on the "
         "ring's modes.",
    effect=f"G's points reach all 8 modes, at least {ON_DATA:.0%} of them within 3σ of one",
    check=_points_reach_the_data, runs=("ring",), tab="lab", max_steps=1500, check_every=100))
