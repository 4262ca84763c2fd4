"""The page's own CSS and script (given to launch(); Gradio 6 takes them there, not in Blocks)."""
from __future__ import annotations

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
"""

# Plotly hover/click on the t-SNE scatter. gr.Plot has no click event, so: hover shows the
# point's thumbnail (customdata[1]) in #tsne-hover; a click stores the point's index
# (customdata[0]) in window.gxTsnePick and presses the hidden #tsne-pick button, whose js=
# hook passes that index to Python. The plot div is recreated on every update, so a
# MutationObserver attaches the listeners to each new one.
HEAD = """
<script>
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
"""
