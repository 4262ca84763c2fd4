"""Train tab: settings, Start/Pause/Stop/Step/Reset, and the live view of the session's run.

The run trains in the session's background thread (sessions.py). The /train stream only
watches it: it polls the trainer and sends charts, grid and status at most every
REFRESH_S seconds, because the browser redraws every Plotly figure it receives.
"""
from __future__ import annotations

import dataclasses
import html
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from .. import plots
from ..checkpoints import Checkpoint
from ..config import TrainConfig
from ..data import default_data_root, load_mnist
from ..images import grid
from ..latent import generate
from ..models import NUM_CLASSES
from ..trainer import GRID_SIDE, LIVE_SETTINGS, Trainer
from .common import friendly, shipped_checkpoints
from .downloads import save_checkpoint_download
from .picture import WriteOnceImage
from .sessions import QualityFn, Session, SessionRegistry
from .train_controls import build_settings, check_steps, config_from, preset_values

REFRESH_S = 0.8  # one chart refresh per 0.8 s: the browser keeps up (see README) and lag stays < 1 s
POLL_S = 0.1  # how quickly the stream notices that the run ended
GRID_SCALE = 2  # 302 px grid -> 604 px, nearest-neighbour
QUALITY_EVERY = 250  # steps between quick quality checks (FID on 500 samples) of a snapshot
RATE_WINDOW = 20  # steps averaged for the images/s shown
STOPPED_NOTE = "Stopped. Save keeps this run; Start or Step begins a new one."


@dataclass
class TrainTab:
    settings: dict[str, gr.components.Component]
    steps: gr.Number
    outputs: list[gr.components.Component]  # what the live view updates, in _live_view order
    train_event: Any
    upload: gr.UploadButton
    shipped: gr.Dropdown
    load: gr.Button


def max_runs() -> int:
    """Runs training at once: $GAN_EXPLORER_MAX_RUNS, else one per CPU core (one on a GPU)."""
    if os.environ.get("GAN_EXPLORER_MAX_RUNS"):
        return max(1, int(os.environ["GAN_EXPLORER_MAX_RUNS"]))
    return 1 if torch.cuda.is_available() else max(1, os.cpu_count() or 1)


def _trainer_for(session: Session, config: TrainConfig) -> Trainer:
    """The session's trainer if only live settings changed (applied now), else a fresh one."""
    trainer = session.trainer
    if trainer is not None and not trainer.stopped:
        live = {k: getattr(config, k) for k in LIVE_SETTINGS}
        if dataclasses.replace(trainer.config, **live) == config:
            changed = {k: v for k, v in live.items() if getattr(trainer.config, k) != v}
            if changed:
                trainer.update(**changed)
            return trainer
        gr.Info("Settings changed that need new networks: starting a new run.")
    return Trainer(config, data=load_mnist(default_data_root()))


def _status(session: Session, note: str = "") -> str:
    trainer = session.trainer
    if trainer is None:
        return '<div class="gx-status">No run yet. Pick a preset and press <b>Start</b>.</div>'
    history = trainer.history
    recent = history[-RATE_WINDOW:]
    rate = np.mean([m.images_per_sec for m in recent]) if recent else 0.0
    epoch = history[-1].epoch if history else 0.0
    state = ("stopped" if trainer.stopped else "paused" if trainer.paused
             else "training" if session.running else "ready")
    threads = torch.get_num_threads()
    device = (f"cpu ({threads} thread{'s' if threads > 1 else ''})" if trainer.device.type == "cpu"
              else str(trainer.device))
    target = max(session.target_step, trainer.step_count, 1)
    warning = session.quality[-1].get("warning") if session.quality else None
    lrs = f" · lr G {history[-1].g_lr:g}, D {history[-1].d_lr:g}" if history else ""
    if trainer.stopped and not note:  # every view of a stopped run says what comes next, the stream's last too
        note = STOPPED_NOTE
    lines = [(f"<b>Step {trainer.step_count:,}</b> of {target:,} · epoch {epoch:.2f} · "
             f"{rate:,.0f} images/s{lrs} · device {device} · <b>{state}</b>"),
             f'<progress value="{trainer.step_count}" max="{target}"></progress>']
    for extra, css in ((session.run_error, "gx-error"), (warning, "gx-warning"), (note, "")):
        if extra:
            lines.append(f'<div class="{css}">{html.escape(extra)}</div>')
    return f'<div class="gx-status">{"".join(lines)}</div>'


def _live_view(session: Session) -> tuple[Any, ...]:
    """(losses, D outputs, grad norms, grid, status, quality, digit histogram) for the current run."""
    trainer = session.trainer
    history = list(trainer.history) if trainer is not None else []
    image = grid(trainer.sample_fixed(), nrow=10, scale=GRID_SCALE) if trainer is not None else None
    quality = list(session.quality)
    latest = quality[-1] if quality else {}
    histogram = plots.class_histogram_figure(latest.get("class_histogram"), latest.get("step"))
    return (*plots.training_figures(history), image, _status(session), plots.quality_figure(quality, QUALITY_EVERY),
            histogram)


def checkpoint_view(checkpoint: Checkpoint) -> tuple[Any, ...]:
    """The live view's outputs for a loaded checkpoint: its saved history and a grid of its samples."""
    cfg = checkpoint.config
    z = torch.randn(GRID_SIDE * GRID_SIDE, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed))
    labels = torch.arange(NUM_CLASSES).repeat(GRID_SIDE) if cfg.conditional else None
    image = grid(generate(checkpoint.generator, z, labels), nrow=GRID_SIDE, scale=GRID_SCALE)
    status = (f'<div class="gx-status">Loaded checkpoint: {cfg.architecture}, {cfg.loss}, latent {cfg.latent_dim}'
              f'{", conditional" if cfg.conditional else ""}, <b>step {checkpoint.step:,}</b> '
              f'({checkpoint.train_seconds:,.0f} s of training). Start trains a new run with the settings on '
              f'the left.</div>')
    return *plots.training_figures(checkpoint.history), image, status, gr.skip(), gr.skip()


def _watch(session: Session) -> Iterator[tuple[Any, ...]]:
    last = 0.0
    while True:
        running = session.running
        if not running or time.monotonic() - last >= REFRESH_S:
            last = time.monotonic()
            yield _live_view(session)
        if not running:
            break
        time.sleep(POLL_S)
    if session.run_error:
        raise gr.Error(session.run_error)


def build(registry: SessionRegistry, quality_fn: QualityFn | None) -> TrainTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            preset_box, settings, steps = build_settings()
        with gr.Column(scale=5):
            with gr.Row():
                start = gr.Button("Start", variant="primary", elem_id="train-start", min_width=80)
                pause = gr.Button("Pause", elem_id="train-pause", min_width=80)
                stop = gr.Button("Stop", variant="stop", elem_id="train-stop", min_width=80)
                step_button = gr.Button("Step", elem_id="train-step", min_width=80)
                reset = gr.Button("Reset", elem_id="train-reset", min_width=80)
            status = gr.HTML(_status(Session()), elem_id="train-status")
            with gr.Row(equal_height=False):
                with gr.Column():
                    # A caption above, not the image's label: Gradio draws labels over the image's top row.
                    gr.Markdown("**G(fixed noise)**: the same 100 z all run long "
                                "(conditional: column j draws digit j)")
                    sample_grid = WriteOnceImage(show_label=False, format="png", type="numpy", interactive=False,
                                                 elem_id="train-grid", elem_classes="gx-pixelated", height=420,
                                                 buttons=["download"])
                with gr.Column():
                    losses = gr.Plot(plots.loss_figure([]), show_label=False, elem_id="chart-losses")
                    scores = gr.Plot(plots.score_figure([]), show_label=False, elem_id="chart-scores")
            with gr.Row(equal_height=False):
                grads = gr.Plot(plots.grad_norm_figure([]), show_label=False, elem_id="chart-grads")
                quality = gr.Plot(plots.quality_figure([], QUALITY_EVERY), show_label=False,
                                  visible=quality_fn is not None, elem_id="chart-quality")
                histogram = gr.Plot(plots.class_histogram_figure(None), show_label=False,
                                    visible=quality_fn is not None, elem_id="chart-digits")
            with gr.Accordion("Checkpoints: save this run, or load one to explore", open=False):
                with gr.Row(equal_height=True):
                    save = gr.Button("Save checkpoint", elem_id="train-save", min_width=120)
                    upload = gr.UploadButton("Upload a checkpoint", file_types=[".safetensors"], type="filepath",
                                             elem_id="train-upload", min_width=120)
                    shipped = gr.Dropdown(list(shipped_checkpoints()), value=None, show_label=False,
                                          container=False, min_width=160, elem_id="train-shipped",
                                          info="or pick a shipped one")
                    load = gr.Button("Load shipped", elem_id="train-load", min_width=120)
                saved = gr.File(label="Download (.safetensors weights + .json history)", interactive=False,
                                file_count="multiple", visible=False)
    outputs = [losses, scores, grads, sample_grid, status, quality, histogram]
    live_controls = {k: settings[k] for k in sorted(LIVE_SETTINGS)}

    @friendly
    def train(request: gr.Request, steps: int, **values: Any) -> Iterator[tuple[Any, ...]]:
        session = registry.get(request)
        trainer = _trainer_for(session, config_from(values))
        session.start_run(trainer, check_steps(steps), quality_fn, QUALITY_EVERY)
        try:
            yield from _watch(session)
        except GeneratorExit:  # the stream was cancelled (client gone): the run ends with it
            session.stop_run()
            raise

    @friendly
    def step(request: gr.Request, **values: Any) -> tuple[Any, ...]:
        session = registry.get(request)
        if session.running and not session.trainer.paused:
            raise gr.Error("The run is training: press Pause first, then Step one step at a time.")
        # A paused run keeps its trainer (its thread waits on it); otherwise settings may start a new one.
        trainer = session.trainer if session.running else _trainer_for(session, config_from(values))
        session.trainer = trainer
        trainer.step()
        return _live_view(session)

    @friendly
    def toggle_pause(request: gr.Request) -> tuple[Any, str]:
        session = registry.get(request)
        if not session.running:
            return gr.Button("Pause"), _status(session, "Nothing is training: press Start.")
        if session.trainer.paused:
            session.trainer.resume()
            return gr.Button("Pause"), _status(session)
        session.trainer.pause()
        return gr.Button("Resume"), _status(session)

    @friendly
    def stop_run(request: gr.Request) -> tuple[Any, str]:
        session = registry.get(request)
        session.stop_run()
        return gr.Button("Pause"), _status(session)

    @friendly
    def reset_run(request: gr.Request) -> tuple[Any, ...]:
        session = registry.get(request)
        session.reset()
        return gr.Button("Pause"), *_live_view(session)

    @friendly
    def update_live(request: gr.Request, **values: Any) -> None:
        trainer = registry.get(request).trainer
        if trainer is None or trainer.stopped:
            return
        new = config_from({**trainer.config.to_dict(), **values})
        changed = {k: getattr(new, k) for k in LIVE_SETTINGS if getattr(new, k) != getattr(trainer.config, k)}
        if changed:
            trainer.update(**changed)
            gr.Info(f"From step {trainer.step_count + 1}: "
                    + ", ".join(f"{k} = {v:g}" for k, v in sorted(changed.items())))

    preset_box.change(lambda name: preset_values(name, settings), preset_box, list(settings.values()),
                      api_visibility="private", concurrency_limit=None)
    train_event = start.click(train, inputs_kwargs={"steps": steps, **settings}, outputs=outputs,
                              api_name="train", concurrency_limit=max_runs(), concurrency_id="train",
                              # on the status line only: a run waiting for a free slot shows its place in
                              # the queue there, and no spinner covers the live charts
                              show_progress="full", show_progress_on=[status])
    step_button.click(step, inputs_kwargs=settings, outputs=outputs, api_name="step", concurrency_limit=None,
                      show_progress="hidden")
    pause.click(toggle_pause, None, [pause, status], api_name="pause", concurrency_limit=None)
    stop.click(stop_run, None, [pause, status], api_name="stop", concurrency_limit=None)
    reset.click(reset_run, None, [pause, *outputs], api_name="reset", concurrency_limit=None)
    listeners = [getattr(control, name) for control in live_controls.values()
                 for name in ("blur", "submit", "release") if hasattr(control, name)]
    for i, listener in enumerate(listeners):  # one public name; the other triggers are the same call
        listener(update_live, inputs_kwargs=live_controls, concurrency_limit=None, show_progress="hidden",
                 **({"api_name": "update_settings"} if i == 0 else {"api_visibility": "private"}))
    @friendly
    def save_run(request: gr.Request) -> list[str]:
        return _saved_files(registry.get(request))

    save.click(save_run, None, saved, api_name="save_checkpoint", concurrency_limit=None).success(
        lambda: gr.File(visible=True), None, saved, api_visibility="private", queue=False)
    return TrainTab(settings, steps, outputs, train_event, upload, shipped, load)


def _saved_files(session: Session) -> list[str]:
    """Write the session's run as .safetensors + .json into Gradio's cache and return both paths for download."""
    if session.trainer is None:
        raise gr.Error("There is no run to save yet: press Start or Step first.")
    checkpoint = session.trainer.to_checkpoint({"source": "GAN Explorer app"})
    paths = save_checkpoint_download(checkpoint, f"gan-{checkpoint.config.architecture}-step{checkpoint.step}")
    return [str(p) for p in paths]
