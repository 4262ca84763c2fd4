"""The 2-D lab's "draw your own" in Chromium: the canvas shows for the `points` dataset, Start refuses an
empty drawing with a clear message, and a stroke drawn with the mouse becomes the run's real points."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from browsing import marks

pytestmark = marks(timeout_s=300)

TITLE = "document.querySelector('#lab-plane .gx-plane-title')"
# The x and y of the plane's real points, as the canvas drew them (plane_view.py keeps its frame).
REAL_POINTS = """() => { const frame = document.querySelector('#lab-plane .gx-plane')?.gxFrame;
  return frame && frame.real ? {x: frame.real.filter((_, i) => i % 2 === 0), y: frame.real.filter((_, i) => i % 2 === 1)}
                             : null; }"""


def _choose_points(page: Any) -> None:
    page.locator("#lab-dataset input").click()
    page.get_by_role("option", name="points (draw your own)").click()
    page.locator("#lab-draw canvas").first.wait_for()


def _stroke(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A mouse stroke from `start` to `end`, in fractions of the canvas (0, 0 its top left)."""
    canvas = page.locator("#lab-draw canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=20)
    page.mouse.up()


def test_start_without_a_drawing_says_to_draw_and_the_canvas_shows_for_points_only(lab: Any) -> None:
    assert not lab.locator("#lab-draw").is_visible()  # the ring, at first
    _choose_points(lab)
    lab.locator("#lab-start").click()
    lab.wait_for_function("Array.from(document.querySelectorAll('.toast-body')).some(t => "
                          "t.innerText.includes('The drawing is empty'))")
    lab.locator("#lab-dataset input").click()
    lab.get_by_role("option", name="moons").click()
    lab.locator("#lab-draw").wait_for(state="hidden")


def test_a_stroke_on_the_left_trains_on_points_on_the_left(lab: Any, artifacts_dir: Path) -> None:
    _choose_points(lab)
    _stroke(lab, (0.2, 0.3), (0.35, 0.7))  # on the left of the plane (the editor centres it), top to bottom
    lab.locator("#lab-steps input").fill("30")
    lab.locator("#lab-start").click()  # at once: Gradio's canvas sends no change event for a first stroke
    lab.wait_for_function(f"{TITLE}?.textContent.endsWith(' 30')")
    assert "points" in lab.locator("#lab-draw-hint").inner_text()
    real = lab.evaluate(REAL_POINTS)
    assert real and max(real["x"]) < -0.3 and min(real["x"]) > -3, real
    assert max(real["y"]) - min(real["y"]) > 1, real  # a stroke from top to bottom, not a dot
    for width, height in ((1280, 720), (1920, 1080)):
        lab.set_viewport_size({"width": width, "height": height})
        lab.wait_for_timeout(500)
        lab.screenshot(path=str(artifacts_dir / f"lab-draw-{width}x{height}.png"), full_page=True)
        shutil.copy(artifacts_dir / f"lab-draw-{width}x{height}.png", f"/tmp/lab-draw-{width}x{height}.png")
