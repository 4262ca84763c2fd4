"""The 2-D lab's chart of its quality checks on a Gaussian mixture: the share of the modes G covers and
the share of its points within 3σ of a mode (modes.py), as the unrolled-GAN and VEEGAN papers report.

One axis for both, from 0 to 100%: the modes covered as a share of the mixture's modes (the hover says
"3 of 8 modes"), so a collapse reads as one line staying low while the other may rise.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from .modes import mode_count
from .plots import _layout, add_run_keys

MODES_COLOUR, NEAR_COLOUR = "#d95f02", "#1b9e77"


def _lines(points: Sequence[dict[str, Any]], dash: str | None, run: str) -> list[go.Scatter]:
    checks = [p for p in points if "modes_covered" in p]
    steps = [p["step"] for p in checks]
    covered = [p["modes_covered"] / p["modes"] for p in checks]
    said = [f"{p['modes_covered']} of {mode_count(p['modes'])}" for p in checks]
    near = [p["high_quality_share"] for p in checks]
    suffix = f", {run}" if run else ""
    return [go.Scatter(x=steps, y=covered, customdata=said, mode="lines+markers", name="modes covered",
                       line={"color": MODES_COLOUR, "dash": dash}, showlegend=not dash,
                       hovertemplate=f"%{{customdata}} covered{suffix}<extra></extra>"),
            go.Scatter(x=steps, y=near, mode="lines+markers", name="points within 3σ",
                       line={"color": NEAR_COLOUR, "dash": dash}, showlegend=not dash,
                       hovertemplate=f"%{{y:.0%}} of points within 3σ{suffix}<extra></extra>")]


def modes_figure(points: Sequence[dict[str, Any]], every: int, rival: Sequence[dict[str, Any]] | None = None,
                 names: Sequence[str] = ("A", "B")) -> go.Figure:
    """The checks of a run (points: {"step", "modes", "modes_covered", "high_quality_share"}), and of run
    B dashed over them in a comparison. A check of another dataset (no "modes_covered") is left out."""
    title = f"Modes covered, every {every} steps" + ("" if points else f" (the first at step {every})")
    figure = go.Figure(layout=_layout(title, "generator step", "share", chart="modes"))
    figure.update_layout(yaxis={"range": [-0.03, 1.05], "tickformat": ".0%"}, hovermode="closest")
    names = names if rival is not None else ("",)
    for checks, dash, name in zip((points, rival or []), (None, "dash"), names):
        for line in _lines(checks, dash, name):
            figure.add_trace(line)
    if rival is not None:
        add_run_keys(figure, names)
    last = max([p["step"] for p in [*points, *(rival or [])]], default=every)
    figure.update_layout(xaxis_range=[0, last + every / 2])
    return figure
