"""Train tab: settings, Start/Pause/Stop/Step/Reset, the live view of the session's run (live_view.py),
or of two runs side by side (compare_view.py), and saving or loading a checkpoint."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import torch

from .. import plots
from ..checkpoints import Checkpoint
from ..device import usable_cpus
from ..images import grid
from ..latent import fixed_noise, generate
from ..losses import LOSSES
from ..sessions import QualityFn, Session
from ..trainer import GRID_SIDE, LIVE_SETTINGS, Trainer
from . import compare_view
from .common import apply_live, bind, friendly, shipped_choices
from .downloads import save_runs
from .fields import Dropdown, UploadButton
from .live_view import GRID_SCALE, QUALITY_EVERY, build_stage, grid_caption, stage_view, watch
from .refusal import checked
from .replay import Exports, build_exports, wire
from .sessions import SessionRegistry
from .status import checkpoint_status, run_status
from .train_controls import build_settings, check_steps, config_from, preset_values


@dataclass
class TrainTab:
    """The tab's controls and live view, and what its handlers train with."""
    registry: SessionRegistry
    quality_fn: QualityFn | None
    preset: gr.Dropdown
    settings: dict[str, gr.components.Component]
    steps: gr.Number
    start: gr.Button
    pause: gr.Button
    stop: gr.Button
    step: gr.Button
    d_step: gr.Button  # one D update alone; with g_step, wired by slow_motion.py
    g_step: gr.Button
    reset: gr.Button
    status: gr.HTML
    outputs: list[gr.components.Component]  # what the live view updates, in live_view order
    save: gr.Button
    upload: gr.UploadButton
    shipped: gr.Dropdown
    load: gr.Button
    saved: gr.File
    replay: gr.Slider  # under the grid: scrubs back through the run's kept grids
    exports: Exports
    compare: gr.Dropdown  # "Compare with (run B)": a preset trained beside the form's run, or none
    rival_outputs: list[gr.components.Component]  # run B's grid and caption (live_view.rival_view order)
    rival_column: gr.Column  # shown while a comparison is chosen

    @property
    def stage(self) -> list[gr.components.Component]:
        """What Start, Step and Reset redraw (live_view.stage_view order): the live view, then run B's grid."""
        return [*self.outputs, *self.rival_outputs]

    @property
    def step_inputs(self) -> dict[str, gr.components.Component]:
        """What Step (and D step, G step) read: the settings and the comparison."""
        return {**self.settings, "compare_with": self.compare}

    @property
    def live_controls(self) -> dict[str, gr.components.Component]:
        """The settings a run takes while it trains."""
        return {k: self.settings[k] for k in sorted(LIVE_SETTINGS)}


def max_runs() -> int:
    """Runs training at once: $GAN_EXPLORER_MAX_RUNS, else one per CPU core (one on a GPU)."""
    if os.environ.get("GAN_EXPLORER_MAX_RUNS"):
        return max(1, int(os.environ["GAN_EXPLORER_MAX_RUNS"]))
    return 1 if torch.cuda.is_available() else usable_cpus()


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
    z, labels = fixed_noise(cfg, GRID_SIDE * GRID_SIDE)
    image = grid(generate(checkpoint.generator, z, labels), nrow=GRID_SIDE, scale=GRID_SCALE)
    quality = checkpoint_quality(checkpoint, quality_fn)
    latest = quality[-1] if quality else {}
    probabilities = LOSSES[cfg.loss].scores_are_probabilities
    return (*plots.training_figures(checkpoint.history, probabilities), image,
            checkpoint_status(checkpoint, quality),
            plots.quality_figure(quality, QUALITY_EVERY),
            plots.class_histogram_figure(latest.get("class_histogram"), latest.get("step")),
            plots.spectrum_figure(latest), grid_caption(cfg))


@friendly
def train(tab: TrainTab, request: gr.Request, steps: int, compare_with: str | None = compare_view.NO_COMPARISON,
          **values: Any) -> Iterator[tuple[Any, ...]]:
    session, steps = tab.registry.get(request), check_steps(steps)  # every value checked before work starts
    trainer, rival = compare_view.trainers_for(session, config_from(values), compare_with)
    session.start_run(trainer, steps, tab.quality_fn, QUALITY_EVERY, rival)
    try:
        yield from watch(session)
    except GeneratorExit:  # the stream was cancelled (client gone): the run ends with it
        session.stop_run()
        raise


TRAINING_REFUSAL = "The run is training: press Pause first, then {} one step at a time."


def trainer_to_step(tab: TrainTab, request: gr.Request, values: dict[str, Any],
                    button: str = "Step") -> tuple[Session, Trainer]:
    """The session and the trainer (run A) that Step (or D step, G step) advances by hand, with run B
    beside it in a comparison."""
    session = tab.registry.get(request)
    if session.running and not session.trainer.paused:
        raise gr.Error(TRAINING_REFUSAL.format(button))
    choice = values.pop("compare_with", compare_view.NO_COMPARISON)
    # A paused run keeps its trainers (its thread waits on them); otherwise settings may start new ones.
    trainers = ((session.trainer, session.rival and session.rival.trainer) if session.running
                else compare_view.trainers_for(session, config_from(values), choice))
    session.adopt(*trainers)  # a new trainer starts a new Run: nothing of the last run's status stays
    for run in session.runs if not session.running else ():
        run.target_step, run.error = 0, None  # stepping by hand: no Start target to count towards
    return session, trainers[0]


@friendly
def step(tab: TrainTab, request: gr.Request, **values: Any) -> tuple[Any, ...]:
    session, _ = trainer_to_step(tab, request, values)
    session.step()  # one step of each run
    return stage_view(session)


@friendly
def toggle_pause(tab: TrainTab, request: gr.Request) -> dict[Any, Any]:
    session = tab.registry.get(request)
    if not session.running:
        return {tab.pause: gr.Button("Pause"), tab.status: run_status(session, "Nothing is training: press Start.")}
    if session.paused:
        session.resume()
        return {tab.pause: gr.Button("Pause"), tab.status: run_status(session)}
    session.pause()
    return {tab.pause: gr.Button("Resume"), tab.status: run_status(session)}


@friendly
def stop_run(tab: TrainTab, request: gr.Request) -> dict[Any, Any]:
    session = tab.registry.get(request)
    session.stop_run()
    return {tab.pause: gr.Button("Pause"), tab.status: run_status(session)}


@friendly
def reset_run(tab: TrainTab, request: gr.Request) -> dict[Any, Any]:
    session = tab.registry.get(request)
    session.reset()
    return {tab.pause: gr.Button("Pause"), **dict(zip(tab.stage, stage_view(session), strict=True))}


@friendly
def update_live(tab: TrainTab, request: gr.Request, **values: Any) -> tuple[Any, ...]:
    """Apply changed live settings to the run (run A of a comparison: the form is A's); every live control
    then shows the value in force, so a refused value (gr.Warning says why) does not stay in its field."""
    session = tab.registry.get(request)
    trainer = session.trainer
    if trainer is None or trainer.stopped:
        return tuple(gr.skip() for _ in tab.live_controls)
    apply_live(trainer, values, "Run A" if session.rival is not None else "")
    return tuple(getattr(trainer.config, k) for k in tab.live_controls)


def check_start(tab: TrainTab, request: gr.Request, steps: Any, compare_with: Any = compare_view.NO_COMPARISON,
                **values: Any) -> None:
    compare_view.rival_config(config_from(values), compare_with)
    check_steps(steps)
    if tab.registry.get(request).running:
        raise gr.Error("A run is already going: Pause/Resume or Stop it (Reset starts afresh).")


def check_step(tab: TrainTab, request: gr.Request, compare_with: Any = compare_view.NO_COMPARISON,
               **values: Any) -> None:
    session = tab.registry.get(request)
    if session.running and not session.trainer.paused:
        raise gr.Error("The run is training: press Pause first, then Step one step at a time.")
    compare_view.rival_config(config_from(values), compare_with)


@friendly
def save_run(tab: TrainTab, request: gr.Request) -> list[str]:
    return save_runs(tab.registry.get(request))


def fill_preset(tab: TrainTab, name: str) -> dict[Any, Any]:
    return preset_values(name, tab.settings)


def _checkpoint_controls() -> tuple[gr.Button, UploadButton, Dropdown, gr.Button, gr.File, Exports]:
    with gr.Accordion("Save or export this run, or load a checkpoint to explore", open=False,
                      elem_id="train-checkpoints"):
        with gr.Row(equal_height=True):
            save = gr.Button("Save checkpoint", elem_id="train-save", min_width=120)
            upload = UploadButton("Upload a checkpoint", file_types=[".safetensors"], type="filepath",
                                  elem_id="train-upload", min_width=120)
            shipped = Dropdown(list(shipped_choices()), value=None, label="Shipped checkpoint", show_label=False,
                               container=False, min_width=160, elem_id="train-shipped", info="or pick a shipped one")
            load = gr.Button("Load shipped", elem_id="train-load", min_width=120)
        saved = gr.File(label="Download (.safetensors weights + .json history)", interactive=False,
                        file_count="multiple", visible=False)
        exports = build_exports()
    return save, upload, shipped, load, saved, exports


def _layout(registry: SessionRegistry, quality_fn: QualityFn | None) -> TrainTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320, elem_id="train-settings"):
            preset_box, settings, steps = build_settings()
            compare = compare_view.build()
        with gr.Column(scale=5):
            with gr.Row(elem_id="train-buttons"):
                buttons = [gr.Button("Start", variant="primary", elem_id="train-start", min_width=80),
                           gr.Button("Pause", elem_id="train-pause", min_width=80),
                           gr.Button("Stop", variant="stop", elem_id="train-stop", min_width=80),
                           gr.Button("Step", elem_id="train-step", min_width=80),
                           gr.Button("D step", elem_id="train-d-step", min_width=80),
                           gr.Button("G step", elem_id="train-g-step", min_width=80),
                           gr.Button("Reset", elem_id="train-reset", min_width=80)]
            outputs, replay, rival_outputs, rival_column = build_stage(quality_fn)
            *checkpoint_controls, exports = _checkpoint_controls()
    return TrainTab(registry, quality_fn, preset_box, settings, steps, *buttons, outputs[4], outputs,
                    *checkpoint_controls, replay, exports, compare, rival_outputs, rival_column)


def build(registry: SessionRegistry, quality_fn: QualityFn | None) -> TrainTab:
    tab = _layout(registry, quality_fn)
    run_inputs = {"steps": tab.steps, "compare_with": tab.compare, **tab.settings}
    # .input: only a person's choice fills the form; a loaded checkpoint blanks the box without refilling it.
    tab.preset.input(bind(fill_preset, tab), tab.preset, list(tab.settings.values()), api_visibility="private",
                     concurrency_limit=None)
    # A refused Start or Step leaves the grid and charts as they were (refusal.py).
    accepted = checked(tab.start.click, bind(check_start, tab), inputs_kwargs=run_inputs)
    trained = accepted.success(
        bind(train, tab), inputs_kwargs=run_inputs, outputs=tab.stage, api_name="train",
        concurrency_limit=max_runs(), concurrency_id="train",
        # on the status line only: a run waiting for a free slot shows its place in the queue there,
        # and no spinner covers the live charts
        show_progress="full", show_progress_on=[tab.status])
    stepped = checked(tab.step.click, bind(check_step, tab), inputs_kwargs=tab.step_inputs).success(
        bind(step, tab), inputs_kwargs=tab.step_inputs, outputs=tab.stage, api_name="step", concurrency_limit=None,
        show_progress="hidden")
    tab.pause.click(bind(toggle_pause, tab), None, [tab.pause, tab.status], api_name="pause", concurrency_limit=None)
    tab.stop.click(bind(stop_run, tab), None, [tab.pause, tab.status], api_name="stop", concurrency_limit=None)
    reset = tab.reset.click(bind(reset_run, tab), None, [tab.pause, *tab.stage], api_name="reset",
                            concurrency_limit=None)
    tab.compare.change(compare_view.show_rival, tab.compare, tab.rival_column, api_visibility="private", queue=False)
    wire(tab.registry, tab.stage, tab.replay, tab.exports, [accepted], [trained, stepped, reset])
    live_controls = tab.live_controls
    listeners = [getattr(control, name) for control in live_controls.values()
                 for name in ("blur", "submit", "release") if hasattr(control, name)]
    for i, listener in enumerate(listeners):  # one public name; the other triggers are the same call
        listener(bind(update_live, tab), inputs_kwargs=live_controls, outputs=list(live_controls.values()),
                 concurrency_limit=None, show_progress="hidden",
                 **({"api_name": "update_settings"} if i == 0 else {"api_visibility": "private"}))
    tab.save.click(bind(save_run, tab), None, tab.saved, api_name="save_checkpoint", concurrency_limit=None).success(
        lambda: gr.File(visible=True), None, tab.saved, api_visibility="private", queue=False)
    return tab
