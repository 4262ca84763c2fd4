"""Replay in the real page (playwright, Debian's chromium): after a short run, the Replay slider moves
the grid back to an earlier step, says so above it, and puts a cursor on the charts; Step shows live again.

Screenshots go to test-artifacts/ (replay-1280x720.png, replay-present-1280x720.png): look at them."""
from __future__ import annotations

from pathlib import Path

import pytest
from browsing import click_while_streaming, marks, open_app  # tests/ is on sys.path (pytest's default import mode)

# A run trained to step 60 in the page within a time limit: beside the other test worker it took up
# to 53 s (machine_share.py).
pytestmark = [*marks(240), pytest.mark.alone]
sync_api = pytest.importorskip("playwright.sync_api")

CAPTION = "document.querySelector('#train-grid-caption').innerText"
GRID_SRC = "document.querySelector('#train-grid img')?.src"
CURSORS = "document.querySelectorAll('#chart-losses .shapelayer path').length"
SLIDER = "document.querySelector('#train-replay input[type=range]')"
STATUS = "document.querySelector('#train-status').innerText"


def _train_past_a_frame(page: sync_api.Page) -> None:
    """Start, train until the losses chart passes step 60 (two kept grids after the start), Stop."""
    page.click("#train-start")
    page.wait_for_function("/Losses \\(step ([6-9]\\d|\\d{3,})/.test(document.querySelector('#chart-losses .gtitle')"
                           "?.textContent)", timeout=90_000)
    click_while_streaming(page, "#train-stop")
    page.wait_for_function(f"{STATUS}.includes('stopped')", timeout=30_000)
    page.wait_for_function(f"!{SLIDER}.disabled", timeout=30_000)


@pytest.mark.parametrize("query", ["", "?present=1"])
def test_the_replay_slider_shows_an_earlier_grid_with_a_cursor_then_step_shows_live(
        browser: sync_api.Browser, app_url: str, artifacts_dir: Path, query: str) -> None:
    page = open_app(browser, app_url + query, 1280, 720)
    _train_past_a_frame(page)
    assert page.evaluate(CAPTION).startswith("Live") and page.evaluate(CURSORS) == 0
    live_src = page.evaluate(GRID_SRC)
    slider = page.locator("#train-replay input[type=range]")
    slider.focus()
    slider.press("Home")  # the first kept grid: the noise the run started from
    page.wait_for_function(f"{CAPTION}.startsWith('Replay: step 0 ')", timeout=15_000)
    page.wait_for_function(f"{CURSORS} === 1", timeout=15_000)
    assert page.evaluate(GRID_SRC) != live_src
    slider.press("End")  # the last kept grid: the caption follows the slider
    page.wait_for_function(f"!{CAPTION}.startsWith('Replay: step 0 ') && {CAPTION}.startsWith('Replay: step')",
                           timeout=15_000)
    page.locator("#train-replay").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / f"replay{'-present' if query else ''}-1280x720.png"))
    page.click("#train-step")
    page.wait_for_function(f"{CAPTION}.startsWith('Live')", timeout=30_000)
    assert page.evaluate(CURSORS) == 0
    if not query:  # (once: the layout does not change it)
        _a_new_run_rests_the_slider_until_it_stops(page)
    page.close()


def _a_new_run_rests_the_slider_until_it_stops(page: sync_api.Page) -> None:
    """While a run trains its stream redraws the live grid every second: the slider does not offer the
    last run's steps meanwhile; once stopped it covers the new run."""
    page.click("#train-start")
    page.wait_for_function(f"{STATUS}.includes('training')", timeout=30_000)
    page.wait_for_function(f"{SLIDER}.disabled && {SLIDER}.max === '1'", timeout=15_000)
    click_while_streaming(page, "#train-stop")
    page.wait_for_function(f"!{SLIDER}.disabled && Number({SLIDER}.max) > 1", timeout=30_000)
