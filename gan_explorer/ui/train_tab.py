"""Train tab: settings, Start/Pause/Stop/Step/Reset, and the live view of the session's run.

The run trains in the session's background thread (sessions.py). The /train stream only
watches it: it polls the trainer and sends charts, grid and status at most every
REFRESH_S seconds, because the browser redraws every Plotly figure it receives.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import torch

from .. import plots
from ..checkpoints import Checkpoint
from ..config import ConfigError, TrainConfig
from ..data import default_data_root, load_mnist
from ..device import usable_cpus
from ..images import grid
from ..latent import generate
from ..losses import LOSSES
from ..models import NUM_CLASSES
from ..sessions import QualityFn, Session
from ..trainer import GRID_SIDE, LIVE_SETTINGS, Trainer
from .common import friendly, shipped_checkpoints
from .downloads import save_checkpoint_download
from .fields import Dropdown, UploadButton
from .picture import WriteOnceImage
from .refusal import checked
from .sessions import SessionRegistry
from .status import checkpoint_status, run_status
from .train_controls import build_settings, check_steps, config_from, preset_values

REFRESH_S = 0.8  # one chart refresh per 0.8 s: the browser keeps up and lag stays < 1 s (docs/performance.md)
POLL_S = 0.1  # how quickly the stream notices that the run ended
GRID_SCALE = 2  # 302 px grid -> 604 px, nearest-neighbour
QUALITY_EVERY = 250  # steps between quick quality checks (FID on 500 samples) of a snapshot


@dataclass
class TrainTab:
    preset: gr.Dropdown
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
    return 1 if torch.cuda.is_available() else usable_cpus()


def _trainer_for(session: Session, config: TrainConfig) -> Trainer:
    """The session's trainer if only live settings changed (applied now), else a fresh one."""
    trainer = session.trainer
    if trainer is not None and not trainer.stopped:
        if not trainer.apply(config).needs_new_run:
            return trainer
        gr.Info("Settings changed that need new networks: starting a new run.")
    return Trainer(config, data=load_mnist(default_data_root()))


def grid_caption(config: TrainConfig | None) -> str:
    """The words above the sample grid; the columns are digits only for a conditional model."""
    caption = "**G(fixed noise)**: the same 100 z all run long"
    return caption + ("; column j draws digit j" if config is not None and config.conditional else "")


def _live_view(session: Session) -> tuple[Any, ...]:
    """(losses, D outputs, grad norms, grid, status, quality, digit histogram, grid caption) for the current run."""
    run = session.run
    history = list(run.trainer.history) if run is not None else []
    image = grid(run.trainer.sample_fixed(), nrow=10, scale=GRID_SCALE) if run is not None else None
    quality = list(run.quality) if run is not None else []
    latest = quality[-1] if quality else {}
    histogram = plots.class_histogram_figure(latest.get("class_histogram"), latest.get("step"))
    probabilities = run is None or LOSSES[run.trainer.config.loss].scores_are_probabilities
    return (*plots.training_figures(history, probabilities), image, run_status(session),
            plots.quality_figure(quality, QUALITY_EVERY), histogram,
            grid_caption(run.trainer.config if run is not None else None))


def checkpoint_quality(checkpoint: Checkpoint, quality_fn: QualityFn | None) -> list[dict[str, Any]]:
    """The checks to draw for a checkpoint: those the app saved with it, else its model card's
    evaluation; a fresh check of its generator is added (or is all there is) when metrics are on."""
    saved = list(checkpoint.info.get("quality") or [])
    card = checkpoint.info.get("metrics")
    if not saved and isinstance(card, dict) and "fid" in card:
        floor = card.get("floor") or {}
        saved = [{"step": checkpoint.step, "fid": card["fid"], "inception_score": card["inception_score"],
                  "class_histogram": card.get("class_histogram"),
                  **({"fid_floor": floor["fid"], "is_floor": floor["inception_score"]} if "fid" in floor else {})}]
    if quality_fn is not None and not (saved and "confident_share" in saved[-1]):
        fresh = {"step": checkpoint.step, **quality_fn(checkpoint.generator)}
        saved = [*[q for q in saved if q["step"] != checkpoint.step], fresh]
    return saved


def checkpoint_view(checkpoint: Checkpoint, quality_fn: QualityFn | None = None) -> tuple[Any, ...]:
    """The live view's outputs for a loaded checkpoint: its saved history, quality, digits and a grid of samples."""
    cfg = checkpoint.config
    z = torch.randn(GRID_SIDE * GRID_SIDE, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed))
    labels = torch.arange(NUM_CLASSES).repeat(GRID_SIDE) if cfg.conditional else None
    image = grid(generate(checkpoint.generator, z, labels), nrow=GRID_SIDE, scale=GRID_SCALE)
    quality = checkpoint_quality(checkpoint, quality_fn)
    latest = quality[-1] if quality else {}
    probabilities = LOSSES[cfg.loss].scores_are_probabilities
    return (*plots.training_figures(checkpoint.history, probabilities), image,
            checkpoint_status(checkpoint, quality),
            plots.quality_figure(quality, QUALITY_EVERY),
            plots.class_histogram_figure(latest.get("class_histogram"), latest.get("step")), grid_caption(cfg))


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
    # A run that ended early says why in a toast and in the status line; not as a gr.Error, which
    # would cover the grid and the charts that show what went wrong with red "Error" badges.
    if session.run is not None and session.run.error:
        gr.Warning(session.run.error)


def build(registry: SessionRegistry, quality_fn: QualityFn | None) -> TrainTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320, elem_id="train-settings"):
            preset_box, settings, steps = build_settings()
        with gr.Column(scale=5):
            with gr.Row(elem_id="train-buttons"):
                start = gr.Button("Start", variant="primary", elem_id="train-start", min_width=80)
                pause = gr.Button("Pause", elem_id="train-pause", min_width=80)
                stop = gr.Button("Stop", variant="stop", elem_id="train-stop", min_width=80)
                step_button = gr.Button("Step", elem_id="train-step", min_width=80)
                reset = gr.Button("Reset", elem_id="train-reset", min_width=80)
            status = gr.HTML(run_status(Session()), elem_id="train-status")
            with gr.Row(equal_height=False, elem_id="train-stage"):
                with gr.Column(elem_id="train-grid-column"):
                    # A caption above, not the image's label: it follows the run (conditional or not).
                    caption = gr.Markdown(grid_caption(None), elem_id="train-grid-caption")
                    sample_grid = WriteOnceImage(show_label=False, format="png", type="numpy", interactive=False,
                                                 elem_id="train-grid", elem_classes="gx-pixelated", height=420,
                                                 buttons=["download"])
                with gr.Column(elem_id="train-charts"):
                    losses = gr.Plot(plots.loss_figure([]), show_label=False, elem_id="chart-losses",
                                     elem_classes="gx-stage")
                    scores = gr.Plot(plots.score_figure([]), show_label=False, elem_id="chart-scores",
                                     elem_classes="gx-stage")
            with gr.Row(equal_height=False, elem_id="train-more-charts"):
                # min_width: on a narrow screen a chart moves to the next line rather than cutting its text
                grads = gr.Plot(plots.grad_norm_figure([]), show_label=False, elem_id="chart-grads", min_width=300)
                quality = gr.Plot(plots.quality_figure([], QUALITY_EVERY), show_label=False, scale=2, min_width=440,
                                  visible=quality_fn is not None, elem_id="chart-quality")
                histogram = gr.Plot(plots.class_histogram_figure(None), show_label=False, min_width=300,
                                    visible=quality_fn is not None, elem_id="chart-digits")
            with gr.Accordion("Checkpoints: save this run, or load one to explore", open=False,
                              elem_id="train-checkpoints"):
                with gr.Row(equal_height=True):
                    save = gr.Button("Save checkpoint", elem_id="train-save", min_width=120)
                    upload = UploadButton("Upload a checkpoint", file_types=[".safetensors"], type="filepath",
                                          elem_id="train-upload", min_width=120)
                    shipped = Dropdown(list(shipped_checkpoints()), value=None, label="Shipped checkpoint",
                                       show_label=False, container=False, min_width=160, elem_id="train-shipped",
                                       info="or pick a shipped one")
                    load = gr.Button("Load shipped", elem_id="train-load", min_width=120)
                saved = gr.File(label="Download (.safetensors weights + .json history)", interactive=False,
                                file_count="multiple", visible=False)
    outputs = [losses, scores, grads, sample_grid, status, quality, histogram, caption]
    live_controls = {k: settings[k] for k in sorted(LIVE_SETTINGS)}

    @friendly
    def train(request: gr.Request, steps: int, **values: Any) -> Iterator[tuple[Any, ...]]:
        session, steps = registry.get(request), check_steps(steps)  # every value checked before work starts
        trainer = _trainer_for(session, config_from(values))
        session.start_run(trainer, steps, quality_fn, QUALITY_EVERY)
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
        run = session.adopt(trainer)  # a new trainer starts a new Run: nothing of the last run's status stays
        if not session.running:
            run.target_step, run.error = 0, None  # stepping by hand: no Start target to count towards
        trainer.step()
        return _live_view(session)

    @friendly
    def toggle_pause(request: gr.Request) -> tuple[Any, str]:
        session = registry.get(request)
        if not session.running:
            return gr.Button("Pause"), run_status(session, "Nothing is training: press Start.")
        if session.trainer.paused:
            session.trainer.resume()
            return gr.Button("Pause"), run_status(session)
        session.trainer.pause()
        return gr.Button("Resume"), run_status(session)

    @friendly
    def stop_run(request: gr.Request) -> tuple[Any, str]:
        session = registry.get(request)
        session.stop_run()
        return gr.Button("Pause"), run_status(session)

    @friendly
    def reset_run(request: gr.Request) -> tuple[Any, ...]:
        session = registry.get(request)
        session.reset()
        return gr.Button("Pause"), *_live_view(session)

    @friendly
    def update_live(request: gr.Request, **values: Any) -> tuple[Any, ...]:
        """Apply changed live settings to the run; every live control then shows the value in force,
        so a refused value (gr.Warning says why) does not stay in its field while training ignores it."""
        trainer = registry.get(request).trainer
        if trainer is None or trainer.stopped:
            return tuple(gr.skip() for _ in live_controls)
        try:
            changed = trainer.apply(config_from({**trainer.config.to_dict(), **values})).changed
            if changed:
                gr.Info(f"From step {trainer.step_count + 1}: "
                        + ", ".join(f"{k} = {v:g}" for k, v in sorted(changed.items())))
        except (ConfigError, ValueError, TypeError) as e:
            gr.Warning(f"{e} Training goes on with the value in force.")
        return tuple(getattr(trainer.config, k) for k in live_controls)

    def check_start(request: gr.Request, steps: Any, **values: Any) -> None:
        config_from(values)
        check_steps(steps)
        if registry.get(request).running:
            raise gr.Error("A run is already going: Pause/Resume or Stop it (Reset starts afresh).")

    def check_step(request: gr.Request, **values: Any) -> None:
        session = registry.get(request)
        if session.running and not session.trainer.paused:
            raise gr.Error("The run is training: press Pause first, then Step one step at a time.")
        config_from(values)

    # .input: only a person's choice fills the form; a loaded checkpoint blanks the box without refilling it.
    preset_box.input(lambda name: preset_values(name, settings), preset_box, list(settings.values()),
                      api_visibility="private", concurrency_limit=None)
    # A refused Start or Step leaves the grid and charts as they were (refusal.py).
    train_event = checked(start.click, check_start, inputs_kwargs={"steps": steps, **settings}).success(
        train, inputs_kwargs={"steps": steps, **settings}, outputs=outputs, api_name="train",
        concurrency_limit=max_runs(), concurrency_id="train",
        # on the status line only: a run waiting for a free slot shows its place in the queue there,
        # and no spinner covers the live charts
        show_progress="full", show_progress_on=[status])
    checked(step_button.click, check_step, inputs_kwargs=settings).success(
        step, inputs_kwargs=settings, outputs=outputs, api_name="step", concurrency_limit=None,
        show_progress="hidden")
    pause.click(toggle_pause, None, [pause, status], api_name="pause", concurrency_limit=None)
    stop.click(stop_run, None, [pause, status], api_name="stop", concurrency_limit=None)
    reset.click(reset_run, None, [pause, *outputs], api_name="reset", concurrency_limit=None)
    listeners = [getattr(control, name) for control in live_controls.values()
                 for name in ("blur", "submit", "release") if hasattr(control, name)]
    for i, listener in enumerate(listeners):  # one public name; the other triggers are the same call
        listener(update_live, inputs_kwargs=live_controls, outputs=list(live_controls.values()),
                 concurrency_limit=None, show_progress="hidden",
                 **({"api_name": "update_settings"} if i == 0 else {"api_visibility": "private"}))
    @friendly
    def save_run(request: gr.Request) -> list[str]:
        return _saved_files(registry.get(request))

    save.click(save_run, None, saved, api_name="save_checkpoint", concurrency_limit=None).success(
        lambda: gr.File(visible=True), None, saved, api_visibility="private", queue=False)
    return TrainTab(preset_box, settings, steps, outputs, train_event, upload, shipped, load)


def _saved_files(session: Session) -> list[str]:
    """Write the session's run as .safetensors + .json into Gradio's cache and return both paths for download."""
    if session.trainer is None:
        raise gr.Error("There is no run to save yet: press Start or Step first.")
    # The quality checks go into the sidecar, so loading the run draws its quality and digits again.
    checkpoint = session.trainer.to_checkpoint({"source": "GAN Explorer app", "quality": list(session.run.quality)})
    paths = save_checkpoint_download(checkpoint, f"gan-{checkpoint.config.architecture}-step{checkpoint.step}")
    return [str(p) for p in paths]
