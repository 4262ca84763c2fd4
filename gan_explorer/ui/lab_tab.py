"""The 2-D lab tab: a GAN on points in the plane, drawn as GAN Lab draws it (gan_explorer/plane.py).

The run trains in a background thread of the tab's own lab session (sessions.Session, kept apart from
the Train tab's run); Start's stream only watches it, sending the planes, the charts and the status
every STREAM_S. In between, each plane's script asks a plain route for newer frames (plane_route.py).
Step, D step and G step move the run by hand (slow_motion.py), as GAN Lab's step mode; Slow motion makes
a training run rest after each step, so the planes draw every step.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from .. import plane, plots
from ..datasets import DATASETS
from ..lessons import LESSONS
from ..modes_plot import modes_figure
from ..parsing import whole_number
from ..sessions import Run, Session
from ..trainer import Trainer
from .common import apply_live, bind, friendly
from .explained import explain
from .fields import CheckboxGroup, Number
from .lab_compare import Planes, build_choice, build_planes, captions, diagnoses, half_step, show_rival, trainers_for
from .lab_draw import reading, wire
from .lab_form import LabForm, build_form, config_of, preset_values
from .live_chart import chart_value, live_chart
from .live_view import training_figures
from .plane_view import plane_value
from .sessions import SessionRegistry

STREAM_S = 1.0  # the loss and D charts once a second, as the Train tab's
QUALITY_EVERY = 100  # steps between measurements of the modes covered (2,500 points: a few ms)
DEFAULT_STEPS = 3000
MAX_STEPS = 1_000_000
LAB_LESSONS = [name for name, lesson in LESSONS.items() if lesson.tab == "lab"]
# Slow motion: one step per frame. The planes ask for a frame every plane_view.FRAME_MS (160 ms), so a
# step every 250 ms is drawn, each one, while the arrows and the mesh move visibly from one to the next.
SLOW_MOTION_REST_S = 0.25


@dataclass
class LabTab:
    registry: SessionRegistry
    form: LabForm  # the preset and the settings of run A (lab_form.py)
    steps: gr.Number
    layers: gr.CheckboxGroup
    lesson: gr.Markdown
    buttons: dict[str, gr.Button]
    slow: gr.Checkbox  # slow motion, read by the training thread at every step (Session.rest_s)
    compare: gr.Dropdown  # run B's preset (lab_compare.py)
    planes: Planes
    losses: gr.HTML  # live_chart.py, as the planes
    scores: gr.HTML
    modes: gr.HTML  # the quality checks: modes covered and points within 3σ (modes_plot.py)
    status: gr.Markdown

    @property
    def settings(self) -> list[gr.components.Component]:
        return [self.form.preset, *self.form.controls, self.form.draw.strokes, self.compare]

    @property
    def view(self) -> list[gr.components.Component]:
        p = self.planes
        return [p.plot_a, p.plot_b, p.caption_a, p.caption_b, self.losses, self.scores, self.modes, self.status]


def _quality(session: Session) -> Any:
    def measure(generator: Any) -> dict[str, Any]:
        cfg = session.trainer.config
        return DATASETS[cfg.dataset].quality(generator, cfg) or {}
    return measure


def status_line(session: Session, extra: str = "") -> str:
    runs = session.runs  # read once: closing the page resets the session while a stream may still draw
    if not runs:
        return "No run yet: press **Start** (or Step)."
    trainer = runs[0].trainer
    seconds = sum(run.trainer.train_seconds for run in runs)  # compared runs take turns: both runs' time
    speed = ""
    if session.rest_s > 0:
        speed = " · slow motion"
    elif len(trainer.history) > 1 and seconds > 0:
        speed = f" · {trainer.step_count / seconds:,.0f} steps/s"
    error = "".join(f" · **{r.error}**" for r in runs if r.error)
    return f"**Step {trainer.step_count:,}**{speed} · {diagnoses(runs)}{error}" + (f"\n\n{extra}" if extra else "")


def _plane(trainer: Trainer, layers: list[str]) -> str:
    return plane_value(trainer, plane.measure(trainer), layers)


def frame(tab: LabTab, session: Session, layers: list[str], charts: bool = True, extra: str = "") -> dict[Any, Any]:
    """The plane of each run, the status line (and the planes' captions when two are compared), and the
    charts when asked."""
    runs = session.runs  # read once: closing the page resets the session while a stream may still draw
    if not runs:
        return {tab.status: status_line(session)}
    out: dict[Any, Any] = {tab.planes.plot_a: _plane(runs[0].trainer, layers), tab.status: status_line(session, extra)}
    if len(runs) == 2:
        out |= {tab.planes.plot_b: _plane(runs[1].trainer, layers), **captions(tab.planes, runs)}
    if charts:
        losses, scores = training_figures(session, gradients=False)
        out |= {tab.losses: chart_value(losses), tab.scores: chart_value(scores),
                tab.modes: chart_value(modes_chart(runs))}
    return out


def modes_chart(runs: tuple[Run, ...]) -> Any:
    """The runs' quality checks (run B's dashed in a comparison)."""
    checks = [list(run.quality) for run in runs]
    if len(runs) == 2:
        return modes_figure(checks[0], QUALITY_EVERY, checks[1], [run.name for run in runs])
    return modes_figure(checks[0], QUALITY_EVERY)


@friendly
def start(tab: LabTab, name: str, dataset: str, loss: str, g_optimizer: str, d_optimizer: str, g_lr: float,
          d_lr: float, strokes: Any, choice: str, steps: float, layers: list[str],
          request: gr.Request) -> Iterator[dict[Any, Any]]:
    """Train the form's run (and run B beside it, in turn) in the session's thread; stream their planes."""
    session = tab.registry.get(request)
    count = whole_number("Train for (steps)", steps, 1, MAX_STEPS)
    form = (dataset, loss, g_optimizer, d_optimizer, g_lr, d_lr)
    trainer, rival = trainers_for(session, config_of(name, form, strokes), choice)
    session.start_run(trainer, count, _quality(session), QUALITY_EVERY, rival)
    while session.running:
        due = time.monotonic() + STREAM_S
        yield frame(tab, session, layers)
        session.wait(due - time.monotonic())
    yield frame(tab, session, layers)


def stop(tab: LabTab, layers: list[str], request: gr.Request) -> dict[Any, Any]:
    """Stop the runs, then draw where they stopped: Start's stream, cancelled by Stop, sent its status
    line and charts up to a second before the last plane."""
    session = tab.registry.get(request)
    session.stop_run()
    return frame(tab, session, layers)


@friendly
def step(tab: LabTab, kind: str, name: str, dataset: str, loss: str, g_optimizer: str, d_optimizer: str,
         g_lr: float, d_lr: float, strokes: Any, choice: str, layers: list[str], request: gr.Request) -> dict[Any, Any]:
    """One full step of each run, or one D or G update alone with what it moved."""
    session = tab.registry.get(request)
    if session.running:
        raise gr.Error("The run is training: press Stop first, then step it by hand.")
    trainers_for(session, config_of(name, (dataset, loss, g_optimizer, d_optimizer, g_lr, d_lr), strokes), choice)
    if kind == "step":
        session.step()
        return frame(tab, session, layers)
    return frame(tab, session, layers, extra=half_step(session, kind))


def update_rates(tab: LabTab, g_lr: Any, d_lr: Any, request: gr.Request) -> tuple[Any, Any]:
    """Live learning rates: a run that trains takes the form's rates from its next step (run A of a
    comparison: the form is A's); the fields then show the rates in force, so a refused value (gr.Warning
    says why) does not stay in its field. With no run going the next Start or Step reads them."""
    trainer = tab.registry.get(request).trainer
    if trainer is None or trainer.stopped:
        return gr.skip(), gr.skip()
    apply_live(trainer, {"g_lr": g_lr, "d_lr": d_lr})
    return trainer.config.g_lr, trainer.config.d_lr


def slow_motion(tab: LabTab, on: bool, request: gr.Request) -> str:
    """Slow motion on or off, from the next step of a run that trains (and for the next Start)."""
    session = tab.registry.get(request)
    session.rest_s = SLOW_MOTION_REST_S if on else 0.0
    return status_line(session)


def redraw(tab: LabTab, layers: list[str], request: gr.Request) -> dict[Any, Any]:
    return frame(tab, tab.registry.get(request), layers, charts=False)


def fill_preset(tab: LabTab, name: str) -> dict[Any, Any]:
    return dict(zip(tab.form.controls, preset_values(name), strict=True))


def lesson_text() -> str:
    parts = []
    for name in LAB_LESSONS:
        lesson = LESSONS[name]
        runs = " then ".join(f"`{r}`" for r in lesson.runs)
        parts.append(f"**{lesson.title}** (presets {runs}): {lesson.text} *Expect*: {lesson.effect}.")
    return "\n\n".join(parts)


def _layout(registry: SessionRegistry) -> LabTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300, elem_id="lab-settings"):
            form = build_form()
            steps = Number(DEFAULT_STEPS, precision=0, label="Train for (steps)", elem_id="lab-steps")
            compare = build_choice()
            with gr.Row(elem_id="lab-buttons"):
                buttons = {k: gr.Button(label, variant=v, elem_id=f"lab-{k}", min_width=60) for k, label, v in (
                    ("start", "Start", "primary"), ("stop", "Stop", "stop"), ("step", "Step", "secondary"))}
            with gr.Row(elem_id="lab-buttons-half"):
                buttons |= {k: gr.Button(label, elem_id=f"lab-{k}", min_width=60)
                            for k, label in (("d", "D step"), ("g", "G step"))}
            with gr.Row(elem_id="lab-slow-row"):  # its own block: the presentation layout keeps it
                slow = gr.Checkbox(False, label="Slow motion: one step per frame", elem_id="lab-slow")
            layers = CheckboxGroup(list(plane.LAYERS), value=list(plane.LAYERS), label="Show",
                                      elem_id="lab-layers")
        with gr.Column(scale=2, min_width=420, elem_id="lab-stage"):
            status = gr.Markdown(status_line(Session()), elem_id="lab-status")
            planes = build_planes()
            explain("lab-plane")
        with gr.Column(scale=1, min_width=300, elem_id="lab-charts"):
            losses = live_chart("lab-losses", plots.loss_figure([]))
            explain("lab-losses")
            scores = live_chart("lab-scores", plots.score_figure([]))
            explain("lab-scores")
            modes = live_chart("lab-modes", modes_figure([], QUALITY_EVERY))
            explain("lab-modes")
    with gr.Accordion("Lessons", open=False, elem_id="lab-lessons-box"):
        lesson = gr.Markdown(lesson_text(), elem_id="lab-lessons")
    return LabTab(registry, form, steps, layers, lesson, buttons, slow, compare,
                  planes, losses, scores, modes, status)


def build(registry: SessionRegistry) -> LabTab:
    tab = _layout(registry)
    draw, rates = tab.form.draw, [tab.form.fields["g_lr"], tab.form.fields["d_lr"]]
    streaming = reading(draw, tab.buttons["start"]).then(
        bind(start, tab), [*tab.settings, tab.steps, tab.layers], tab.view, api_name="lab_start",
        concurrency_limit=None, show_progress="hidden")
    tab.buttons["stop"].click(bind(stop, tab), tab.layers, tab.view, cancels=[streaming], api_name="lab_stop",
                              concurrency_limit=None, show_progress="hidden")
    for kind in ("step", "d", "g"):
        kind_box = gr.State(kind)
        reading(draw, tab.buttons[kind]).then(
            bind(step, tab), [kind_box, *tab.settings, tab.layers], tab.view,
            api_name=f"lab_{kind}_step" if kind != "step" else "lab_step", concurrency_limit=None,
            show_progress="hidden")
    wire(draw, tab.form.fields["dataset"])
    for field in rates:
        for trigger in (field.blur, field.submit):
            trigger(bind(update_rates, tab), rates, rates, api_visibility="private", concurrency_limit=None,
                    show_progress="hidden")
    tab.slow.change(bind(slow_motion, tab), tab.slow, tab.status, api_visibility="private", concurrency_limit=None,
                    show_progress="hidden")
    tab.layers.change(bind(redraw, tab), tab.layers, tab.view, api_visibility="private", concurrency_limit=None,
                      show_progress="hidden")
    tab.compare.change(show_rival, tab.compare, [tab.planes.column_b, tab.planes.caption_a, tab.planes.caption_b],
                       api_visibility="private", concurrency_limit=None, show_progress="hidden")
    tab.form.preset.input(bind(fill_preset, tab), tab.form.preset, tab.form.controls, api_visibility="private",
                          concurrency_limit=None)
    return tab
