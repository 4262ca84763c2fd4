"""Slow motion on the Train tab: "D step" and "G step" beside Step run one discriminator update or
one generator update alone (Trainer.d_step, g_step) and say in the status line what moved: D's
outputs on the run's fixed real batch and fixed z, before and after (slow_motion.describe)."""
from __future__ import annotations

from typing import Any

import gradio as gr

from ..losses import LOSSES
from ..slow_motion import describe
from .common import bind, friendly
from .compare_view import NO_COMPARISON, rival_config
from .live_view import stage_view
from .refusal import checked
from .status import run_status
from .train_controls import config_from
from .train_tab import TRAINING_REFUSAL, TrainTab, trainer_to_step

STATUS = 4  # the status line's place among the live view's outputs


def _half_step(tab: TrainTab, request: gr.Request, kind: str, values: dict[str, Any]) -> tuple[Any, ...]:
    """One D or G update of each run (both of a comparison, so neither gets ahead), and what moved."""
    session, _ = trainer_to_step(tab, request, values, button=f"{kind.upper()} step")
    lines = []
    for run in session.runs:
        trainer = run.trainer
        before, after = trainer.d_step() if kind == "d" else trainer.g_step()
        run.keep_frame()  # a G step is a step: the replay keeps its grid when one is due
        line = describe(kind, before, after, LOSSES[trainer.config.loss].scores_are_probabilities)
        lines.append(f"{run.name.split(':')[0]}: {line}" if run.name else line)
    view = list(stage_view(session))
    view[STATUS] = run_status(session, " · ".join(lines))
    return tuple(view)


@friendly
def d_step(tab: TrainTab, request: gr.Request, **values: Any) -> tuple[Any, ...]:
    return _half_step(tab, request, "d", values)


@friendly
def g_step(tab: TrainTab, request: gr.Request, **values: Any) -> tuple[Any, ...]:
    return _half_step(tab, request, "g", values)


def _check(tab: TrainTab, request: gr.Request, button: str, values: dict[str, Any]) -> None:
    session = tab.registry.get(request)
    if session.running and not session.trainer.paused:
        raise gr.Error(TRAINING_REFUSAL.format(button))
    choice = values.pop("compare_with", NO_COMPARISON)
    rival_config(config_from(values), choice)


def check_d_step(tab: TrainTab, request: gr.Request, **values: Any) -> None:
    _check(tab, request, "D step", values)


def check_g_step(tab: TrainTab, request: gr.Request, **values: Any) -> None:
    _check(tab, request, "G step", values)


def wire(tab: TrainTab) -> None:
    """D step and G step, as Step is wired: a refused one leaves the live view as it was (refusal.py)."""
    for button, check, handler, name in ((tab.d_step, check_d_step, d_step, "d_step"),
                                         (tab.g_step, check_g_step, g_step, "g_step")):
        checked(button.click, bind(check, tab), inputs_kwargs=tab.step_inputs).success(
            bind(handler, tab), inputs_kwargs=tab.step_inputs, outputs=tab.stage, api_name=name,
            concurrency_limit=None, show_progress="hidden")
