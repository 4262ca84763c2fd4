"""The page's own CSS and script (given to launch(); Gradio 6 takes them there, not in Blocks).

The presentation layout (a toggle, or ?present=1 in the URL) is a class on <body>: CSS hides the
settings and sizes the grid and charts to the screen, and a wrapper round Plotly.react gives every
chart projector-sized text, so figures and the API stay the same in both layouts.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

from .plane_view import CSS as PLANE_CSS
from .slider_route import MovingPicture, page_script

MIN_FONT_PX = 18  # text readable from the back of a classroom on a 1280x720 projector
FONT_SCALE = 1.5  # chart text in the presentation layout: 12 px ticks -> 18 px, 15 px titles -> 22 px
# Room above the plot for a 22 px title and a legend of up to two 18 px rows; axes push their own.
PRESENT_MARGIN = {"t": 100, "l": 16, "r": 24, "b": 16}
MIN_STAGE_PX = 320  # the grid and charts never shrink below this, however little room is left

CSS = """
/* Digits are 28x28: the browser must not smooth them when it scales an image up. */
.gx-pixelated img, #tsne-hover-img { image-rendering: pixelated; }
.gx-status { font-size: 1.05rem; line-height: 1.6; }
.gx-status progress { width: 100%; height: 14px; accent-color: #2563eb; }
.gx-error { color: #b91c1c; font-weight: 600; }
.gx-warning { color: #b45309; font-weight: 600; }
#tsne-hover { text-align: center; }
#tsne-hover-img { width: 168px; height: 168px; background: #000; display: block; margin: 0 auto 6px; }
#tsne-hover-img:not([src]) { visibility: hidden; }
#gx-link-notice { color: #b45309; }
/* Copy link and the presentation toggle: a toolbar at the top right that both layouts show. */
#gx-toolbar { position: fixed; top: 8px; right: 16px; z-index: 1000; width: auto; flex-wrap: nowrap;
  align-items: center; gap: 8px; background: var(--background-fill-primary); border-radius: 8px; }
#gx-toolbar > * { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important; }
#gx-present label { white-space: nowrap; }
#gx-link-box input, #gx-link-box textarea { font-size: 14px; }
.gx-present #gx-link-box { width: calc(100% - 440px) !important; align-self: flex-start; margin: 0 !important; }  /* beside the toolbar, not under it */
#gx-link-copied { color: #15803d; font-weight: 600; }

/* Gradio draws an image's label and buttons over the picture's top row: give them a band above it. */
.block:has(> .image-container) { display: flex; flex-direction: column; }
.block:has(> .image-container) > label[data-testid="block-label"]:not(.hide) {
  position: static; align-self: flex-start; margin: 0 0 0 0; max-width: calc(100% - 100px); white-space: normal; }
.block:has(> .image-container) > .image-container { position: static; height: auto; flex: 1; min-height: 0;
  padding-top: 34px; }
.block:has(> label[data-testid="block-label"]:not(.hide)) > .image-container { padding-top: 4px; }
/* A dropdown's arrow sits over the right end of its box: its text stops before the arrow. */
.secondary-wrap:has(> .icon-wrap) > input { padding-right: calc(2 * var(--size-5)); text-overflow: ellipsis; }
#train-loss { flex-grow: 2 !important; }

/* The presentation layout: grid, losses, D's outputs and the status on one 1280x720 screen.
   Gradio also adds a copy of each rule scoped under its container, which outranks a plain
   ".gx-present ..." rule: sizes that override a rule of ours are !important. */
body.gx-present { --gx-stage: 420px; --body-text-size: 20px;
  --block-label-text-size: 18px; --block-info-text-size: 16px; --input-text-size: 18px;
  --button-large-text-size: 20px; --section-header-text-size: 18px; }
.gx-present #gx-header, .gx-present #train-settings, .gx-present #train-checkpoints,
.gx-present #train-lesson { display: none !important; }
.gx-present .gradio-container { padding-top: 4px !important; padding-bottom: 4px !important; }
.gx-present #train-buttons button { padding-top: 4px; padding-bottom: 4px; min-height: 0; }
.gx-present .gx-status { font-size: 20px !important; line-height: 1.45 !important; }
.gx-present #train-grid-caption, .gx-present #train-grid-caption * { font-size: 18px !important; line-height: 1.3; }
.gx-present #train-grid-column { flex: 0 0 auto !important; min-width: 0 !important; height: var(--gx-stage);
  width: calc(var(--gx-stage) - 48px); flex-wrap: nowrap; }
.gx-present #train-grid { height: auto !important; flex: 1 1 0; min-height: 0; }
.gx-present #train-grid img { object-fit: contain !important; }  /* grow past the PNG's own 604 px */
.gx-present #train-grid .icon-button-wrapper { display: none; }  /* nobody downloads mid-lecture */
.gx-present #train-grid > .image-container { padding-top: 0; }
.gx-present #train-charts { flex-direction: row !important; flex: 1 1 0 !important; }
.gx-present #train-charts > * { flex: 1 1 0; min-width: 0; }
.gx-present .gx-stage .js-plotly-plot { height: calc(var(--gx-stage) - 4px); }
/* Two runs compared: two grids side by side, each a little smaller, so the two charts keep their room. */
#train-grids { flex-wrap: nowrap; }
#train-grids > * { min-width: 0 !important; }
.gx-present #train-grids { flex: 1 1 0; min-height: 0; }
.gx-present #train-grid-a, .gx-present #train-grid-b { flex-wrap: nowrap; height: 100%; }
.gx-present #train-grid-b-caption, .gx-present #train-grid-b-caption * { font-size: 18px !important; line-height: 1.3; }
.gx-present #train-grid-b-image { height: auto !important; flex: 1 1 0; min-height: 0; }
.gx-present #train-grid-b-image img { object-fit: contain !important; }
.gx-present #train-grid-b-image .icon-button-wrapper { display: none; }
.gx-present #train-grid-b-image > .image-container { padding-top: 0; }
.gx-present #train-grid-column:has(#train-grid-b) { width: calc(1.4 * (var(--gx-stage) - 48px)); }
/* The stage's explanations would push it off the screen; the charts below the stage keep theirs. */
.gx-present #train-stage .gx-explained { display: none !important; }
/* The 2-D lab presenting: only its buttons of the settings, in a narrow column; the planes (two when
   compared) as tall as the screen allows below the status line, the charts beside them. */
.gx-present #lab-settings { flex: 0 0 150px !important; min-width: 0 !important; }
.gx-present #lab-settings > :not(#lab-buttons):not(#lab-buttons-half):not(#lab-slow-row),
.gx-present #lab-lessons-box, .gx-present #lab-stage .gx-explained { display: none !important; }
.gx-present #lab-buttons, .gx-present #lab-buttons-half { flex-direction: column; }
.gx-present #lab-slow span { font-size: 17px !important; line-height: 1.3 !important; }  /* read from the back */
.gx-present #lab-slow input { width: 22px !important; height: 22px !important; }
.gx-present #lab-stage { flex: 4 1 0 !important; }
.gx-present #lab-charts { flex: 1.4 1 0 !important; min-width: 240px !important; }
.gx-present #lab-charts .gx-explained { display: none !important; }
.gx-present #lab-modes { display: none !important; }  /* two charts fit beside the planes; the status says the modes */
body.gx-present:has(#lab-plane-b) #lab-charts { display: none !important; }  /* two planes take the width */
.gx-present #lab-charts .js-plotly-plot { height: calc(var(--gx-stage) / 2 + 20px); }
.gx-present #lab-status, .gx-present #lab-status * { font-size: 20px !important; line-height: 1.4 !important; }
.gx-present #lab-caption-a, .gx-present #lab-caption-a *, .gx-present #lab-caption-b, .gx-present #lab-caption-b * {
  font-size: 20px !important; }
#lab-planes { flex-wrap: nowrap; }
#lab-planes > * { min-width: 0 !important; }
/* The lab's live charts (live_chart.py) and planes (plane_view.py), flush in their boxes as a gr.Plot's chart. */
.gx-live { width: 100%; }
.block.gx-stage > .html-container { padding: 0; }
""" + PLANE_CSS

# Plotly hover/click on the t-SNE scatter. gr.Plot has no click event, so: hover shows the
# point's thumbnail (customdata[1]) in #tsne-hover; a click stores the point's index
# (customdata[0]) in window.gxTsnePick and presses the hidden #tsne-pick button, whose js=
# hook passes that index to Python. The plot div is recreated on every update, so a
# MutationObserver attaches the listeners to each new one.
PRESENT_JS = r"""
(() => {
  const MIN_FONT = %(min_font)d, SCALE = %(scale)s, MARGIN = %(margin)s, MIN_STAGE = %(min_stage)d;
  const presenting = () => document.body.classList.contains("gx-present");
  // Every font in a figure grows by SCALE, to at least MIN_FONT; axes push the margins they need.
  function grow(node) {
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "font" && value && typeof value === "object") {
        value.size = Math.max(MIN_FONT, Math.round((value.size || 12) * SCALE));
      } else {
        if (/^[xy]axis[0-9]*$/.test(key) && value && typeof value === "object") value.automargin = true;
        grow(value);
      }
    }
  }
  function projector(layout, plot) {
    const big = JSON.parse(JSON.stringify(layout || {}));
    big.font = big.font || {};
    grow(big);
    // a figure that asks for more room above (a legend of more rows: two runs compared) gets it, scaled
    const top = Math.max(MARGIN.t, Math.round(((big.margin || {}).t || 0) * SCALE));
    big.margin = Object.assign({}, big.margin, MARGIN, {t: top});
    if (plot.closest && plot.closest(".gx-stage")) delete big.height;  // the layout's CSS sizes these
    return big;
  }
  // Gradio 6.31 mounts a new plot element for every update of a streamed chart, so Plotly's
  // layout.uirevision alone keeps nothing: the user's legend toggles and zoom are kept here, per
  // chart (its element id) and uirevision, and put back into each new figure of that chart.
  const kept = {};
  function keep(plot, revision) {
    const key = plot.closest("[id]")?.id;
    if (!key || revision == null || typeof plot.on !== "function" || plot.gxKept) return;
    plot.gxKept = true;
    const state = kept[key] && kept[key].revision === revision ? kept[key] : (kept[key] = {revision, hidden: {}, axes: {}});
    plot.on("plotly_restyle", () => {
      state.hidden = {};
      plot.data.forEach((trace) => { if (trace.visible === "legendonly") state.hidden[trace.name] = true; });
    });
    plot.on("plotly_relayout", (update) => {
      for (const [name, value] of Object.entries(update)) {
        const axis = name.match(/^([xy]axis[0-9]*)\.(range\[[01]\]|autorange)$/);
        if (!axis) continue;
        if (name.endsWith("autorange")) delete state.axes[axis[1]];
        else (state.axes[axis[1]] = state.axes[axis[1]] || [null, null])[Number(name.at(-2))] = value;
      }
    });
  }
  function restore(plot, data, layout) {
    const state = kept[plot.closest("[id]")?.id];
    if (!state || !layout || state.revision !== layout.uirevision) return [data, layout];
    data = data.map((trace) => (state.hidden[trace.name] ? {...trace, visible: "legendonly"} : trace));
    layout = {...layout};
    for (const [axis, range] of Object.entries(state.axes)) layout[axis] = {...layout[axis], range, autorange: false};
    return [data, layout];
  }
  // Gradio loads Plotly on first use and puts it on window.Plotly: wrap react() as it arrives.
  function wrap(plotly) {
    if (!plotly || plotly.gxWrapped) return;
    const react = plotly.react;
    plotly.react = function (plot, data, layout, config) {
      if (!plot || !plot.closest) return react.call(this, plot, data, layout, config);
      plot.gxLayout = layout;
      [data, layout] = restore(plot, data || [], layout);
      const drawn = react.call(this, plot, data, presenting() ? projector(layout, plot) : layout, config);
      Promise.resolve(drawn).then(() => keep(plot, layout && layout.uirevision));
      return drawn;
    };
    plotly.gxWrapped = true;
  }
  let plotly = window.Plotly;
  if (plotly) wrap(plotly);
  else Object.defineProperty(window, "Plotly", {configurable: true, get: () => plotly,
                                                set: (value) => { plotly = value; wrap(value); }});
  // The stage (grid and two charts, or the lab's planes) fills the screen below the status line, however
  // many lines that has: the stage of the open tab.
  function fit() {
    if (!presenting()) return;  // before offsetParent, which forces a layout at every change of the page
    const stage = [...document.querySelectorAll("#train-stage, #lab-planes")].find((s) => s.offsetParent);
    if (!stage) return;
    const top = stage.getBoundingClientRect().top + window.scrollY;
    const height = `${Math.max(MIN_STAGE, Math.floor(window.innerHeight - top - 12))}px`;
    if (document.body.style.getPropertyValue("--gx-stage") === height) return;
    document.body.style.setProperty("--gx-stage", height);
    if (plotly) document.querySelectorAll(".gx-stage .js-plotly-plot").forEach((p) => plotly.Plots.resize(p));
  }
  let pending = false;
  const fitSoon = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; fit(); }); } };
  window.addEventListener("resize", fitSoon);
  new MutationObserver(fitSoon).observe(document.documentElement, {childList: true, subtree: true});
  // The toggle and ?present=1 both come here; the URL follows, so a copied link keeps the layout.
  window.gxPresent = (on) => {
    document.body.classList.toggle("gx-present", !!on);
    const url = new URL(window.location.href);
    if (on) url.searchParams.set("present", "1"); else url.searchParams.delete("present");
    window.history.replaceState(null, "", url);
    fit();
    if (!plotly) return;
    document.querySelectorAll(".js-plotly-plot").forEach((plot) => {
      if (plot.gxLayout) plotly.react(plot, plot.data, plot.gxLayout).then(() => plotly.Plots.resize(plot));
    });
  };
})();
""" % {"min_stage": MIN_STAGE_PX, "min_font": MIN_FONT_PX, "scale": FONT_SCALE, "margin": json.dumps(PRESENT_MARGIN)}

def head(moving: Sequence[MovingPicture]) -> str:
    """The page's scripts: HEAD, and the script of the panels whose pictures follow their sliders."""
    return HEAD + "<script>" + page_script(moving) + "</script>\n"


# The inputs of a load event that reads the link: the query as the page opened (a string), less a
# `present` the visitor has already overridden with the toggle while the page loaded.
OPENED_LINK_JS = """() => {
  const query = new URLSearchParams(window.gxOpenedSearch ?? window.location.search);
  if (window.gxPresentChosen) query.delete("present");
  return [query.toString()];
}"""

HEAD = """
<script>
// The address as the page opened: Gradio sends each event with the address as it is then, and the
// presentation toggle changes it before the load events that read the link may have been sent.
window.gxOpenedSearch = window.location.search;
(() => {
  function attach(plot) {
    if (plot.gxAttached || typeof plot.on !== "function") return;
    plot.gxAttached = true;
    plot.on("plotly_hover", (event) => {
      const point = event.points[0];
      const img = document.getElementById("tsne-hover-img");
      const text = document.getElementById("tsne-hover-text");
      if (img && point.customdata) img.src = point.customdata[1];
      if (text) text.textContent = point.data.name;
    });
    plot.on("plotly_click", (event) => {
      const point = event.points[0];
      if (!point.customdata) return;
      window.gxTsnePick = point.customdata[0];
      const button = document.getElementById("tsne-pick");
      if (button) button.click();
    });
  }
  new MutationObserver(() => {
    document.querySelectorAll("#tsne-plot .js-plotly-plot").forEach(attach);
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
</script>
<script>""" + PRESENT_JS + """</script>
"""
