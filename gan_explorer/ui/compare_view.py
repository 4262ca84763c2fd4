"""Compare on the Train tab: "Compare with (run B)" picks an image preset that trains beside the form's
run (run A), in turn on the session's one training thread and from A's seed, so both grids show the same
noise (sessions.py, compare.py). Run B keeps its preset's settings: the form, live changes
included, is run A's. A pair lesson sets the box to its run B; a lesson of one run clears it. The 2-D
presets are the 2-D lab's (ui/lab_compare.py): a run of points has no grid to show here.
"""
from __future__ import annotations

import gradio as gr

from ..compare import paired
from ..config import TrainConfig
from ..data import default_data_root, load_mnist
from ..datasets import IMAGES
from ..presets import preset, presets_of
from ..sessions import Session
from ..trainer import Trainer
from .fields import Dropdown

NO_COMPARISON = "No comparison"
LABEL = "Compare with (run B)"
INFO = ("Start trains this preset too, in turn, from run A's seed: two grids, B dashed on every chart. "
        "The form (live changes too) is run A's.")


def build() -> Dropdown:
    return Dropdown([NO_COMPARISON, *presets_of(IMAGES)], value=NO_COMPARISON, label=LABEL, info=INFO, elem_id="train-compare")


def rival_config(config: TrainConfig, choice: str | None) -> TrainConfig | None:
    """Run B's settings for `choice` beside run A's `config`, or None without a comparison; a ConfigError
    says why when B would be run A again."""
    return None if choice in (None, NO_COMPARISON) else paired(config, preset(choice))


def trainers_for(session: Session, config: TrainConfig, choice: str | None) -> tuple[Trainer, Trainer | None]:
    """The session's trainers if only live settings of run A changed (applied now) and run B is the
    same, else fresh ones: a changed comparison starts both runs afresh, so neither is ahead."""
    rival_settings = rival_config(config, choice)
    if (kept := session.kept_runs(config, rival_settings)) is not None:
        return kept
    if session.trainer is not None and not session.trainer.stopped:
        gr.Info("Settings changed that need new networks: starting " + ("new runs." if rival_settings else "a new run."))
    data = load_mnist(default_data_root())
    return Trainer(config, data=data), Trainer(rival_settings, data=data) if rival_settings is not None else None


def show_rival(choice: str | None) -> gr.Column:
    """Run B's grid beside run A's while a comparison is chosen."""
    return gr.Column(visible=choice not in (None, NO_COMPARISON))
