"""The app in a real Chromium (playwright): training live, Explore sliders, t-SNE and its click-through.

One page for the module, used in file order (start training first, then explore the live run).
Screenshots go to test-artifacts/. Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)
from conftest import live_trainers  # tests/ is on sys.path (pytest's default import mode)

from gan_explorer.trainer import Trainer

MEASURE_S = 10.0
# Liveness bounds, loose on purpose: CI machines are shared and noisy, and speed targets are
# measured, not asserted. The figures themselves (1.2 redraws/s, lag max 0.95 s on a quiet
# machine) are printed with `pytest -s` and recorded in docs/performance.md. These bounds still fail if
# the stream stops, or is throttled or backed up by more than a couple of seconds.
MIN_REFRESH_PER_S = 0.5
MAX_MEDIAN_LAG_S = 1.0
MAX_LAG_S = 2.5

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


@pytest.fixture(scope="module")
def page(browser: sync_api.Browser, app_url: str) -> sync_api.Page:
    return open_app(browser, app_url)


def _live_trainer() -> Trainer:
    """The run the page started (the only Trainer in this process), to compare its step with the chart."""
    trainers = live_trainers()
    assert len(trainers) == 1, f"expected one live run, found {len(trainers)}"
    return trainers[0]


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


def test_training_shows_live_charts_and_grid_within_seconds(page: sync_api.Page, artifacts_dir: Path) -> None:
    page.evaluate(WATCH_JS)
    page.click("#train-start")
    page.wait_for_function("window.gxLog.chart.length >= 2 && window.gxLog.grid.length >= 2", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "train.png"), full_page=True)
    assert "Step" in page.inner_text("#train-status")


def test_charts_stay_live_while_training(page: sync_api.Page) -> None:
    trainer = _live_trainer()
    start_ms = page.evaluate("Date.now()")
    samples = _sample_steps(trainer, MEASURE_S)
    log = [entry for entry in page.evaluate("window.gxLog.chart") if entry[0] >= start_ms]
    refresh = len(log) / MEASURE_S
    lags = _lags(log, samples)
    print(f"\nchart refreshes: {refresh:.2f}/s over {MEASURE_S:.0f} s; lag median {np.median(lags):.2f} s, "
          f"max {max(lags):.2f} s ({len(lags)} redraws); trainer {samples[-1][1] - samples[0][1]} steps")
    assert refresh >= MIN_REFRESH_PER_S
    assert np.median(lags) <= MAX_MEDIAN_LAG_S and max(lags) <= MAX_LAG_S


def test_moving_an_explore_slider_or_randomising_changes_the_image(page: sync_api.Page, artifacts_dir: Path) -> None:
    page.get_by_role("tab", name="Explore").click()
    page.locator("#explore-model input").click()
    page.get_by_role("option", name="Live run (latest snapshot)").click()
    image = page.locator("#explore-image img")
    image.wait_for(timeout=20_000)
    before = image.get_attribute("src")
    page.locator("#explore-z0 input[type=range]").click(position={"x": 5, "y": 5})  # far left: z[0] = -3
    page.wait_for_function("src => document.querySelector('#explore-image img')?.getAttribute('src') !== src",
                           arg=before, timeout=20_000)
    page.screenshot(path=str(artifacts_dir / "explore.png"), full_page=True)
    seed, src = page.locator("#explore-seed input").input_value(), image.get_attribute("src")
    page.click("#explore-randomise")
    # Wait on the seed itself: a late image from the slider's own events may land first.
    page.wait_for_function("seed => document.querySelector('#explore-seed input')?.value !== seed",
                           arg=seed, timeout=20_000)
    page.wait_for_function("src => document.querySelector('#explore-image img')?.getAttribute('src') !== src",
                           arg=src, timeout=20_000)


def test_small_tsne_draws_a_scatter_and_a_click_opens_the_point_in_explore(page: sync_api.Page,
                                                                            artifacts_dir: Path) -> None:
    page.get_by_role("tab", name="Train").click()
    page.click("#train-stop")  # the Explore test ran during training; t-SNE gets the CPU to itself
    page.get_by_role("tab", name="t-SNE").click()
    page.locator("#tsne-model input").click()
    page.get_by_role("option", name="Live run (latest snapshot)").click()
    page.locator("#tsne-n input[type=number]").fill("100")  # the smallest map: a few seconds
    page.locator("#tsne-n input[type=number]").press("Enter")
    page.click("#tsne-run")
    points = page.locator("#tsne-plot .scatterlayer .point")
    page.wait_for_function("document.querySelectorAll('#tsne-plot .scatterlayer .point').length >= 100",
                           timeout=90_000)
    page.screenshot(path=str(artifacts_dir / "tsne.png"), full_page=True)
    box = points.first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.getElementById('tsne-hover-img')?.src.startsWith('data:image/png')",
                           timeout=10_000)
    before = page.locator("#explore-image img").get_attribute("src")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("src => document.querySelector('#explore-image img')?.getAttribute('src') !== src",
                           arg=before, timeout=20_000)
    assert page.get_by_role("tab", name="Explore").get_attribute("aria-selected") == "true"


def test_choosing_a_loss_shows_what_it_does(page: sync_api.Page) -> None:
    from gan_explorer.losses import LOSSES

    page.get_by_role("tab", name="Train").click()
    box = page.locator("#train-loss")
    assert LOSSES["non_saturating"].description in box.inner_text()
    box.locator("input").click()
    page.get_by_role("option", name="wgan_gp").click()
    page.wait_for_function("d => document.querySelector('#train-loss').innerText.includes(d)",
                           arg=LOSSES["wgan_gp"].description, timeout=10_000)


def test_closing_the_tab_stops_its_run(browser: sync_api.Browser, app_url: str) -> None:
    assert not live_trainers()  # the t-SNE test stopped the main page's run
    page = open_app(browser, app_url)
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('training')",
                           timeout=30_000)
    assert len(live_trainers()) == 1
    page.close()
    deadline = time.monotonic() + 30
    while live_trainers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not live_trainers(), "the closed tab's run is still training"
