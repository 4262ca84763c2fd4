"""Every Plotly figure the app shows: live training curves, quality over time, digit histograms, t-SNE.

The browser redraws a whole figure on each update, so the training curves are downsampled to
at most MAX_POINTS per trace and the figures use a bare template (a few hundred bytes of JSON
instead of ~7 kB per figure).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .data import NUM_CLASSES
from .history import metric_table

MAX_POINTS = 500
DIGITS = tuple(range(NUM_CLASSES))
# Ten distinct colours (Plotly's D3 palette) so each digit keeps one colour in every figure.
DIGIT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
G_COLOUR, D_COLOUR = "#d62728", "#1f77b4"
FEW_POINTS = 20  # up to this many points a line chart also marks each one: a line needs two points to show


# automargin: the plot area gives way to long tick labels and axis titles instead of cutting them off.
AXIS = {"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False, "linecolor": "#999", "ticks": "outside",
        "automargin": True}


def _layout(title: str, xtitle: str, ytitle: str, height: int = 270, chart: str | None = None) -> dict[str, Any]:
    """Title on the first line, legend on the second, both above the plot so neither hides data.

    chart names the chart for layout.uirevision: while it stays the same, the browser keeps the
    user's zoom and legend toggles across the figure's updates (None: every figure starts afresh).
    """
    return {"template": "none", "height": height, "paper_bgcolor": "white", "plot_bgcolor": "white",
            "uirevision": chart,
            "title": {"text": title, "x": 0.01, "xanchor": "left", "yref": "container", "y": 0.98,
                      "yanchor": "top", "font": {"size": 15}},
            "margin": {"l": 56, "r": 12, "t": 64, "b": 40},
            "xaxis": {**AXIS, "title": {"text": xtitle}}, "yaxis": {**AXIS, "title": {"text": ytitle}},
            # transparent: the lab redraws its charts in place (ui/live_chart.py), where Plotly draws a new
            # title under the legend's box, whose top padding reaches the title's lower half
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
                       "bgcolor": "rgba(0,0,0,0)"},
            "hovermode": "x unified"}


def _field(record: Any, key: str) -> float:
    """A metric from a live StepMetrics or from a checkpoint's history dict."""
    return record[key] if isinstance(record, dict) else getattr(record, key)


def downsample(history: Sequence[Any], keys: Sequence[str],
               max_points: int = MAX_POINTS) -> dict[str, np.ndarray]:
    """Bucket means of each key (and of "step"), at most max_points buckets.

    Averaging rather than striding keeps the trend honest: GAN losses are noisy step to step,
    and a stride would show a random subset of that noise.
    """
    keys = ["step", *keys]
    values = metric_table(history, keys)
    if len(values) > max_points:
        buckets = np.array_split(values, max_points)
        values = np.stack([b.mean(axis=0) for b in buckets])
        values[:, 0] = [b[-1, 0] for b in buckets]  # label each bucket by its last step
    return {k: values[:, i] for i, k in enumerate(keys)}


def _lines(history: Sequence[Any], series: dict[str, tuple[str, str]], title: str,
           ytitle: str) -> go.Figure:
    """One line per metric key: series maps key -> (legend name, colour)."""
    data = downsample(history, list(series))
    step = int(_field(history[-1], "step")) if history else 0
    figure = go.Figure(layout=_layout(f"{title} (step {step})", "generator step", ytitle, chart=title))
    mode = "lines+markers" if len(data["step"]) <= FEW_POINTS else "lines"  # one Step is one point: show it
    for key, (name, colour) in series.items():
        figure.add_trace(go.Scatter(x=data["step"], y=data[key], name=name, mode=mode,
                                    line={"color": colour, "width": 1.5}, marker={"size": 6}))
    return figure


def loss_figure(history: Sequence[Any]) -> go.Figure:
    return _lines(history, {"d_loss": ("D loss", D_COLOUR), "g_loss": ("G loss", G_COLOUR)},
                  "Losses", "loss")


def score_figure(history: Sequence[Any], probabilities: bool | None = True) -> go.Figure:
    """Mean D(x) against mean D(G(z)): the gap is how easily D tells real from generated.
    probabilities=False (a critic, losses.GANLoss.scores_are_probabilities): open-ended scores; None (two
    runs compared, one D's probabilities beside a critic's scores, losses.scores_are_probabilities): both."""
    if probabilities is None:
        return _lines(history, {"d_real": ("mean D(x) / score, real", D_COLOUR),
                                "d_fake": ("mean D(G(z)) / score, generated", G_COLOUR)},
                      "What D and the critic say", "D output or critic score")
    if not probabilities:
        return _lines(history, {"d_real": ("mean critic score, real", D_COLOUR),
                                "d_fake": ("mean critic score, generated", G_COLOUR)},
                      "What the critic says", "score (not a probability)")
    return _lines(history, {"d_real": ("mean D(x), real", D_COLOUR),
                            "d_fake": ("mean D(G(z)), generated", G_COLOUR)},
                  "What D says", "D output")


def grad_norm_figure(history: Sequence[Any]) -> go.Figure:
    figure = _lines(history, {"d_grad_norm": ("D gradient norm", D_COLOUR),
                              "g_grad_norm": ("G gradient norm", G_COLOUR)},
                    "Gradient norms", "L2 norm")
    figure.update_yaxes(type="log", dtick=1)  # decades only: norms span orders of magnitude when training fails
    return figure


def training_figures(history: Sequence[Any], probabilities: bool | None = True,
                     gradients: bool = True) -> tuple[go.Figure, ...]:
    """The losses, what D says and, unless gradients=False (the 2-D lab shows two charts), the gradient norms."""
    figures = (loss_figure(history), score_figure(history, probabilities))
    return (*figures, grad_norm_figure(history)) if gradients else figures


def with_cursor(figures: Sequence[go.Figure], step: int) -> tuple[go.Figure, ...]:
    """The figures with a dotted vertical line at `step`: where a replay of the run stands."""
    for figure in figures:
        figure.add_vline(x=step, line_dash="dot", line_color="#444", line_width=2)
    return tuple(figures)


# Room above a compared chart for its title and a legend of four entries (two rows on a laptop, four on a
# projector, where page.py scales this margin with the text).
COMPARE_TOP_MARGIN = 96


def compare_figures(history_a: Sequence[Any], history_b: Sequence[Any], probabilities: bool | None = True,
                    names: Sequence[str] = ("A", "B"), gradients: bool = True) -> tuple[go.Figure, ...]:
    """The training charts of two runs overlaid: run A solid, run B dashed in the same colours.
    The legend keys the colours once (A's traces) and the two line styles by the runs' `names`
    (what differs: compare.run_names), so it stays two short rows on a projector; every trace's
    hover names its run."""
    figures = training_figures(history_a, probabilities, gradients)
    for figure, other in zip(figures, training_figures(history_b, probabilities, gradients)):
        for trace in figure.data:
            trace.update(hovertemplate=f"{trace.name}, {names[0]}: %{{y:.3g}}<extra></extra>")
        for trace in other.data:
            figure.add_trace(trace.update(line_dash="dash", showlegend=False,
                                          hovertemplate=f"{trace.name}, {names[1]}: %{{y:.3g}}<extra></extra>"))
        add_run_keys(figure, names)
        figure.update_layout(margin_t=COMPARE_TOP_MARGIN)
    return figures


def add_run_keys(figure: go.Figure, names: Sequence[str]) -> None:
    """Two legend entries, a grey solid line for run A and a dashed one for run B, named by what differs."""
    for name, dash in zip(names, (None, "dash")):
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, hoverinfo="skip",
                                    line={"color": "#555", "width": 2, "dash": dash}))


def compare_quality_figure(points_a: Sequence[dict[str, Any]], points_b: Sequence[dict[str, Any]], every: int,
                           names: Sequence[str] = ("A", "B")) -> go.Figure:
    """quality_figure of run A with run B's FID and IS dashed over it, and the runs keyed in a legend."""
    figure = quality_figure(points_a, every)
    figure.update_traces(showlegend=False)  # the panels name FID and IS; the legend keys the runs
    steps = [p["step"] for p in points_b]
    last = max(steps + [p["step"] for p in points_a], default=every)
    figure.update_layout(xaxis_range=[0, last + every / 2], xaxis2_range=[0, last + every / 2])
    for key, colour, axes in (("fid", FID_COLOUR, ("x", "y")), ("inception_score", IS_COLOUR, ("x2", "y2"))):
        figure.add_trace(go.Scatter(x=steps, y=[p[key] for p in points_b], mode="lines+markers",
                                    name=f"{key}, {names[1]}", line={"color": colour, "dash": "dash"},
                                    marker={"symbol": "diamond"}, xaxis=axes[0], yaxis=axes[1], showlegend=False))
    add_run_keys(figure, names)
    figure.update_layout(showlegend=True, margin={"t": 80}, legend={"y": 1.08})  # the legend above the panel titles
    return figure


def compare_histogram_figure(fractions_a: Sequence[float] | None, fractions_b: Sequence[float] | None,
                             step: int | None = None, names: Sequence[str] = ("A", "B")) -> go.Figure:
    """The digits each run draws, side by side per digit: run A's bars solid, run B's hatched."""
    figure = class_histogram_figure(fractions_a, step)
    figure.data[0].update(name=names[0], offsetgroup="A")
    figure.add_trace(go.Bar(x=list(DIGITS), y=list(fractions_b if fractions_b is not None else [0.0] * len(DIGITS)),
                            name=names[1], offsetgroup="B", marker_color=list(DIGIT_COLOURS),
                            marker_pattern_shape="/", marker_pattern_fgcolor="white",
                            hovertemplate=f"digit %{{x}}, {names[1]}: %{{y:.0%}}<extra></extra>"))
    figure.data[0].hovertemplate = f"digit %{{x}}, {names[0]}: %{{y:.0%}}<extra></extra>"
    figure.update_layout(barmode="group", showlegend=True)
    return figure


FID_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
FID_DECADES = [1, 10, 100, 1000]  # ticks for a range over more than two decades, where 1-2-5 would crowd
FID_COLOUR, IS_COLOUR = "#2ca02c", "#9467bd"
PANEL_GAP = 0.14  # of the figure's width, between the FID and IS panels: room for the IS panel's ticks


def quality_figure(points: Sequence[dict[str, Any]], every: int) -> go.Figure:
    """MNIST-FID (left panel, log axis, lower is better) and Inception Score (right panel, at most 10).

    Points are {"step", "fid", "inception_score"} and may carry "fid_floor" / "is_floor": what real
    MNIST digits score at the same sample size. Each is drawn in its own panel as a labelled dotted
    line, because a FID of 4 means "as good as real data" at 500 samples, not "4 away from perfect".
    Two panels rather than two y-axes on one: points of one never sit on the other's lines.
    """
    title = f"Quality every {every} steps" + ("" if points else f" (the first at step {every})")
    figure = go.Figure(layout=_layout(title, "generator step", "", chart="quality"))
    half = (1 - PANEL_GAP) / 2
    figure.update_layout(
        showlegend=False, margin={"t": 56},
        xaxis={"domain": [0, half]}, yaxis={"type": "log", "range": [0, 3], "tickvals": FID_DECADES,
                                             "title": {"text": ""}},
        xaxis2={**AXIS, "domain": [1 - half, 1], "anchor": "y2", "title": {"text": "generator step"}},
        yaxis2={**AXIS, "anchor": "x2", "range": [1, 10.5]})
    for xref, text in (("x", "MNIST-FID, lower is better"), ("x2", "Inception Score, max 10")):
        figure.add_annotation(text=f"<b>{text}</b>", xref=f"{xref} domain", x=0, xanchor="left",
                              yref="paper", y=1, yanchor="bottom", showarrow=False)
    steps = [p["step"] for p in points]
    for key, name, colour, axes in (("fid", "MNIST-FID", FID_COLOUR, ("x", "y")),
                                    ("inception_score", "Inception Score", IS_COLOUR, ("x2", "y2"))):
        figure.add_trace(go.Scatter(x=steps, y=[p[key] for p in points], mode="lines+markers", name=name,
                                    line={"color": colour}, xaxis=axes[0], yaxis=axes[1]))
    fids = [p["fid"] for p in points] + [p["fid_floor"] for p in points[-1:] if "fid_floor" in p]
    if fids:  # a log axis over exactly the data and its floor; Plotly's own log ticks would read "5" for 50
        low, high = math.log10(min(fids)) - 0.15, math.log10(max(fids)) + 0.15
        figure.update_layout(yaxis_range=[low, high], yaxis_tickvals=FID_TICKS if high - low <= 2 else FID_DECADES)
    # From step 0, so a lone first check is not drawn on a fractional axis around itself.
    last = max(steps, default=every)
    figure.update_layout(xaxis_range=[0, last + every / 2], xaxis2_range=[0, last + every / 2])
    if points and "fid_floor" in points[-1]:
        fid_floor, is_floor = points[-1]["fid_floor"], points[-1]["is_floor"]
        # Labels at the left end, where the first checks are far from the floor (FID starts high, IS
        # low); placed by hand because Plotly places an annotation on a log axis at log10(y), and
        # add_hline's label would land at 10**4.3 for a floor of 4.3.
        for axes, y, label_y, anchor, colour in (("x", fid_floor, math.log10(fid_floor), "bottom", FID_COLOUR),
                                                 ("x2", is_floor, is_floor, "top", IS_COLOUR)):
            y_axis = axes.replace("x", "y")
            figure.add_shape(type="line", xref=f"{axes} domain", x0=0, x1=1, yref=y_axis, y0=y, y1=y,
                             line={"dash": "dot", "color": colour})
            figure.add_annotation(text=f"real digits {y:.1f}", xref=f"{axes} domain", x=0.02, xanchor="left",
                                  yref=y_axis, y=label_y, yanchor=anchor, showarrow=False, font={"color": colour})
    return figure


def class_histogram_figure(fractions: Sequence[float] | None, step: int | None = None) -> go.Figure:
    """Which digits the generator draws, as a classifier reads them. A balanced GAN is flat at 10%."""
    suffix = f" (step {step})" if step is not None else " (after the 1st check)"
    figure = go.Figure(layout=_layout(f"Digits drawn{suffix}", "digit (as the classifier reads it)",
                                      "share of samples", chart="digits"))
    fractions = fractions if fractions is not None else [0.0] * len(DIGITS)
    figure.add_trace(go.Bar(x=list(DIGITS), y=list(fractions), marker_color=list(DIGIT_COLOURS),
                            hovertemplate="digit %{x}: %{y:.0%}<extra></extra>"))
    figure.add_hline(y=0.1, line_dash="dot", line_color="#666", annotation_text="uniform 10%")
    figure.update_layout(hovermode="closest", yaxis_tickformat=".0%", xaxis_dtick=1)
    return figure


def spectrum_figure(check: dict[str, Any] | None, rival: dict[str, Any] | None = None,
                    names: Sequence[str] = ("generated", "B")) -> go.Figure:
    """Power at each spatial frequency, generated against real digits (log scale). Early samples
    hold too much high-frequency noise; the gap at the right closes as G learns. With a `rival`
    (run B's check), its curve is dashed beside run A's and each gap is named."""
    step = f" (step {check['step']})" if check and "step" in check else " (after the 1st check)"
    figure = go.Figure(layout=_layout(f"Frequencies{step}", "spatial frequency (cycles per image)",
                                      "log10 power", chart="spectrum"))
    if not (check and "spectrum" in check):
        return figure
    radius = list(range(len(check["spectrum"])))
    figure.add_trace(go.Scatter(x=radius, y=check["spectrum_real"], name="real digits",
                                line={"color": "#333", "dash": "dot"}))
    runs = [(check, names[0], None)] + ([(rival, names[1], "dash")] if rival and "spectrum" in rival else [])
    for run, name, dash in runs:
        figure.add_trace(go.Scatter(x=radius, y=run["spectrum"], name=name, line={"color": "#d62728", "dash": dash}))
    gaps = ", ".join(f"{name.split(':')[0]} {run['high_frequency_gap']:.2f}" if rival else f"{run['high_frequency_gap']:.2f}"
                     for run, name, _ in runs)
    figure.add_annotation(text=f"high-frequency gap {gaps}", showarrow=False,
                          xref="x domain", x=0.98, xanchor="right", yref="y domain", y=0.95)
    return figure
