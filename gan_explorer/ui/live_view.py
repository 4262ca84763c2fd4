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
from ..losses import scores_are_probabilities
from ..parsing import whole_number
from ..sessions import QualityFn, Run, Session
from ..trainer import GRID_SIDE
from .explained import explain
from .fields import Slider
from .picture import WriteOnceImage
from .status import run_status

REPLAY_LABEL = "Replay: move back through the run's grids"
REFRESH_S = 0.8  # one chart refresh per 0.8 s: the browser keeps up and lag stays < 1 s (docs/performance.md)
GRID_SCALE = 2  # 302 px grid -> 604 px, nearest-neighbour
QUALITY_EVERY = 250  # steps between quick quality checks (FID on 500 samples) of a snapshot


def grid_caption(config: TrainConfig | None) -> str:
    """The words above the sample grid; the columns are digits only for a conditional model."""
    caption = "**G(fixed noise)**: the same 100 z all run long"
    return caption + ("; column j draws digit j" if config is not None and config.conditional else "")


def live_caption(config: TrainConfig | None) -> str:
    """The caption over the run's grid as it is now (a replay says "Replay" instead)."""
    return ("**Live** · " if config is not None else "") + grid_caption(config)


def run_caption(run: Run, lines: str) -> str:
    """The caption over one grid of a comparison (both show the same z): the run by what differs, and
    its charts' line style. Short, so the two grids stay level."""
    return f"**{run.name}** ({lines})"


def replay_caption(step: int, last: int) -> str:
    return f"**Replay: step {step:,}** of {last:,}: the grid as it was then (Start or Step shows it live again)"


def no_replay() -> dict[str, Any]:
    """The Replay slider while there is nothing to replay: before a run, and while one trains (the
    stream would draw the live grid over a replayed one within a second)."""
    return gr.Slider(minimum=0, maximum=1, value=0, interactive=False)


def replay_range(session: Session) -> dict[str, Any]:
    """The Replay slider for the session's run: from its first kept grid to its last, at the last."""
    frames = session.run.timelapse.frames if session.run is not None else ()
    if not frames:
        return no_replay()
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
    figures = plots.with_cursor(training_figures(session), frame.step)
    return (*figures, upscale(frame.grid, GRID_SCALE), replay_caption(frame.step, last))


def rival_replay_view(session: Session, step: float) -> tuple[Any, Any]:
    """(run B's grid, its caption) at `step` in a comparison, so both grids replay together; unchanged alone."""
    rival = session.rival
    if rival is None or not rival.timelapse.frames:
        return gr.skip(), gr.skip()
    frame = rival.timelapse.at(whole_number(REPLAY_LABEL, step, 0, max(rival.timelapse.frames[-1].step,
                                                                     rival.trainer.step_count)))
    return upscale(frame.grid, GRID_SCALE), f"{run_caption(rival, 'dashed')} · **Replay: step {frame.step:,}**"


def training_figures(session: Session, gradients: bool = True) -> tuple[Any, ...]:
    """Losses, D's outputs and (unless gradients=False) gradient norms of the session's run, run B's
    dashed over them in a comparison."""
    runs = session.runs
    probabilities = scores_are_probabilities(run.trainer.config.loss for run in runs)
    histories = [run.trainer.history for run in runs] or [[]]
    if len(runs) == 2:
        return plots.compare_figures(*histories, probabilities, [run.name for run in runs], gradients)
    return plots.training_figures(histories[0], probabilities, gradients)


def _quality_figures(session: Session) -> tuple[Any, Any, Any]:
    """The quality chart, the digit histogram and the frequencies of the latest checks (both runs')."""
    quality = [list(run.quality) for run in session.runs] or [[]]
    latest = [q[-1] if q else {} for q in quality]
    if len(quality) == 2:
        names = [run.name for run in session.runs]
        histogram = plots.compare_histogram_figure(*(q.get("class_histogram") for q in latest),
                                                   latest[0].get("step"), names)
        spectrum = plots.spectrum_figure(latest[0], latest[1], names)
        return plots.compare_quality_figure(*quality, QUALITY_EVERY, names), histogram, spectrum
    histogram = plots.class_histogram_figure(latest[0].get("class_histogram"), latest[0].get("step"))
    return plots.quality_figure(quality[0], QUALITY_EVERY), histogram, plots.spectrum_figure(latest[0])


def live_view(session: Session) -> tuple[Any, ...]:
    """(losses, D outputs, grad norms, grid, status, quality, digit histogram, frequencies, grid caption)
    for the current run; in a comparison the charts overlay run B's (rival_view gives its grid)."""
    run = session.run
    image = grid(run.trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE) if run is not None else None
    quality, histogram, spectrum = _quality_figures(session)
    caption = run_caption(run, "solid") if session.rival is not None else \
        live_caption(run.trainer.config if run is not None else None)
    return (*training_figures(session), image, run_status(session), quality, histogram, spectrum, caption)


def rival_view(session: Session) -> tuple[Any, str]:
    """(run B's grid, its caption) in a comparison; (None, "") without one."""
    rival = session.rival
    if rival is None:
        return None, ""
    return grid(rival.trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE), run_caption(rival, "dashed")


def stage_view(session: Session) -> tuple[Any, ...]:
    """What Start, Step and Reset redraw: live_view's outputs, then rival_view's."""
    return (*live_view(session), *rival_view(session))


def _grid(elem_id: str) -> WriteOnceImage:
    return WriteOnceImage(show_label=False, format="png", type="numpy", interactive=False, elem_id=elem_id,
                          elem_classes="gx-pixelated", height=420, buttons=["download"])


def build_stage(quality_fn: QualityFn | None) -> tuple[list[gr.components.Component], gr.Slider,
                                                       list[gr.components.Component], gr.Column]:
    """The status line, the sample grid and the charts (the live view's outputs, in live_view order),
    the Replay slider under the grid, run B's grid and caption (rival_view order) and their column,
    shown beside run A's grid while a comparison is chosen."""
    status = gr.HTML(run_status(Session()), elem_id="train-status")
    with gr.Row(equal_height=False, elem_id="train-stage"):
        with gr.Column(elem_id="train-grid-column"):
            with gr.Row(equal_height=False, elem_id="train-grids"):
                with gr.Column(min_width=160, elem_id="train-grid-a"):
                    # A caption above, not the image's label: it follows the run (conditional or not).
                    caption = gr.Markdown(grid_caption(None), elem_id="train-grid-caption")
                    sample_grid = _grid("train-grid")
                with gr.Column(min_width=160, visible=False, elem_id="train-grid-b") as rival_column:
                    rival_caption = gr.Markdown("", elem_id="train-grid-b-caption")
                    rival_grid = _grid("train-grid-b-image")
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
    return ([losses, scores, more["chart-grads"], sample_grid, status, more["chart-quality"], more["chart-digits"],
             more["chart-spectrum"], caption], replay, [rival_grid, rival_caption], rival_column)


def watch(session: Session) -> Iterator[tuple[Any, ...]]:
    """The live view while the session's run trains, at most every REFRESH_S, and once more when it ends."""
    while True:
        running, due = session.running, time.monotonic() + REFRESH_S
        yield stage_view(session)
        if not running:
            break
        session.wait(due - time.monotonic())
    # A run that ended early says why in a toast and in the status line; not as a gr.Error, which
    # would cover the grid and the charts that show what went wrong with red "Error" badges.
    for run in session.runs:
        if run.error:
            gr.Warning(run.error)
