"""The 2-D lab's plane in the page: one canvas, redrawn in place from each frame's numbers
(plane.frame_data), with its title, axes' labels and legend as text beside it.

The plane was a Plotly chart. Redrawing it (a heat map, a contour, 600 markers, two line traces, the
legend and the colour bar) took Plotly 40-70 ms of the page's main thread a frame, about half a core at
5 frames a second: on a 2-core machine, time the training thread beside it then lacked (docs/lab2d.md,
"The view's frame rate"). A canvas draws the same layers in a few milliseconds: D's score as a 40 x 40
image the browser scales smoothly, the contour by marching squares, the points and lines as one path
each. The title ("step N"), the axes' numbers and the legend are HTML, so the presentation layout's
fonts apply to them as to the rest of the page. Moving the pointer over the plane tells D's score there.

The frame travels as JSON text in a gr.HTML whose template never changes (as live_chart.py's charts):
frames that arrive faster than the page paints are dropped, the newest drawn at the next animation frame.
"""
from __future__ import annotations

import json

import gradio as gr

from ..plane import COLOURS, SCORE_COLOURS, PlaneView, frame_data
from ..trainer import Trainer
from .live_chart import LIVE_CLASS

LEGEND = {"real": "real", "fake": "generated", "manifold": "G's manifold", "gradients": "G's gradient",
          "contour": "D = boundary"}  # the layers' names in the legend, as the Show boxes order them
ROUTE = "/gx/plane/{which}"  # plane_route.py serves it
FRAME_MS = 160  # a newer frame asked for this often while the run trains: 6 a second, the 5 with room
QUIET_MS = 3000  # ... until no new frame came for this long
EMPTY = "Press Start or Step: the real points, G's points and D's map appear here."
TEMPLATE = ('<div class="gx-plane"><div class="gx-plane-title"></div><div class="gx-plane-box">'
            '<canvas></canvas><div class="gx-plane-ticks"></div><div class="gx-plane-tip"></div></div>'
            '<div class="gx-plane-legend"></div></div>')
# In the page's CSS (page.py). Gradio also adds each rule scoped to its container, which outranks a plain
# `.gx-present` rule (the class is on <body>, outside the container): those rules are !important.
CSS = """
.gx-plane { display: flex; flex-direction: column; height: 520px; font-size: 13px; }
.gx-present .gx-plane { height: calc(var(--gx-stage) - 40px) !important; font-size: 20px !important; }
.gx-plane-title { font-weight: 600; padding: 2px 8px; min-height: 1.4em; }
.gx-plane-box { position: relative; flex: 1 1 auto; min-height: 0; }
.gx-plane-box canvas { position: absolute; inset: 0; width: 100%; height: 100%; }
.gx-plane-ticks, .gx-plane-tip { position: absolute; inset: 0; pointer-events: none; }
.gx-tick { position: absolute; color: #444; font-size: 0.9em; white-space: nowrap; }
.gx-plane-tip { inset: auto; background: rgba(255,255,255,0.9); border: 1px solid #bbb; padding: 1px 5px;
                border-radius: 3px; font-size: 0.9em; display: none; white-space: nowrap; }
.gx-plane-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 4px 8px; align-items: center; }
.gx-legend-item { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.gx-legend-mark { display: inline-block; width: 1.4em; height: 0; border-top: 2px solid; }
.gx-legend-mark.dot { width: 0.55em; height: 0.55em; border: none; border-radius: 50%; }
.gx-legend-mark.dotted { border-top-style: dotted; }
.gx-legend-scale { display: inline-block; width: 5em; height: 0.8em; opacity: 0.75; border: 1px solid #ccc; }
"""
# Runs once per plane (Gradio's js_on_load: `element`, `props`, `watch`).
PLANE_JS = r"""
const root = element.querySelector(".gx-plane"), canvas = root.querySelector("canvas");
const title = root.querySelector(".gx-plane-title"), ticks = root.querySelector(".gx-plane-ticks");
const legend = root.querySelector(".gx-plane-legend"), tip = root.querySelector(".gx-plane-tip");
const COLOURS = %(colours)s, SCALE = %(scale)s, LEGEND = %(legend)s;
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const STOPS = SCALE.map(([at, hex]) => [at, rgb(hex)]);
const WHICH = "%(which)s", ROUTE = "%(route)s", FRAME_MS = %(frame_ms)d, QUIET_MS = %(quiet_ms)d;
const EMPTY = %(empty)s;  // the title until a run's first frame
let frame = null, drawn = null, pending = false, axesKey = "", legendKey = "", place = null, pointer = null;
let polling = false;

// D's colour at t in [0, 1] (purple, white, green), as a heat map of opacity 0.75 shows it on white.
function colour(t) {
  const [a, b] = t < STOPS[1][0] ? [STOPS[0], STOPS[1]] : [STOPS[1], STOPS[2]];
  const u = Math.min(1, Math.max(0, (t - a[0]) / (b[0] - a[0])));
  return a[1].map((c, i) => 0.75 * (c + (b[1][i] - c) * u) + 0.25 * 255);
}
// The colours span the boundary plus or minus the largest distance from it, as Plotly's zmid does.
function spread(score) {
  let most = 0;
  for (const z of score) if (z !== null) most = Math.max(most, Math.abs(z - frame.boundary));
  return most || 1;
}
function heat(ctx, map) {
  const n = frame.resolution, image = new ImageData(n, n), half = spread(frame.score);
  frame.spread = half;
  for (let row = 0; row < n; row++) for (let col = 0; col < n; col++) {
    const z = frame.score[(n - 1 - row) * n + col], at = 4 * (row * n + col);
    if (z === null) continue;
    const [r, g, b] = colour(0.5 + (z - frame.boundary) / (2 * half));
    image.data.set([r, g, b, 255], at);
  }
  const small = document.createElement("canvas");
  small.width = small.height = n;
  small.getContext("2d").putImageData(image, 0, 0);
  // Pixel centres on the grid's points: the image reaches half a cell past the plane's edges (clipped).
  const cell = map.side / (n - 1);
  ctx.save(); ctx.beginPath(); ctx.rect(map.x, map.y, map.side, map.side); ctx.clip();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, map.x - cell / 2, map.y - cell / 2, map.side + cell, map.side + cell);
  ctx.restore();
}
// Marching squares: the segments where D's score crosses the boundary, in each cell of the grid.
function contour(ctx, map) {
  const n = frame.resolution, z = frame.score, level = frame.boundary, cell = map.side / (n - 1);
  const at = (col, row) => z[row * n + col];
  const cut = (ax, ay, av, bx, by, bv) => { const u = (level - av) / (bv - av); return [ax + u * (bx - ax), ay + u * (by - ay)]; };
  let segments = 0;
  ctx.beginPath();
  for (let row = 0; row < n - 1; row++) for (let col = 0; col < n - 1; col++) {
    const corners = [[col, row], [col + 1, row], [col + 1, row + 1], [col, row + 1]];
    const values = corners.map(([c, r]) => at(c, r));
    if (values.some((v) => v === null)) continue;
    const points = [];
    for (let k = 0; k < 4; k++) {
      const [a, b] = [k, (k + 1) %% 4];
      if ((values[a] - level) * (values[b] - level) < 0) points.push(cut(...corners[a], values[a], ...corners[b], values[b]));
    }
    for (let k = 0; k + 1 < points.length; k += 2) {
      const [p, q] = [points[k], points[k + 1]].map(([c, r]) => [map.x + c * cell, map.y + map.side - r * cell]);
      ctx.moveTo(...p); ctx.lineTo(...q); segments++;
    }
  }
  ctx.save(); ctx.setLineDash([2, 3]); ctx.lineWidth = 2; ctx.strokeStyle = COLOURS.contour; ctx.stroke(); ctx.restore();
  root.dataset.contour = String(segments);
}
function polyline(ctx, xy, to) {
  let open = false;
  for (let i = 0; i + 1 < xy.length; i += 2) {
    if (xy[i] === null || xy[i + 1] === null) { open = false; continue; }
    const [x, y] = to(xy[i], xy[i + 1]);
    if (open) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    open = true;
  }
}
function dots(ctx, xy, fill, radius, to) {
  ctx.beginPath();
  for (let i = 0; i + 1 < xy.length; i += 2) {
    if (xy[i] === null || xy[i + 1] === null) continue;
    const [x, y] = to(xy[i], xy[i + 1]);
    ctx.moveTo(x + radius, y); ctx.arc(x, y, radius, 0, 2 * Math.PI);
  }
  ctx.fillStyle = fill; ctx.fill();
}
function arrows(ctx, ends, to, head) {
  ctx.beginPath();
  for (let i = 0; i + 3 < ends.length; i += 4) {
    if (ends.slice(i, i + 4).some((v) => v === null)) continue;
    const [x0, y0] = to(ends[i], ends[i + 1]), [x1, y1] = to(ends[i + 2], ends[i + 3]);
    const angle = Math.atan2(y1 - y0, x1 - x0);
    ctx.moveTo(x0, y0); ctx.lineTo(x1, y1);
    if (Math.hypot(x1 - x0, y1 - y0) > head) for (const side of [-0.45, 0.45]) {
      ctx.moveTo(x1, y1); ctx.lineTo(x1 - head * Math.cos(angle + side), y1 - head * Math.sin(angle + side));
    }
  }
  ctx.lineWidth = 2; ctx.strokeStyle = COLOURS.gradients; ctx.stroke();
}
// The square drawing area in the canvas (CSS pixels), room left for the axes' numbers.
function area(width, height, font) {
  const left = 2.6 * font, bottom = 1.6 * font, pad = 6;
  const side = Math.max(20, Math.min(width - left - pad, height - bottom - pad));
  return {x: left + (width - left - pad - side) / 2, y: pad, side};
}
function niceStep(range) {
  const raw = range / 6, power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}
function axes(map) {
  const [x0, x1, y0, y1] = frame.bounds, key = [map.x, map.y, map.side, ...frame.bounds].join();
  if (key === axesKey) return;
  axesKey = key;
  const labels = [];
  const step = niceStep(x1 - x0);
  for (let v = Math.ceil(x0 / step) * step; v <= x1 + 1e-9; v += step) {
    const x = map.x + (v - x0) / (x1 - x0) * map.side, text = String(Math.round(v * 100) / 100);
    labels.push(`<span class="gx-tick gx-tick-x" style="left:${x}px;top:${map.y + map.side + 2}px;transform:translateX(-50%%)">${text}</span>`);
  }
  for (let v = Math.ceil(y0 / step) * step; v <= y1 + 1e-9; v += step) {
    const y = map.y + (y1 - v) / (y1 - y0) * map.side, text = String(Math.round(v * 100) / 100);
    labels.push(`<span class="gx-tick gx-tick-y" style="right:${canvas.clientWidth - map.x + 4}px;top:${y}px;transform:translateY(-50%%)">${text}</span>`);
  }
  ticks.innerHTML = labels.join("");
}
function legendFor(shown) {
  const scaled = shown.has("heat map");
  const key = [...shown].join() + frame.probabilities;
  if (key !== legendKey) {
    legendKey = key;
    const items = Object.entries(LEGEND).filter(([layer]) => shown.has(layer)).map(([layer, name]) => {
      const kind = layer === "real" || layer === "fake" ? "dot" : layer === "contour" ? "dotted" : "";
      const paint = kind === "dot" ? `background:${COLOURS[layer]}` : `border-top-color:${COLOURS[layer]}`;
      return `<span class="gx-legend-item"><span class="gx-legend-mark ${kind}" style="${paint}"></span>` +
             `<span class="gx-legend-name">${name}</span></span>`;
    });
    if (scaled) {
      const gradient = SCALE.map(([at, hex]) => `${hex} ${at * 100}%%`).join(",");
      const name = frame.probabilities ? "D(x): probability of real" : "critic score";
      items.push(`<span class="gx-legend-item"><span class="gx-legend-name">${name}</span><span class="gx-scale-low"></span>` +
                 `<span class="gx-legend-scale" style="background:linear-gradient(to right,${gradient})"></span>` +
                 `<span class="gx-scale-high"></span></span>`);
    }
    legend.innerHTML = items.join("");
  }
  if (scaled) {
    legend.querySelector(".gx-scale-low").textContent = (frame.boundary - frame.spread).toFixed(2);
    legend.querySelector(".gx-scale-high").textContent = (frame.boundary + frame.spread).toFixed(2);
  }
}
function showTip() {
  if (!pointer || !frame || !place || !frame.score) { tip.style.display = "none"; return; }
  const [x0, x1, y0, y1] = frame.bounds, map = place, n = frame.resolution;
  const u = (pointer[0] - map.x) / map.side, v = (map.y + map.side - pointer[1]) / map.side;
  if (u < 0 || u > 1 || v < 0 || v > 1) { tip.style.display = "none"; return; }
  const z = frame.score[Math.round(v * (n - 1)) * n + Math.round(u * (n - 1))];
  tip.textContent = `x ${(x0 + u * (x1 - x0)).toFixed(2)}, y ${(y0 + v * (y1 - y0)).toFixed(2)}: D = ${z === null ? "?" : z.toFixed(2)}`;
  tip.style.left = `${pointer[0] + 12}px`; tip.style.top = `${pointer[1] + 12}px`; tip.style.display = "block";
}
function draw() {
  pending = false;
  if (!frame || !root.isConnected) return;
  const width = canvas.clientWidth, height = canvas.clientHeight, ratio = window.devicePixelRatio || 1;
  if (!width || !height) return;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
  }
  const font = parseFloat(getComputedStyle(root).fontSize) || 13;
  const ctx = canvas.getContext("2d"), map = area(width, height, font), shown = new Set(frame.layers);
  const [x0, x1, y0, y1] = frame.bounds;
  const to = (x, y) => [map.x + (x - x0) / (x1 - x0) * map.side, map.y + (y1 - y) / (y1 - y0) * map.side];
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "white"; ctx.fillRect(map.x, map.y, map.side, map.side);
  root.dataset.contour = "0";
  if (shown.has("heat map")) heat(ctx, map);
  if (shown.has("contour")) contour(ctx, map);
  ctx.save(); ctx.beginPath(); ctx.rect(map.x, map.y, map.side, map.side); ctx.clip();
  if (shown.has("manifold")) {
    ctx.beginPath(); for (const line of frame.mesh) polyline(ctx, line, to);
    ctx.lineWidth = 1; ctx.strokeStyle = COLOURS.manifold; ctx.stroke();
  }
  const radius = Math.max(2.5, map.side / 180);
  if (shown.has("real")) dots(ctx, frame.real, COLOURS.real, radius, to);
  if (shown.has("fake")) dots(ctx, frame.fake, COLOURS.fake, radius, to);
  if (shown.has("gradients")) arrows(ctx, frame.arrows, to, Math.max(5, map.side / 80));
  ctx.restore();
  ctx.lineWidth = 1; ctx.strokeStyle = "#999"; ctx.strokeRect(map.x, map.y, map.side, map.side);
  place = map;
  title.textContent = `step ${frame.step.toLocaleString("en-US")}`;
  axes(map); legendFor(shown); showTip();
}
function schedule() { if (!pending) { pending = true; requestAnimationFrame(draw); } }
// A frame from Gradio (Start's stream once a second, a step, a layer toggle) or from the route: drawn
// unless it is older than the one shown of the same run (the two paths may cross). Says if it was new.
function accept(text) {
  if (!text || text === drawn) return false;
  const next = JSON.parse(text);
  if (frame && next.run === frame.run && next.step < frame.step) return false;
  drawn = text; frame = next; root.gxFrame = frame;
  root.dataset.frames = String(Number(root.dataset.frames || 0) + 1);
  schedule();
  return true;
}
// After a new frame from Gradio, ask the route (plane_route.py) for a newer one every FRAME_MS while the
// plane shows, until QUIET_MS pass without one (the run stopped): an idle page asks nothing.
async function poll() {
  let quiet = 0;
  while (quiet < QUIET_MS && root.isConnected) {
    const started = performance.now();
    let fresh = false;
    try {
      const session = window.__gradio_session_hash__;
      if (session && frame && root.offsetParent !== null && document.visibilityState === "visible") {
        const base = (window.gradio_config && window.gradio_config.root) || "";
        const query = new URLSearchParams({session, run: frame.run, after: frame.step, layers: frame.layers.join(",")});
        const response = await fetch(`${base}${ROUTE.replace("{which}", WHICH)}?${query}`, {cache: "no-store"});
        fresh = response.status === 200 && accept(await response.text());
      }
    } catch (error) {
      console.warn("The plane's frames:", error);
    }
    quiet = fresh ? 0 : quiet + FRAME_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + FRAME_MS - performance.now())));
  }
  polling = false;
}
function arm() { if (!polling) { polling = true; poll(); } }
watch("value", () => { if (accept(props.value)) arm(); });
if (!accept(props.value)) title.textContent = EMPTY;
new ResizeObserver(() => { axesKey = ""; schedule(); }).observe(canvas);
canvas.addEventListener("mousemove", (event) => {
  const box = canvas.getBoundingClientRect();
  pointer = [event.clientX - box.left, event.clientY - box.top]; showTip();
});
canvas.addEventListener("mouseleave", () => { pointer = null; showTip(); });
"""


def plane_view(elem_id: str, which: str) -> gr.HTML:
    """An empty plane of run `which` ("a" or "b") of the page's lab session, that plane_value's frames
    draw into: Gradio's, and the route's (plane_route.py) while the run trains."""
    script = PLANE_JS % {"colours": json.dumps(COLOURS), "scale": json.dumps(SCORE_COLOURS), "legend": json.dumps(LEGEND),
                         "which": which, "route": ROUTE, "frame_ms": FRAME_MS, "quiet_ms": QUIET_MS,
                         "empty": json.dumps(EMPTY)}
    return gr.HTML("", html_template=TEMPLATE, js_on_load=script, elem_id=elem_id,
                   elem_classes=["gx-stage", LIVE_CLASS], apply_default_css=False, container=True, padding=False)


def plane_value(trainer: Trainer, view: PlaneView, layers: list[str] | tuple[str, ...]) -> str:
    """A plane's value: the frame's numbers (plane.frame_data) and its run, as JSON text in one piece for
    Gradio to send (a streamed dict is diffed element by element)."""
    return json.dumps(frame_data(view, layers) | {"run": trainer.run_id}, separators=(",", ":"))


