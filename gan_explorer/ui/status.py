"""The Train tab's status line: where the run is, and one plain-words finding about it (diagnosis.py)."""
from __future__ import annotations

import html
from typing import Any

import numpy as np
import torch

from ..checkpoints import Checkpoint
from ..diagnosis import Finding, RunState, diagnose
from ..losses import LOSSES
from ..sessions import Run, Session

RATE_WINDOW = 20  # steps averaged for the images/s shown
STOPPED_NOTE = "Stopped. Save keeps this run; Start or Step begins a new one."
FINDING_CSS = {"error": "gx-error", "warning": "gx-warning", "ok": "gx-finding", "info": "gx-finding"}


def _progress(run: Run) -> tuple[str, str]:
    """("Step n of target", a progress bar) for a run started with Start; ("Step n", "") when stepped by hand."""
    step = run.trainer.step_count
    if run.target_step < step or run.target_step == 0:
        return f"<b>Step {step:,}</b>", ""
    since = (f" (this Start: {step - run.start_step:,} of {run.target_step - run.start_step:,})"
             if run.start_step else "")
    return (f"<b>Step {step:,}</b> of {run.target_step:,}{since}",
            f'<progress value="{step - run.start_step}" max="{run.target_step - run.start_step}"></progress>')


def run_status(session: Session, note: str = "") -> str:
    run = session.run
    if run is None:
        return '<div class="gx-status">No run yet. Pick a preset and press <b>Start</b>.</div>'
    trainer = run.trainer
    history = trainer.history
    recent = history[-RATE_WINDOW:]
    rate = np.mean([m.images_per_sec for m in recent]) if recent else 0.0
    epoch = history[-1].epoch if history else 0.0
    state = ("stopped" if trainer.stopped else "paused" if trainer.paused
             else "training" if session.running else "ready")
    threads = run.threads if run.threads is not None and session.running else torch.get_num_threads()
    device = (f"cpu ({threads} thread{'s' if threads > 1 else ''})" if trainer.device.type == "cpu"
              else str(trainer.device))
    lrs = f" · lr G {history[-1].g_lr:g}, D {history[-1].d_lr:g}" if history else ""
    if trainer.stopped and not note:  # every view of a stopped run says what comes next, the stream's last too
        note = STOPPED_NOTE
    where, bar = _progress(run)
    lines = [(f"{where}{_pair_steps(session)} · epoch {epoch:.2f} · {rate:,.0f} images/s{lrs} · device {device} · "
              f"<b>{state}</b>"), bar]
    notes = dict.fromkeys(LOSSES[r.trainer.config.loss].score_note for r in session.runs)  # each once
    lines.append(_lines([*_findings(session), *((n, "") for n in notes), (note, "")]))
    return f'<div class="gx-status">{"".join(lines)}</div>'


def _pair_steps(session: Session) -> str:
    """In a comparison: that the step counts both runs (or where run B is, should it differ)."""
    if session.rival is None:
        return ""
    step_b = session.rival.trainer.step_count
    return " · runs A and B in turn" if step_b == session.run.trainer.step_count else f" · B at step {step_b:,}"


def _findings(session: Session) -> list[tuple[str, str]]:
    """Each run's diagnosis, or why it ended early; in a comparison each line starts with its run's name."""
    named = tuple(run.name for run in session.runs if run.name)  # "" alone: nothing to prefix
    lines = [(run.error, "gx-error") if run.error else finding_line(run.diagnosis()) for run in session.runs]
    if len(lines) == 2 and lines[0] == lines[1]:  # both runs say the same: once, for both
        return [(f"A and B · {lines[0][0]}", lines[0][1])]
    return [(f"{run.name} · {text}" if named and not text.startswith(named) else text, css)
            for run, (text, css) in zip(session.runs, lines)]


def _lines(items: list[tuple[str | None, str]]) -> str:
    return "".join(f'<div class="{css}">{html.escape(text)}</div>' for text, css in items if text)


def finding_line(finding: Finding) -> tuple[str, str]:
    return finding.line, FINDING_CSS[finding.severity]


def checkpoint_status(checkpoint: Checkpoint, quality: list[dict[str, Any]]) -> str:
    """A loaded checkpoint's status: what it is, its settings are in the form, and its diagnosis."""
    cfg = checkpoint.config
    finding = diagnose(RunState(checkpoint.history, quality, cfg.conditional, cfg.loss, cfg.g_lr, cfg.d_lr))
    return (f'<div class="gx-status">Loaded checkpoint: {cfg.architecture}, {cfg.loss}, latent {cfg.latent_dim}'
            f'{", conditional" if cfg.conditional else ""}, <b>step {checkpoint.step:,}</b> '
            f'({checkpoint.train_seconds:,.0f} s of training). Its settings are in the form: Start trains a '
            f'new run with them.{_lines([finding_line(finding), (LOSSES[cfg.loss].score_note, "")])}</div>')
