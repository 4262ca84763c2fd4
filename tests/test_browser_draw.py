"""The Draw tab and Explore's discovered directions in a real Chromium at 1280 x 720 (playwright).
Screenshots go to test-artifacts/. Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

# A "7" as a pen would draw it: a top bar, then a long diagonal down-left (fractions of the canvas).
SEVEN = [[(0.3, 0.25), (0.72, 0.25)], [(0.72, 0.25), (0.45, 0.8)]]


@pytest.fixture(scope="module")
def page(browser: sync_api.Browser, app_url: str) -> sync_api.Page:
    return open_app(browser, app_url, width=1280, height=720)


def _draw(page: sync_api.Page, strokes: list[list[tuple[float, float]]]) -> None:
    canvas = page.locator("#draw-pad canvas").first
    canvas.wait_for(timeout=20_000)
    box = canvas.bounding_box()
    for stroke in strokes:  # straight: 5 moves draw the same line as 20, each move costing a redraw
        (x0, y0), (x1, y1) = stroke
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + x1 * box["width"], box["y"] + y1 * box["height"], steps=5)
        page.mouse.up()


@pytest.fixture(scope="module")
def found_seven(page: sync_api.Page) -> sync_api.Page:
    """The page once a drawn seven's z has been found: drawing and searching once serves both tests of it
    (drawing is the slow part in a headless Chromium: seconds a stroke)."""
    page.get_by_role("tab", name="Draw").click()
    _draw(page, SEVEN)
    page.click("#draw-find")
    page.locator("#draw-reconstruction img").wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('#draw-summary')?.textContent.includes('distance')",
                           timeout=60_000)
    return page


def test_a_drawn_seven_is_found_and_opens_in_explore(found_seven: sync_api.Page, artifacts_dir: Path) -> None:
    page = found_seven
    page.screenshot(path=str(artifacts_dir / "draw.png"))
    summary = page.locator("#draw-summary").inner_text()
    assert "as a 7" in summary, summary  # the shipped default model is conditional
    page.click("#draw-open-explore")
    page.wait_for_function("() => document.querySelector('#explore-image')?.offsetParent !== null", timeout=20_000)
    assert page.locator("#explore-digit input[value='7']").is_checked()


def test_the_z_found_starts_an_interpolation(found_seven: sync_api.Page, artifacts_dir: Path) -> None:
    page = found_seven
    page.get_by_role("tab", name="Draw").first.click()  # the tab, not the Draw/Upload choice inside it
    page.wait_for_function("() => !document.querySelector('#draw-interpolate')?.disabled", timeout=60_000)
    page.click("#draw-interpolate")
    page.wait_for_function("() => document.querySelector('#interpolate-run')?.offsetParent !== null",
                           timeout=20_000)
    # The start's source is "Explore z" (the end's stays "seed"): one such radio is checked.
    page.wait_for_function("() => document.querySelectorAll(\"input[type=radio][value='Explore z']:checked\")"
                           ".length === 1", timeout=20_000)
    page.click("#interpolate-run")
    page.locator("#interpolate-strip img").wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "draw-interpolate.png"))


def test_directions_preview_strips_and_a_slider_move_the_picture(page: sync_api.Page, artifacts_dir: Path) -> None:
    page.get_by_role("tab", name="Explore").click()
    page.click("#directions-show")
    page.locator("#directions-strips img").wait_for(timeout=30_000)
    page.locator("#directions-d0 input[type=range]").click(position={"x": 5, "y": 5})  # far left: -3 sigma
    page.locator("#directions-image img").wait_for(timeout=30_000)
    page.locator("#directions-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "directions.png"))
