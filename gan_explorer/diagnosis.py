"""Plain-words diagnosis of a GAN run: one finding a student understands, and what to try.

`diagnose(RunState)` reads the run's recent metrics (D(x), D(G(z)), losses, gradient norms) and
its quality checks (metrics.quick_quality: the classifier's confidence, the digits it reads,
whether each digit looks like real ones, whether each label draws its digit) and returns the
first finding of RULES that applies. A rule is a function RunState -> Finding | None; adding
one is one function and one entry in RULES. Every threshold is a named constant saying why.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import NUM_CLASSES
from .history import metric
from .losses import LOSSES
from .modes import mode_count

# --- When is a run lost? -------------------------------------------------------------------
# BCE, least-squares and hinge losses sit near 1 while D and G compete (log 4 = 1.39 at balance);
# 100 means D's outputs have blown up to about +-100, from which no learning rate brings them back.
EXPLODED_LOSS = 100.0
# A critic's scores are open-ended; a 1-Lipschitz critic can still not separate two 28x28 images in
# [-1, 1] by more than their largest pixel distance, 56: losses in the thousands mean it broke.
EXPLODED_CRITIC_LOSS = 1000.0
EXPLODED_STEPS = 20  # a median over this many steps: one wild step is noise, twenty is a trend
# --- When is D winning? --------------------------------------------------------------------
# "For hundreds of steps" (issue 13): early on D often leads for a few dozen steps, then G catches up.
D_WINS_STEPS = 300
D_WINS_FAKE = 0.02  # D(G(z)) below this at every one of those steps: D calls every sample fake
D_WINS_REAL = 0.5  # ... while still calling real digits real (not a D that says "fake" to everything)
# G's gradient has vanished when its median is under 5% of its own earlier level (the minimax
# loss's gradient scales with D(G(z)), so it drops by orders of magnitude when D wins).
VANISHED_GRAD_FRACTION = 0.05
GRAD_CHUNK = 50  # steps per median when finding the gradient's earlier level
# --- When are samples readable, and when have digits collapsed? ------------------------------
# Half the samples read with confidence >= metrics.CONFIDENT: the `fast` preset passes this around step
# 500, when a class first calls the grid "digits"; at step 250 it reads 49%.
READABLE_SHARE = 0.5
# A digit makes up under a quarter of its fair 10% of the readable samples: it is missing.
MISSING_SHARE = 0.025
COLLAPSED_MISSING = 3  # three or more digits missing: one or two can be slow to appear in a healthy run
# Per-digit FID (500 samples against real images of that digit): real digits score under 10, the
# blurry digits of a healthy run at step 500 50-150, and the noise blobs the classifier calls a
# confident 8 (mlp-classic, step 250) 259. Above this, "G draws only 8s" means "G draws blobs".
REAL_LOOKING_DIGIT_FID = 100.0
COVERAGE_REACHED = 9  # digits present at an earlier check for a later loss to count as disappearing
DISAPPEARED_DIGITS = 2  # fewer than this lost since then is within check-to-check noise
# "The same picture for every z": samples differ from one another by under half as much as their mean
# picture differs from flat grey (metrics.variety). Real digits: 2.2 (only real 1s: 1.2); healthy runs
# 0.76-0.9 at step 100 and 1.4-2.2 from step 300 on; collapse-prone (one checkerboard 100 times) 0.15-0.5.
SAME_PICTURE_RATIO = 0.5
DRAWN_CONTRAST = 5.0  # below this the mean picture is still G's blank start: nothing drawn to compare yet
# A column of a conditional model that draws its digit in under 30% of samples ignores its label
# (the `fast` preset's weakest column reads 58% right at step 500).
LABEL_IGNORED_HITS = 0.3
LABELS_IGNORED = 3  # columns ignoring their label before the model counts as not following labels
# --- Points in the plane (the 2-D lab's Gaussian mixtures; modes.py measures them) ------------
# Under a fifth of G's points within 3σ of any mode: G has not reached the data yet; missing modes
# then say nothing about collapse.
ON_DATA_SHARE = 0.2
# G's points filling less of the plane than the data (modes.area_ratio under 1) crowd into a part of it:
# collapsed, even where the crowd covers no mode. Run A of mode-collapse-2d measured 0.11-0.79, healthy
# runs 1.26 or more at checks where they covered few modes yet.
CROWDED_AREA = 1.0


@dataclass(frozen=True)
class Finding:
    kind: str  # "diverged", "d_winning", "mode_collapse", "ignores_labels", "still_learning", "healthy", ...
    message: str  # one line a student understands
    advice: str = ""  # what to try; empty when nothing needs doing
    severity: str = "info"  # "ok", "info", "warning" or "error": how the page colours it
    hopeless: bool = False  # the run cannot recover: stop it rather than train on

    @property
    def line(self) -> str:
        return f"{self.message} — {self.advice}" if self.advice else self.message


@dataclass(frozen=True)
class RunState:
    """What a diagnosis reads: the run's metrics history (StepMetrics or checkpoint dicts, oldest
    first), its quality checks (quick_quality results with "step", oldest first) and its settings."""
    history: Sequence[Any]
    quality: Sequence[Mapping[str, Any]]
    conditional: bool
    loss: str
    g_lr: float = 0.0
    d_lr: float = 0.0


def _series(history: Sequence[Any], key: str, last: int) -> np.ndarray:
    return metric(history, key, last)


def _digits(digits: Sequence[int]) -> str:
    names = [str(d) for d in digits]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def diverged(state: RunState) -> Finding | None:
    if not state.history:
        return None
    losses = np.concatenate([_series(state.history, k, EXPLODED_STEPS) for k in ("d_loss", "g_loss")])
    advice = (f"lower both learning rates (now G {state.g_lr:g}, D {state.d_lr:g}; 0.0002-0.001 train "
              f"well) and press Start for a new run, or try the wgan_gp loss")
    if not np.isfinite(losses).all():
        return Finding("diverged", "Diverged: the losses became NaN or infinite", advice, "error", hopeless=True)
    limit = EXPLODED_LOSS if LOSSES[state.loss].scores_are_probabilities else EXPLODED_CRITIC_LOSS
    worst = max(np.median(np.abs(_series(state.history, k, EXPLODED_STEPS))) for k in ("d_loss", "g_loss"))
    if len(state.history) >= EXPLODED_STEPS and worst > limit:
        return Finding("diverged", f"Diverged: the losses are exploding (about {worst:,.0f})", advice, "error",
                       hopeless=True)
    return None


def d_winning(state: RunState) -> Finding | None:
    if not LOSSES[state.loss].scores_are_probabilities or len(state.history) < D_WINS_STEPS:
        return None
    fake, real = _series(state.history, "d_fake", D_WINS_STEPS), _series(state.history, "d_real", D_WINS_STEPS)
    if fake.max() >= D_WINS_FAKE or np.median(real) <= D_WINS_REAL:
        return None
    grads = _series(state.history, "g_grad_norm", len(state.history))
    earlier = grads[:-D_WINS_STEPS]
    chunks = [np.median(c) for c in np.array_split(earlier, max(1, len(earlier) // GRAD_CHUNK))] if len(earlier) else []
    vanished = bool(chunks) and np.median(grads[-D_WINS_STEPS:]) < VANISHED_GRAD_FRACTION * max(chunks)
    message = (f"D is winning: D(G(z)) ≈ 0 for {D_WINS_STEPS} steps"
               + (" and G's gradients are vanishing" if vanished else ""))
    advice = "try a lower D learning rate" + (" or the non_saturating loss" if state.loss == "minimax"
                                               else " or a higher G learning rate")
    return Finding("d_winning", message, advice, "warning")


def _latest_readable(state: RunState) -> Mapping[str, Any] | None:
    """The latest quality check when its samples are readable, else None."""
    latest = state.quality[-1] if state.quality else None
    if latest is None or latest.get("confident_share", 0.0) < READABLE_SHARE:
        return None
    return latest


def _present(check: Mapping[str, Any]) -> list[int]:
    return [d for d, s in enumerate(check["confident_histogram"]) if s >= MISSING_SHARE]


def mode_collapse(state: RunState) -> Finding | None:
    latest = _latest_readable(state)
    if state.conditional or latest is None:
        return None
    present = _present(latest)
    advice = "try wgan_gp, minibatch std in D (mlp), or a lower G learning rate, then Start a new run"
    earlier = [q for q in state.quality[:-1] if q.get("confident_share", 0.0) >= READABLE_SHARE
               and len(_present(q)) >= COVERAGE_REACHED]
    if earlier:
        best = max(earlier, key=lambda q: len(_present(q)))
        lost = sorted(set(_present(best)) - set(present))
        if len(lost) >= DISAPPEARED_DIGITS:
            return Finding("mode_collapse", f"Mode collapse: {len(lost)} of {NUM_CLASSES} digits have disappeared "
                                            f"since step {best['step']:,} ({_digits(lost)})", advice, "warning")
    fids = latest.get("digit_fid") or [None] * NUM_CLASSES
    looks_real = all(fids[d] is not None and fids[d] <= REAL_LOOKING_DIGIT_FID for d in present
                     if fids[d] is not None) and any(fids[d] is not None for d in present)
    if NUM_CLASSES - len(present) >= COLLAPSED_MISSING and looks_real:
        return Finding("mode_collapse", f"Mode collapse: G draws only {_digits(present)}; {NUM_CLASSES - len(present)} "
                                        f"of {NUM_CLASSES} digits are missing", advice, "warning")
    return None


def same_picture(state: RunState) -> Finding | None:
    latest = state.quality[-1] if state.quality else None
    if latest is None or latest.get("picture_contrast", 0.0) < DRAWN_CONTRAST:
        return None
    if latest["sample_spread"] >= SAME_PICTURE_RATIO * latest["picture_contrast"]:
        return None
    return Finding("mode_collapse", "Mode collapse: G draws nearly the same picture for every z",
                   "try a lower G learning rate, Adam's beta1 0.5, or wgan_gp, then Start a new run", "warning")


def mixture_modes(state: RunState) -> Finding | None:
    """For a Gaussian mixture (quality checks with "modes_covered"): all modes covered, or some missing,
    by a G whose points crowd into part of the plane (mode collapse) or spread as wide as the data (not
    there yet). Checks saved without the area (before it was measured) are judged by the share on the data."""
    latest = state.quality[-1] if state.quality else None
    if latest is None or "modes_covered" not in latest:
        return None
    covered, modes, share = latest["modes_covered"], latest["modes"], latest["high_quality_share"]
    what = f"{share:.0%} of points within 3σ of a mode"
    if covered == modes:
        return Finding("healthy", f"Healthy: {'all ' if modes > 1 else ''}{mode_count(modes)} covered, {what}",
                       severity="ok")
    area = latest.get("area_ratio")
    crowded = area < CROWDED_AREA if area is not None else not (share < ON_DATA_SHARE and covered == 0)
    if not crowded:
        where = ("are not on the data yet" if area is None
                 else f"spread as wide as the data, {covered} of {mode_count(modes)} covered so far")
        return Finding("still_learning", f"Still learning: G's points {where} ({what})")
    crowd = f"G's points crowd into {area:.0%} of the area the data fill; " if area is not None else ""
    return Finding("mode_collapse", f"Mode collapse: {crowd}{covered} of {mode_count(modes)} covered ({what})",
                   "try wgan_gp with n_critic 5, or minibatch std in D, or a D learning rate closer to G's",
                   "warning")


def unmeasured(state: RunState) -> Finding | None:
    """A dataset with no measure of its samples (two moons, a curve): say so rather than guess."""
    latest = state.quality[-1] if state.quality else None
    if latest is None or "confident_share" in latest or "modes_covered" in latest:
        return None
    return Finding("unmeasured", "No measure of the samples for this dataset: compare the points with the data by eye")


def ignores_labels(state: RunState) -> Finding | None:
    latest = _latest_readable(state)
    if not state.conditional or latest is None or "label_hits" not in latest:
        return None
    ignored = [d for d, hits in enumerate(latest["label_hits"]) if hits < LABEL_IGNORED_HITS]
    if len(ignored) < LABELS_IGNORED:
        return None
    return Finding("ignores_labels", f"Not following the labels: the columns for {_digits(ignored)} "
                                     f"seldom draw their digit",
                   "give it more steps; if it lasts, lower G's learning rate", "warning")


def still_learning(state: RunState) -> Finding | None:
    if not state.quality:
        return Finding("too_early", "No verdict on the samples yet: a running Start checks them as it trains")
    latest = state.quality[-1]
    share = latest.get("confident_share", 0.0)
    if share < READABLE_SHARE:
        return Finding("still_learning", f"Still learning: samples are not readable yet "
                                         f"({share:.0%} read as a digit with confidence)")
    present = _present(latest)
    fids = latest.get("digit_fid") or [None] * NUM_CLASSES
    blobs = [d for d in present if fids[d] is not None and fids[d] > REAL_LOOKING_DIGIT_FID]
    if not state.conditional and NUM_CLASSES - len(present) >= COLLAPSED_MISSING and blobs:
        return Finding("still_learning", f"Still learning: G draws shapes the classifier calls {_digits(blobs)}, "
                                         f"but they do not look like real digits yet")
    return None


def healthy(state: RunState) -> Finding | None:
    latest = state.quality[-1]
    what = (f"{latest['confident_share']:.0%} of samples read as digits, "
            f"{len(_present(latest))} of {NUM_CLASSES} digits drawn")
    if state.history and LOSSES[state.loss].scores_are_probabilities:
        fake = float(np.mean(_series(state.history, "d_fake", GRAD_CHUNK)))
        return Finding("healthy", f"Healthy: D is unsure (D(G(z)) ≈ {fake:.2f}) and {what}", severity="ok")
    return Finding("healthy", f"Healthy: {what}", severity="ok")


Rule = Callable[[RunState], "Finding | None"]
# First match wins: a lost run first, then D's dominance, then what the samples show.
RULES: list[Rule] = [diverged, d_winning, mode_collapse, same_picture, mixture_modes, unmeasured, ignores_labels,
                     still_learning, healthy]


def diagnose(state: RunState) -> Finding:
    for rule in RULES:
        finding = rule(state)
        if finding is not None:
            return finding
    raise AssertionError("healthy() always returns a finding")  # pragma: no cover
