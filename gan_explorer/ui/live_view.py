"""The Train tab's live view: the status line, the sample grid and the charts, and the stream that
redraws them from the session's run.

The run trains in the session's background thread (sessions.py). The /train stream only
watches it: it polls the trainer and sends charts, grid and status at most every
REFRESH_S seconds, because the browser redraws every Plotly figure it receives.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from .. import plots
from ..config import TrainConfig
from ..images import grid, upscale
from ..losses import LOSSES
from ..parsing import whole_number
from ..sessions import QualityFn, Session
from ..trainer import GRID_SIDE
from .explained import explain
from .fields import Slider
from .picture import WriteOnceImage
from .status import run_status

REPLAY_LABEL = "Replay: move back through the run's grids"
REFRESH_S = 0.8  # one chart refresh per 0.8 s: the browser keeps up and lag stays < 1 s (docs/performance.md)
POLL_S = 0.1  # how quickly the stream notices that the run ended
GRID_SCALE = 2  # 302 px grid -> 604 px, nearest-neighbour
QUALITY_EVERY = 250  # steps between quick quality checks (FID on 500 samples) of a snapshot


def grid_caption(config: TrainConfig | None) -> str:
    """The words above the sample grid; the columns are digits only for a conditional model."""
    caption = "**G(fixed noise)**: the same 100 z all run long"
    return caption + ("; column j draws digit j" if config is not None and config.conditional else "")


def live_caption(config: TrainConfig | None) -> str:
    """The caption over the run's grid as it is now (a replay says "Replay" instead)."""
    return ("**Live** · " if config is not None else "") + grid_caption(config)


def replay_caption(step: int, last: int) -> str:
    return f"**Replay: step {step:,}** of {last:,}: the grid as it was then (Start or Step shows it live again)"


def replay_range(session: Session) -> dict[str, Any]:
    """The Replay slider for the session's run: from its first kept grid to its last, at the last."""
    frames = session.run.timelapse.frames if session.run is not None else ()
    if not frames:
        return gr.Slider(minimum=0, maximum=1, value=0, interactive=False)
    return gr.Slider(minimum=frames[0].step, maximum=max(frames[-1].step, frames[0].step + 1),
                     value=frames[-1].step, interactive=True)


def replay_view(session: Session, step: float) -> tuple[Any, ...]:
    """(losses, D outputs, grad norms, grid, caption) of the run at `step`: the grid kept then, and
    a cursor at that step on the charts."""
    run = session.run
    if run is None or not run.timelapse.frames:
        raise gr.Error("There is no run to replay yet: press Start or Step first.")
    last = run.timelapse.frames[-1].step
    frame = run.timelapse.at(whole_number(REPLAY_LABEL, step, 0, max(last, run.trainer.step_count)))
    probabilities = LOSSES[run.trainer.config.loss].scores_are_probabilities
    figures = plots.with_cursor(plots.training_figures(list(run.trainer.history), probabilities), frame.step)
    return (*figures, upscale(frame.grid, GRID_SCALE), replay_caption(frame.step, last))


def live_view(session: Session) -> tuple[Any, ...]:
    """(losses, D outputs, grad norms, grid, status, quality, digit histogram, frequencies, grid caption)
    for the current run."""
    run = session.run
    history = list(run.trainer.history) if run is not None else []
    image = grid(run.trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE) if run is not None else None
    quality = list(run.quality) if run is not None else []
    latest = quality[-1] if quality else {}
    histogram = plots.class_histogram_figure(latest.get("class_histogram"), latest.get("step"))
    probabilities = run is None or LOSSES[run.trainer.config.loss].scores_are_probabilities
    return (*plots.training_figures(history, probabilities), image, run_status(session),
            plots.quality_figure(quality, QUALITY_EVERY), histogram, plots.spectrum_figure(latest),
            live_caption(run.trainer.config if run is not None else None))


def build_stage(quality_fn: QualityFn | None) -> tuple[list[gr.components.Component], gr.Slider]:
    """The status line, the sample grid and the charts (the live view's outputs, in live_view order),
    and the Replay slider under the grid."""
    status = gr.HTML(run_status(Session()), elem_id="train-status")
    with gr.Row(equal_height=False, elem_id="train-stage"):
        with gr.Column(elem_id="train-grid-column"):
            # A caption above, not the image's label: it follows the run (conditional or not).
            caption = gr.Markdown(grid_caption(None), elem_id="train-grid-caption")
            sample_grid = WriteOnceImage(show_label=False, format="png", type="numpy", interactive=False,
                                         elem_id="train-grid", elem_classes="gx-pixelated", height=420,
                                         buttons=["download"])
            replay = Slider(0, 1, value=0, step=1, label=REPLAY_LABEL, interactive=False, elem_id="train-replay")
            explain("train-grid")
        with gr.Column(elem_id="train-charts"):
            losses = gr.Plot(plots.loss_figure([]), show_label=False, elem_id="chart-losses", elem_classes="gx-stage")
            explain("chart-losses")
            scores = gr.Plot(plots.score_figure([]), show_label=False, elem_id="chart-scores", elem_classes="gx-stage")
            explain("chart-scores")
    more = {}
    with gr.Row(equal_height=False, elem_id="train-more-charts"):
        # min_width: on a narrow screen a chart moves to the next line rather than cutting its text
        for elem_id, figure, scale, min_width, needs_quality in (
                ("chart-grads", plots.grad_norm_figure([]), 1, 300, False),
                ("chart-quality", plots.quality_figure([], QUALITY_EVERY), 2, 440, True),
                ("chart-digits", plots.class_histogram_figure(None), 1, 300, True),
                ("chart-spectrum", plots.spectrum_figure(None), 1, 300, True)):
            with gr.Column(scale=scale, min_width=min_width, visible=quality_fn is not None or not needs_quality):
                more[elem_id] = gr.Plot(figure, show_label=False, elem_id=elem_id)
                explain(elem_id)
    return [losses, scores, more["chart-grads"], sample_grid, status, more["chart-quality"], more["chart-digits"],
            more["chart-spectrum"], caption], replay


def watch(session: Session) -> Iterator[tuple[Any, ...]]:
    """The live view while the session's run trains, at most every REFRESH_S, and once more when it ends."""
    last = 0.0
    while True:
        running = session.running
        if not running or time.monotonic() - last >= REFRESH_S:
            last = time.monotonic()
            yield live_view(session)
        if not running:
            break
        time.sleep(POLL_S)
    # A run that ended early says why in a toast and in the status line; not as a gr.Error, which
    # would cover the grid and the charts that show what went wrong with red "Error" badges.
    if session.run is not None and session.run.error:
        gr.Warning(session.run.error)
