"""Compare in the 2-D lab: "Compare with (run B)" picks a 2-D preset that trains beside the form's run
(run A), in turn on the lab session's one training thread and from A's seed (sessions.Session's
`rival`, compare.in_turn), so two planes show what one setting changes. Run B keeps its preset's
settings but learns run A's points (the form's dataset): two ways to learn the same data, and one
measure of modes covered for both. Step, D step and G step move both runs; Stop stops both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..compare import paired
from ..config import TrainConfig
from ..datasets import POINTS
from ..lessons import Lesson
from ..presets import preset, presets_of
from ..sessions import Run, Session
from ..slow_motion import describe
from ..trainer import Trainer
from .compare_view import NO_COMPARISON
from .explained import explain
from .fields import Dropdown
from .plane_view import plane_view

LABEL = "Compare with (run B)"
INFO = "Start trains this preset too, in turn, from run A's seed, on the same points: two planes side by side."


@dataclass
class Planes:
    """The plane of run A and, while a comparison is chosen, run B's beside it, each with its caption."""
    caption_a: gr.Markdown
    plot_a: gr.HTML  # plane_view.py: one canvas redrawn in place
    column_b: gr.Column
    caption_b: gr.Markdown
    plot_b: gr.HTML


def build_choice() -> Dropdown:
    return Dropdown([NO_COMPARISON, *presets_of(POINTS)], value=NO_COMPARISON, label=LABEL, info=INFO,
                    elem_id="lab-compare")


def build_planes() -> Planes:
    with gr.Row(equal_height=False, elem_id="lab-planes"):
        with gr.Column(min_width=280, elem_id="lab-plane-a"):
            caption_a = gr.Markdown("", elem_id="lab-caption-a", visible=False)
            plot_a = plane_view("lab-plane", "a")
        with gr.Column(min_width=280, visible=False, elem_id="lab-plane-b") as column_b:
            caption_b = gr.Markdown("", elem_id="lab-caption-b")
            plot_b = plane_view("lab-plane-b-plot", "b")
            explain("lab-plane-b-plot")
    return Planes(caption_a, plot_a, column_b, caption_b, plot_b)


def rival_config(config: TrainConfig, choice: str | None) -> TrainConfig | None:
    """Run B's settings: the chosen preset on run A's points and seed, or None without a comparison; a
    ConfigError says why when B would be run A again."""
    if choice in (None, "", NO_COMPARISON):
        return None
    return paired(config, preset(choice).replace(dataset=config.dataset, points=config.points))


def trainers_for(session: Session, config: TrainConfig, choice: str | None) -> tuple[Trainer, Trainer | None]:
    """The session's runs when only live settings of run A changed (applied now) and run B is the same,
    else fresh ones: a changed comparison starts both afresh, so neither is ahead."""
    rival_settings = rival_config(config, choice)
    if (kept := session.kept_runs(config, rival_settings)) is not None:
        return kept
    session.reset()
    trainers = Trainer(config, "cpu"), Trainer(rival_settings, "cpu") if rival_settings is not None else None
    session.adopt(*trainers)
    return trainers


def half_step(session: Session, kind: str) -> str:
    """One D ("d") or G ("g") update of each run, and what it moved, run by run."""
    said = []
    for run in session.runs:
        before, after = run.trainer.d_step() if kind == "d" else run.trainer.g_step()
        line = describe(kind, before, after, run.trainer.loss.scores_are_probabilities)
        said.append(f"{run.name.split(':')[0]}: {line}" if session.rival is not None else line)
    return "\n\n".join(said)


def diagnoses(runs: tuple[Run, ...]) -> str:
    """The diagnosis of each run (modes covered, for the Gaussian mixtures): one line alone, A then B."""
    if len(runs) == 1:
        return runs[0].diagnosis().line
    return " · ".join(f"**{run.name.split(':')[0]}**: {run.diagnosis().line}" for run in runs)


def captions(planes: Planes, runs: tuple[Run, ...]) -> dict[Any, Any]:
    """Each plane's caption while two runs are compared: the run and what differs (`A: loss non_saturating, …`)."""
    return {planes.caption_a: gr.Markdown(f"**{runs[0].name}**", visible=True), planes.caption_b: f"**{runs[1].name}**"}


def show_rival(choice: str | None) -> tuple[Any, ...]:
    """Run B's plane and the captions while a comparison is chosen."""
    comparing = choice not in (None, "", NO_COMPARISON)
    return (gr.Column(visible=comparing), gr.Markdown("**A**: the form's run", visible=comparing),
            f"**B**: preset `{choice}`" if comparing else "")


def lesson_choice(lesson: Lesson) -> str:
    """What "Compare with" holds for a lab lesson: its run B, or no comparison."""
    return lesson.runs[1] if len(lesson.runs) == 2 else NO_COMPARISON
