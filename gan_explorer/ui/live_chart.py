"""The lab's live charts (its losses and D's outputs): each one Plotly chart that lives as long as the
page, redrawn in place (the planes are canvases redrawn the same way: plane_view.py).

gr.Plot mounts a new chart element for every update (Gradio 6.31 keys its Plotly child by a counter),
so each update was a whole Plotly.newPlot (axes, legend, SVG built afresh) plus a relayout and the
old chart's removal (docs/lab2d.md, "The view's frame rate"). Here the figure travels as Plotly's JSON
text in a gr.HTML
whose template never changes, and its `js_on_load` script keeps one chart element and hands each new
frame to Plotly.react, which redraws only the traces and the title. Frames that arrive faster than
the page paints are dropped (the newest is drawn at the next animation frame).

The chart is an ordinary Plotly chart (`.js-plotly-plot`), so the page's Plotly.react wrapper
(page.py: presentation fonts, kept legend toggles and zoom) applies to it as to every gr.Plot.
"""
from __future__ import annotations

from typing import Any

import gradio as gr
import plotly.graph_objects as go

# Runs once per chart element (Gradio's js_on_load: `element`, `props`, `watch`). Gradio loads Plotly
# with the page's first gr.Plot (the Train tab's charts, mounted even while a link opens the lab) and
# puts it on window.Plotly; a frame that comes first waits for it.
LIVE_CLASS = "gx-live-chart"  # marks the component of each such chart
CHART_JS = r"""
const chart = element.querySelector(".gx-live");
let drawn = null, pending = false;
function draw() {
  pending = false;
  const text = props.value;
  if (!text || text === drawn || !chart.isConnected) return;
  if (!window.Plotly) { setTimeout(schedule, 100); return; }
  drawn = text;
  const figure = JSON.parse(text);
  figure.layout.autosize = true;
  const first = !chart.classList.contains("js-plotly-plot");
  const done = window.Plotly.react(chart, figure.data, figure.layout, {responsive: true, displaylogo: false});
  // Plotly places the axes' labels and the legend by measuring text it has drawn: a first drawing
  // (fonts still loading, the column still settling) is measured once more, as gr.Plot does each time.
  if (first) Promise.resolve(done).then(fit);
  chart.dataset.frames = String(Number(chart.dataset.frames || 0) + 1);
}
function schedule() { if (!pending) { pending = true; requestAnimationFrame(draw); } }
watch("value", schedule);
// Fit the chart's box again: a relayout re-measures what autosize leaves to the box (the width, and in
// the presentation layout the height), not Plots.resize, which drops the figure's own height too
// (a chart with no height in its CSS then collapses).
function fit() {
  if (window.Plotly && chart.classList.contains("js-plotly-plot")) window.Plotly.relayout(chart, {autosize: true});
}
// The column's width changes without a window resize (run B's plane shown or hidden, a tab opened).
new ResizeObserver(fit).observe(chart);
schedule();
"""


def live_chart(elem_id: str, figure: go.Figure) -> gr.HTML:
    """A chart, `figure` first, that `chart_value`'s JSON redraws in place."""
    return gr.HTML(chart_value(figure), html_template='<div class="gx-live"></div>', js_on_load=CHART_JS,
                   elem_id=elem_id, elem_classes=["gx-stage", LIVE_CLASS], apply_default_css=False, container=True,
                   padding=False)


def is_live_chart(component: Any) -> bool:
    """Whether `component` is one of these charts (explained.py folds an explanation under each chart)."""
    classes = component.elem_classes or []
    return LIVE_CLASS in ([classes] if isinstance(classes, str) else classes)


def chart_value(figure: go.Figure) -> str:
    """A live chart's value: Plotly's JSON of a plots.py figure, as text. Text, not a dict: Gradio diffs a
    streamed dict element by element, a string in one piece."""
    return figure.to_json()
