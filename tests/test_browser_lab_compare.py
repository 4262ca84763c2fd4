"""The 2-D lab's comparison, link and presentation layout in Chromium (playwright): a lab lesson's link
opens the lab with run A and run B filled, Start draws two captioned planes with each run's diagnosis,
Copy link on the lab gives the lab's link, and the presentation layout fits both planes on a 1280x720
screen with big text. Screenshots go to test-artifacts/lab-compare-*.png: look at them after a change."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from browsing import click_while_streaming, marks

pytestmark = marks(timeout_s=300)
sync_api = pytest.importorskip("playwright.sync_api")

TITLE = "(document.querySelector('{} .gx-plane-title')?.textContent ?? '')"
PLANES = ("#lab-plane", "#lab-plane-b-plot")
VALUE = "document.querySelector('#{} input')?.value"
TOP = "document.querySelector('{}').getBoundingClientRect().top"


def _opened(browser: Any, url: str, width: int, height: int, ready: str = "#lab-start") -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector(ready)
    return page


def _stepped(page: Any, steps: int) -> None:
    """Start a comparison of `steps` steps and wait for both planes and both diagnoses of its end."""
    page.locator("#lab-steps input").fill(str(steps))
    page.locator("#lab-start").click()
    for plane in PLANES:
        page.wait_for_function(f"{TITLE.format(plane)} === 'step {steps}'", timeout=120_000)
    page.wait_for_function("document.querySelector('#lab-status').innerText.includes('B: ')")


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_a_lab_lessons_link_fills_the_lab_and_start_draws_both_runs_side_by_side(
        browser: Any, app_url: str, artifacts_dir: Path, width: int, height: int) -> None:
    page = _opened(browser, f"{app_url}?lesson=mode-collapse-2d", width, height)
    try:
        page.wait_for_function(f"{VALUE.format('lab-compare')} === 'ring-wgan-gp'")
        assert page.evaluate(VALUE.format("lab-preset")) == "ring-slow-d"
        assert page.evaluate("document.querySelector('[role=tab][aria-selected=true]').dataset.tabId") == "lab"
        page.locator("#lab-plane-b").wait_for()
        _stepped(page, 100)
        assert page.locator("#lab-caption-a").inner_text().startswith("A: loss non_saturating")
        assert page.locator("#lab-caption-b").inner_text().startswith("B: loss wgan_gp")
        # the captions' last texts may change their heights a frame after they arrive: let the row settle
        with contextlib.suppress(sync_api.TimeoutError):
            page.wait_for_function(f"Math.abs({TOP.format(PLANES[0])} - {TOP.format(PLANES[1])}) < 2", timeout=5_000)
        a, b = (page.locator(p).bounding_box() for p in PLANES)
        assert a["x"] + a["width"] <= b["x"] + 1 and abs(a["y"] - b["y"]) < 2  # side by side
        assert b["x"] + b["width"] <= width  # both on the screen
        status = page.locator("#lab-status").inner_text()
        assert "A: " in status and "B: " in status, status
        page.screenshot(path=str(artifacts_dir / f"lab-compare-{width}x{height}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_a_lab_link_presents_two_large_planes_and_copy_link_gives_it_back(
        browser: Any, app_url: str, artifacts_dir: Path, width: int, height: int) -> None:
    link = "?preset=ring-slow-d&compare=ring-wgan-gp&tab=lab"
    page = _opened(browser, f"{app_url}{link}&present=1", width, height)
    try:
        page.wait_for_function("document.body.classList.contains('gx-present')")
        page.wait_for_function(f"{VALUE.format('lab-compare')} === 'ring-wgan-gp'")
        for hidden in ("#lab-dataset", "#lab-loss", "#lab-lessons-box", "#gx-header"):
            assert not page.locator(hidden).is_visible(), f"{hidden} shows in the presentation layout"
        page.locator("#lab-start").click()  # the steps box is hidden: the default run, stopped once both draw
        for plane in PLANES:
            page.wait_for_function(f"({TITLE.format(plane)}).startsWith('step ') && {TITLE.format(plane)} !== 'step 0'",
                                   timeout=120_000)
        click_while_streaming(page, "#lab-stop")
        for plane in PLANES:
            box = page.locator(plane).bounding_box()
            assert box["y"] + box["height"] <= height + 1, f"{plane} runs off the screen"
            assert box["height"] >= 0.6 * height and box["width"] >= 0.25 * width, (plane, box)
        sizes = page.evaluate("['#lab-status p', '#lab-caption-a p', '#lab-plane .gx-tick'].map(s => "
                              "parseFloat(getComputedStyle(document.querySelector(s)).fontSize))")
        assert min(sizes) >= 18, sizes
        for button in ("#lab-start", "#lab-stop", "#lab-step", "#lab-d", "#lab-g"):
            assert page.locator(button).is_visible()
        page.screenshot(path=str(artifacts_dir / f"lab-compare-present-{width}x{height}.png"))
        page.click("#gx-copy-link")
        page.wait_for_function("document.getElementById('gx-link-copied')?.textContent")
        made = page.locator("#gx-link-box input, #gx-link-box textarea").first.input_value()
        assert made.endswith(f"/{link}&present=1"), made
    finally:
        page.close()


def test_choosing_a_lab_lesson_in_the_picker_opens_the_lab_filled(browser: Any, app_url: str,
                                                                   artifacts_dir: Path) -> None:
    page = _opened(browser, app_url, 1280, 720, ready="#train-start")
    try:
        page.locator("#train-lesson-picker input").click()
        page.get_by_role("option", name="Mode collapse on a ring of 8 Gaussians").click()
        page.wait_for_function(f"{VALUE.format('lab-compare')} === 'ring-wgan-gp'")
        assert page.evaluate(VALUE.format("lab-preset")) == "ring-slow-d"
        assert page.evaluate(VALUE.format("lab-d_lr")) == "0.0002"
        page.locator("#lab-plane-b").wait_for()
        page.screenshot(path=str(artifacts_dir / "lab-compare-lesson-1280x720.png"))
    finally:
        page.close()
