"""The frequency chart, the folded explanations and the t-SNE map of pictures in a real Chromium.

Screenshots go to test-artifacts/ (tsne-pictures-1280x720.png, ...): look at them after a change.
`pytest -s` prints the map's size in bytes and how long the browser takes to draw it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)
from test_browser_projector import CHART_TEXT_JS  # tests/ is on sys.path

pytestmark = marks(300)
sync_api = pytest.importorskip("playwright.sync_api")

# The generated point farthest from any other point (nothing else lies over it), scrolled into view: its box.
ISOLATED_GENERATED_POINT_JS = """
() => {
  const points = [...document.querySelectorAll('#tsne-plot .scatterlayer .trace')].flatMap((trace, i) =>
    [...trace.querySelectorAll('.point')].map((p) => ({el: p, box: p.getBoundingClientRect(),
      generated: document.querySelector('#tsne-plot .js-plotly-plot').data[i].name.includes('generated')})));
  const centre = (b) => [b.x + b.width / 2, b.y + b.height / 2];
  let best = null, far = -1;
  for (const p of points.filter((p) => p.generated)) {
    const [x, y] = centre(p.box);
    let near = Infinity;
    for (const q of points) { if (q === p) continue; const [u, v] = centre(q.box); near = Math.min(near, Math.hypot(x - u, y - v)); }
    if (near > far) { far = near; best = p.el; }
  }
  best.scrollIntoView({block: 'center'});  // the map is taller than a 720 px screen
  const box = best.getBoundingClientRect();
  return {x: box.x, y: box.y, width: box.width, height: box.height};
}
"""


def _load_shipped(page: sync_api.Page, name: str) -> None:
    page.click("#train-checkpoints")
    page.locator("#train-shipped input").click()
    page.get_by_role("option", name=name).click()
    page.click("#train-load")


def test_a_loaded_checkpoints_quality_check_draws_its_frequencies_and_each_chart_explains_itself(
        browser: sync_api.Browser, app_url: str, artifacts_dir: Path) -> None:
    page = open_app(browser, app_url, 1280, 720)
    _load_shipped(page, "mlp (shipped)")
    page.wait_for_function("document.querySelectorAll('#chart-spectrum .scatterlayer .trace').length === 2",
                           timeout=60_000)
    cut = [t["text"] for t in page.evaluate(CHART_TEXT_JS, "#chart-spectrum") if not t["inside"]]
    assert not cut, f"the frequency chart cuts off {cut}"
    page.click("#chart-spectrum-explained button")
    page.locator("#chart-spectrum-explained").get_by_text("Healthy:").wait_for(timeout=10_000)
    page.locator("#chart-spectrum").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "spectrum-1280x720.png"), full_page=True)
    page.close()


def test_the_tsne_map_toggles_between_pictures_and_dots_and_a_click_still_opens_explore(
        browser: sync_api.Browser, app_url: str, artifacts_dir: Path) -> None:
    page = open_app(browser, app_url, 1920, 1080)
    page.get_by_role("tab", name="t-SNE").click()
    sizes = []
    page.on("response", lambda r: sizes.append(len(r.body())) if "/queue/data" in r.url else None)
    page.locator("#tsne-n input[type=number]").fill("1000")
    page.locator("#tsne-n input[type=number]").press("Enter")
    page.locator("#tsne-real input[type=number]").fill("1000")
    page.locator("#tsne-real input[type=number]").press("Enter")
    page.click("#tsne-run")
    page.wait_for_function("document.querySelector('#tsne-plot svg image') "
                           "&& document.querySelectorAll('#tsne-plot .scatterlayer .point').length >= 2000",
                           timeout=240_000)
    page.screenshot(path=str(artifacts_dir / "tsne-pictures-1920x1080.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(1_000)
    page.screenshot(path=str(artifacts_dir / "tsne-pictures-1280x720.png"))
    assert page.locator("#tsne-style input[value=pictures]").is_checked()
    figure = page.evaluate("JSON.stringify(document.querySelector('#tsne-plot .js-plotly-plot').layout.images)")
    print(f"\nmap of 2,000 pictures: composite {len(json.loads(figure)[0]['source']):,} bytes as a data URL")

    started = page.evaluate("performance.now()")
    page.locator("#tsne-style input[value=dots]").check()  # redrawn from the last map: no new t-SNE
    page.wait_for_function("!document.querySelector('#tsne-plot svg image')", timeout=30_000)
    dots_s = (page.evaluate("performance.now()") - started) / 1000
    started = page.evaluate("performance.now()")
    page.locator("#tsne-style input[value=pictures]").check()
    page.wait_for_function("document.querySelector('#tsne-plot svg image')", timeout=30_000)
    pictures_s = (page.evaluate("performance.now()") - started) / 1000
    print(f"toggle to dots {dots_s:.2f} s, back to pictures {pictures_s:.2f} s (server + transfer + draw); "
          f"largest message {max(sizes, default=0):,} bytes")
    # The markers are invisible over the pictures, but a hover still shows the point and a click opens Explore.
    box = page.evaluate(ISOLATED_GENERATED_POINT_JS)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.getElementById('tsne-hover-img')?.src.startsWith('data:image/png')",
                           timeout=10_000)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.querySelector('[role=tab][aria-selected=true]')?.textContent.includes('Explore')",
                           timeout=20_000)
    page.close()
