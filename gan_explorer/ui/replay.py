"""Replay and exports on the Train tab: the Replay slider that scrubs back through the run's kept
grids (with the charts' cursor following), and the run's metrics as CSV, its grid as PNG and its
timelapse as GIF, written into Gradio's cache (downloads.py) like a saved checkpoint. A comparison
exports both runs: one CSV with a `run` column, the grids and the timelapses side by side."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from ..export import history_csv, runs_csv
from ..images import grid
from ..sessions import Run, Session
from ..timelapse import GAP_PX, side_by_side_gif
from ..trainer import GRID_SIDE
from .common import bind, friendly
from .downloads import write_download
from .live_view import GRID_SCALE, no_replay, replay_range, replay_view, rival_replay_view
from .sessions import SessionRegistry


@dataclass
class Exports:
    csv: gr.Button
    png: gr.Button
    gif: gr.Button
    file: gr.File


def build_exports() -> Exports:
    """The export buttons and the file they fill (inside the checkpoint accordion, beside Save)."""
    with gr.Row(equal_height=True, elem_id="train-exports"):
        buttons = [gr.Button("Metrics as CSV", elem_id="export-csv", min_width=120),
                   gr.Button("Grid as PNG", elem_id="export-grid", min_width=120),
                   gr.Button("Timelapse as GIF", elem_id="export-gif", min_width=120)]
    file = gr.File(label="Download", interactive=False, visible=False, elem_id="export-file")
    return Exports(*buttons, file)


def _run(session: Session) -> Run:
    if session.run is None:
        raise gr.Error("There is no run to export yet: press Start or Step first.")
    return session.run


def _tag(run: Run) -> str:
    """A comparison's run by its letter ("A: loss minimax" -> "A"); "" alone."""
    return run.name.split(":")[0]


@friendly
def export_csv(registry: SessionRegistry, request: gr.Request) -> str:
    session = registry.get(request)
    run = _run(session)
    named = [(_tag(r), [m.to_dict() for m in r.trainer.history], list(r.quality)) for r in session.runs]
    text = runs_csv(named) if len(named) > 1 else history_csv(*named[0][1:])
    return str(write_download(f"history-step{run.trainer.step_count}", ".csv", text.encode()))


@friendly
def export_grid(registry: SessionRegistry, request: gr.Request) -> str:
    """The fixed-noise grid of the generator (each run's, side by side) as it is now, upscaled as the page shows it."""
    session = registry.get(request)
    step = _run(session).trainer.step_count
    grids = [grid(r.trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE) for r in session.runs]
    gap = np.zeros((grids[0].shape[0], GAP_PX * GRID_SCALE), dtype=np.uint8)
    picture = np.hstack([part for g in grids for part in (gap, g)][1:])
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return str(write_download(f"grid-step{step}", ".png", buffer.getvalue()))


@friendly
def export_gif(registry: SessionRegistry, request: gr.Request) -> str:
    session = registry.get(request)
    run = _run(session)
    if not session.running:  # a stopped or stepped run ends its timelapse where it is now
        for r in session.runs:
            r.keep_frame(force=r.timelapse.frames[-1].step != r.trainer.step_count)
    gif = side_by_side_gif([r.timelapse for r in session.runs], [_tag(r) for r in session.runs])
    return str(write_download(f"timelapse-step{run.timelapse.frames[-1].step}", ".gif", gif))


@friendly
def replay(registry: SessionRegistry, request: gr.Request, step: float) -> tuple[Any, ...]:
    return replay_view(registry.get(request), step)


@friendly
def replay_rival(registry: SessionRegistry, request: gr.Request, step: float) -> tuple[Any, Any]:
    return rival_replay_view(registry.get(request), step)


def replay_slider(registry: SessionRegistry, request: gr.Request) -> dict[str, Any]:
    return replay_range(registry.get(request))


def wire(registry: SessionRegistry, stage: list[gr.components.Component], slider: gr.Slider,
         exports: Exports, starts: list[Any], ends: list[Any]) -> None:
    """Connect the slider (to the grids, captions and charts among the `stage` outputs) and the exports.
    `starts` are the accepted Starts: the slider rests while the run trains. `ends` are the events after
    which the run's extent changed (a run, a Step, a Reset): the slider follows."""
    by_id = {c.elem_id: c for c in stage}
    shown = [by_id[k] for k in ("chart-losses", "chart-scores", "chart-grads", "train-grid", "train-grid-caption")]
    slider.input(bind(replay, registry), slider, shown, api_name="replay", concurrency_limit=None,
                 show_progress="hidden").success(  # run B's grid of a comparison follows, page only
        bind(replay_rival, registry), slider, [by_id["train-grid-b-image"], by_id["train-grid-b-caption"]],
        api_visibility="private", concurrency_limit=None, show_progress="hidden")
    for event in starts:
        event.success(no_replay, None, slider, api_visibility="private", queue=False)
    for event in ends:
        event.then(bind(replay_slider, registry), None, slider, api_visibility="private", queue=False)
    for button, handler, name in ((exports.csv, export_csv, "export_csv"), (exports.png, export_grid, "export_grid"),
                                  (exports.gif, export_gif, "export_gif")):
        button.click(bind(handler, registry), None, exports.file, api_name=name, concurrency_limit=None).success(
            lambda: gr.File(visible=True), None, exports.file, api_visibility="private", queue=False)
