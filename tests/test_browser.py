"""The app in a real Chromium (playwright): training live, Explore sliders, t-SNE and its click-through.

Each test opens a page of its own and sets up what it needs (a run training, or a run of one step).
Screenshots go to test-artifacts/. Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)
from conftest import live_trainers  # tests/ is on sys.path (pytest's default import mode)

from gan_explorer.trainer import Trainer

MEASURE_S = 10.0
# Liveness bounds, loose on purpose: CI machines are shared and noisy, and speed targets are
# measured, not asserted. The figures themselves (1.2 redraws/s, lag max 0.95 s on a quiet
# machine) are printed with `pytest -s` and recorded in docs/performance.md; on this 2-core machine
# with a load average of 13 the lag's median was 1.5 s, its max 2.5 s. These bounds still fail if
# the stream stops, or is throttled or backed up by more than a couple of seconds.
MIN_REFRESH_PER_S = 0.5
MAX_MEDIAN_LAG_S = 2.0
MAX_LAG_S = 4.0

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

# Records each redraw of a chart as [time ms, title], and each new grid image, from inside the page.
WATCH_JS = """
() => {
  window.gxLog = {chart: [], grid: []};
  const watch = (selector, read, log) => {
    const root = document.querySelector(selector);
    let last = null;
    new MutationObserver(() => {
      const value = read(root);
      if (value && value !== last) { last = value; log.push([Date.now(), value]); }
    }).observe(root, {childList: true, subtree: true, characterData: true, attributes: true});
  };
  watch('#chart-losses', r => r.querySelector('.gtitle')?.textContent, window.gxLog.chart);
  watch('#train-grid', r => r.querySelector('img')?.getAttribute('src'), window.gxLog.grid);
}
"""


@pytest.fixture
def page(browser: sync_api.Browser, app_url: str) -> Iterator[sync_api.Page]:
    """A tab of its own, so a session of its own; closing it ends any run it started."""
    page = open_app(browser, app_url)
    yield page
    page.close()


def _new_runs(before: list[Trainer]) -> list[Trainer]:
    """The live runs of this process that were not live in `before`."""
    return [t for t in live_trainers() if all(t is not b for b in before)]


@pytest.fixture
def training(page: sync_api.Page) -> tuple[sync_api.Page, Trainer]:
    """`page` training, its chart and grid redraws recorded in window.gxLog, and the page's run."""
    before = live_trainers()
    for selector in ("#chart-losses", "#train-grid"):  # the page may show Start before it has drawn these
        page.wait_for_selector(selector, state="attached")
    page.evaluate(WATCH_JS)
    page.click("#train-start")
    page.wait_for_function("window.gxLog.chart.length >= 2 && window.gxLog.grid.length >= 2")
    runs = _new_runs(before)
    assert len(runs) == 1, f"expected the page to start one run, found {len(runs)}"
    return page, runs[0]


def _take_one_step(page: sync_api.Page) -> None:
    """A run of one step: what the Live run model of Explore and t-SNE draws from."""
    page.click("#train-step")
    page.wait_for_function("/Step 1\\b/.test(document.querySelector('#train-status')?.innerText)")


def _explore_image(page: sync_api.Page) -> str | None:
    return page.evaluate("document.querySelector('#explore-image img')?.getAttribute('src') ?? null")


def _wait_for_new_explore_image(page: sync_api.Page, before: str | None) -> None:
    page.wait_for_function("src => { const now = document.querySelector('#explore-image img')?.getAttribute('src');"
                           " return now && now !== src; }", arg=before)


def _sample_steps(trainer: Trainer, seconds: float) -> list[tuple[float, int]]:
    """(wall time, trainer step) every 5 ms, from a thread, while the page is watched."""
    samples: list[tuple[float, int]] = []

    def sample() -> None:
        end = time.time() + seconds
        while time.time() < end:
            samples.append((time.time(), trainer.step_count))
            time.sleep(0.005)

    thread = threading.Thread(target=sample)
    thread.start()
    thread.join()
    return samples


def _lags(chart_log: list[list], samples: list[tuple[float, int]]) -> list[float]:
    """Seconds from the trainer reaching the step a chart shows to the chart showing it."""
    times, steps = np.array([t for t, _ in samples]), np.array([s for _, s in samples])
    lags = []
    for shown_ms, title in chart_log:
        step = int(re.search(r"step (\d+)", title).group(1))
        reached = times[np.argmax(steps >= step)] if (steps >= step).any() else None
        if reached is not None and times[0] < reached:  # only steps reached while we sampled
            lags.append(shown_ms / 1000 - reached)
    return lags


def test_training_shows_live_charts_and_grid_within_seconds(training: tuple[sync_api.Page, Trainer],
                                                           artifacts_dir: Path) -> None:
    page, _ = training  # the fixture waited for two redraws of the loss chart and two new grids
    page.screenshot(path=str(artifacts_dir / "train.png"), full_page=True)
    assert "Step" in page.inner_text("#train-status")


@pytest.mark.alone
def test_charts_stay_live_while_training(training: tuple[sync_api.Page, Trainer]) -> None:
    page, trainer = training
    start_ms = page.evaluate("Date.now()")
    samples = _sample_steps(trainer, MEASURE_S)
    log = [entry for entry in page.evaluate("window.gxLog.chart") if entry[0] >= start_ms]
    refresh = len(log) / MEASURE_S
    lags = _lags(log, samples)
    assert lags, f"no redraw while measuring: {log}"
    print(f"\nchart refreshes: {refresh:.2f}/s over {MEASURE_S:.0f} s; lag median {np.median(lags):.2f} s, "
          f"max {max(lags):.2f} s ({len(lags)} redraws); trainer {samples[-1][1] - samples[0][1]} steps")
    assert refresh >= MIN_REFRESH_PER_S
    assert np.median(lags) <= MAX_MEDIAN_LAG_S and max(lags) <= MAX_LAG_S


def test_moving_an_explore_slider_or_randomising_changes_the_image(page: sync_api.Page, artifacts_dir: Path) -> None:
    _take_one_step(page)  # a live run whose weights stay put: only the slider and the seed change the image
    page.get_by_role("tab", name="Explore").click()
    page.locator("#explore-image img").wait_for()  # the shipped model's picture
    shipped = _explore_image(page)
    page.locator("#explore-model input").click()
    page.get_by_role("option", name="Live run (latest snapshot)").click()
    _wait_for_new_explore_image(page, shipped)  # the live run's picture
    before = _explore_image(page)
    page.locator("#explore-z0 input[type=range]").click(position={"x": 5, "y": 5})  # far left: z[0] = -3
    _wait_for_new_explore_image(page, before)
    page.screenshot(path=str(artifacts_dir / "explore.png"), full_page=True)
    seed, src = page.locator("#explore-seed input").input_value(), _explore_image(page)
    page.click("#explore-randomise")
    # Wait on the seed itself: a late image from the slider's own events may land first.
    page.wait_for_function("seed => document.querySelector('#explore-seed input')?.value !== seed", arg=seed)
    _wait_for_new_explore_image(page, src)


def _hover_a_point(page: sync_api.Page) -> dict[str, float]:
    """Where a t-SNE point is, once hovering it shows its picture: retried, as the plot may still be
    laying itself out (or be replaced) when a point is first found."""
    for _ in range(10):
        box = page.locator("#tsne-plot .scatterlayer .point").first.bounding_box()
        if box is not None:
            centre = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
            page.mouse.move(centre["x"], centre["y"])
            try:
                page.wait_for_function(
                    "document.getElementById('tsne-hover-img')?.src.startsWith('data:image/png')", timeout=5_000)
                return centre
            except sync_api.TimeoutError:
                page.mouse.move(0, 0)
        page.wait_for_timeout(500)
    raise AssertionError("hovering a t-SNE point never showed its picture")


def test_small_tsne_draws_a_scatter_and_a_click_opens_the_point_in_explore(page: sync_api.Page,
                                                                            artifacts_dir: Path) -> None:
    _take_one_step(page)
    page.get_by_role("tab", name="t-SNE").click()
    page.locator("#tsne-model input").click()
    page.get_by_role("option", name="Live run (latest snapshot)").click()
    page.locator("#tsne-n input[type=number]").fill("100")  # the smallest map: a few seconds
    page.locator("#tsne-n input[type=number]").press("Enter")
    page.click("#tsne-run")
    page.wait_for_function("document.querySelectorAll('#tsne-plot .scatterlayer .point').length >= 100",
                           timeout=120_000)
    page.screenshot(path=str(artifacts_dir / "tsne.png"), full_page=True)
    point = _hover_a_point(page)
    before = _explore_image(page)  # None if the Explore tab has not drawn its picture yet
    page.mouse.click(point["x"], point["y"])
    _wait_for_new_explore_image(page, before)
    assert page.get_by_role("tab", name="Explore").get_attribute("aria-selected") == "true"


def test_choosing_a_loss_shows_what_it_does(page: sync_api.Page) -> None:
    from gan_explorer.losses import LOSSES

    box = page.locator("#train-loss")
    assert LOSSES["non_saturating"].description in box.inner_text()
    box.locator("input").click()
    page.get_by_role("option", name="wgan_gp").click()
    page.wait_for_function("d => document.querySelector('#train-loss').innerText.includes(d)",
                           arg=LOSSES["wgan_gp"].description)


def test_closing_the_tab_stops_its_run(page: sync_api.Page) -> None:
    before = live_trainers()  # other tests' runs, whether or not they have ended yet
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#train-status')?.innerText.includes('training')")
    runs = _new_runs(before)
    assert len(runs) == 1, f"expected the page to start one run, found {len(runs)}"
    page.close()
    deadline = time.monotonic() + 60
    while not runs[0].stopped and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runs[0].stopped, "the closed tab's run is still training"
