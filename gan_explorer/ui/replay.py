"""Replay and exports on the Train tab: the Replay slider that scrubs back through the run's kept
grids (with the charts' cursor following), and the run's metrics as CSV, its grid as PNG and its
timelapse as GIF, written into Gradio's cache (downloads.py) like a saved checkpoint."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import gradio as gr
from PIL import Image

from ..export import history_csv
from ..images import grid
from ..sessions import Run, Session
from ..trainer import GRID_SIDE
from .common import bind, friendly
from .downloads import write_download
from .live_view import GRID_SCALE, replay_range, replay_view, rival_replay_view
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


@friendly
def export_csv(registry: SessionRegistry, request: gr.Request) -> str:
    run = _run(registry.get(request))
    text = history_csv([m.to_dict() for m in list(run.trainer.history)], list(run.quality))
    return str(write_download(f"history-step{run.trainer.step_count}", ".csv", text.encode()))


@friendly
def export_grid(registry: SessionRegistry, request: gr.Request) -> str:
    """The fixed-noise grid of the generator as it is now, upscaled as the page shows it."""
    run = _run(registry.get(request))
    step = run.trainer.step_count
    buffer = io.BytesIO()
    Image.fromarray(grid(run.trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE)).save(buffer, format="PNG")
    return str(write_download(f"grid-step{step}", ".png", buffer.getvalue()))


@friendly
def export_gif(registry: SessionRegistry, request: gr.Request) -> str:
    session = registry.get(request)
    run = _run(session)
    if not session.running:  # a stopped or stepped run ends its timelapse where it is now
        run.keep_frame(force=run.timelapse.frames[-1].step != run.trainer.step_count)
    return str(write_download(f"timelapse-step{run.timelapse.frames[-1].step}", ".gif", run.timelapse.gif()))


@friendly
def replay(registry: SessionRegistry, request: gr.Request, step: float) -> tuple[Any, ...]:
    return replay_view(registry.get(request), step)


@friendly
def replay_rival(registry: SessionRegistry, request: gr.Request, step: float) -> tuple[Any, Any]:
    return rival_replay_view(registry.get(request), step)


def replay_slider(registry: SessionRegistry, request: gr.Request) -> dict[str, Any]:
    return replay_range(registry.get(request))


def wire(registry: SessionRegistry, stage: list[gr.components.Component], slider: gr.Slider,
         exports: Exports, ends: list[Any]) -> None:
    """Connect the slider (to the grids, captions and charts among the `stage` outputs) and the exports.
    `ends` are the events after which the run's extent changed (a run, a Step, a Reset): the slider follows."""
    by_id = {c.elem_id: c for c in stage}
    shown = [by_id[k] for k in ("chart-losses", "chart-scores", "chart-grads", "train-grid", "train-grid-caption")]
    slider.input(bind(replay, registry), slider, shown, api_name="replay", concurrency_limit=None,
                 show_progress="hidden").success(  # run B's grid of a comparison follows, page only
        bind(replay_rival, registry), slider, [by_id["train-grid-b-image"], by_id["train-grid-b-caption"]],
        api_visibility="private", concurrency_limit=None, show_progress="hidden")
    for event in ends:
        event.then(bind(replay_slider, registry), None, slider, api_visibility="private", queue=False)
    for button, handler, name in ((exports.csv, export_csv, "export_csv"), (exports.png, export_grid, "export_grid"),
                                  (exports.gif, export_gif, "export_gif")):
        button.click(bind(handler, registry), None, exports.file, api_name=name, concurrency_limit=None).success(
            lambda: gr.File(visible=True), None, exports.file, api_visibility="private", queue=False)
