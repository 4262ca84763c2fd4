"""The page on a projector (playwright, Debian's chromium): the presentation layout, readable text,
nothing cut off or overlapping, chart state kept across updates, and the page's URL parameters.

Screenshots go to test-artifacts/ (present-1280x720.png, ...): look at them after a layout change.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)

from gan_explorer.ui.page import MIN_FONT_PX

STAGE = ("#train-grid img", "#chart-losses .main-svg", "#chart-scores .main-svg", "#train-status")
STAGE_CHARTS = ("#chart-losses", "#chart-scores")
ALL_CHARTS = (*STAGE_CHARTS, "#chart-grads", "#chart-quality", "#chart-digits")

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

# Every text of a chart with its font size and whether it lies inside the chart's own picture.
CHART_TEXT_JS = """
(selector) => {
  const svg = document.querySelector(`${selector} .main-svg`);
  const frame = svg.getBoundingClientRect();
  return [...document.querySelectorAll(`${selector} .main-svg text`)]
    .filter(t => t.textContent.trim())
    .map(t => { const b = t.getBoundingClientRect();
      return {text: t.textContent, cls: t.getAttribute('class') || '', size: parseFloat(getComputedStyle(t).fontSize),
              inside: b.left >= frame.left - 1 && b.right <= frame.right + 1 && b.top >= frame.top - 1
                      && b.bottom <= frame.bottom + 1}; });
}
"""


def _wait_presenting(page: sync_api.Page, on: bool = True) -> None:
    page.wait_for_function(f"document.body.classList.contains('gx-present') === {str(on).lower()}", timeout=15_000)


def _train_briefly(page: sync_api.Page) -> None:
    """Start, let a few chart updates arrive, Stop: the charts and grid then hold a short run."""
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('training')", timeout=30_000)
    page.wait_for_function("/Losses \\(step [1-9]/.test(document.querySelector('#chart-losses .gtitle')?.textContent)"
                           " && document.querySelector('#train-grid img')", timeout=30_000)
    page.wait_for_timeout(3_000)
    page.click("#train-stop")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('stopped')", timeout=30_000)
    page.wait_for_timeout(1_500)  # the stream's last redraw


@pytest.fixture(scope="module")
def projector(browser: sync_api.Browser, app_url: str) -> Iterator[sync_api.Page]:
    """A 1280x720 page opened with ?present=1, after a short training run."""
    page = open_app(browser, app_url + "?present=1", 1280, 720)
    _wait_presenting(page)
    _train_briefly(page)
    yield page
    page.close()


def test_presentation_layout_fits_grid_charts_and_status_on_a_1280x720_screen(projector: sync_api.Page,
                                                                              artifacts_dir: Path) -> None:
    projector.screenshot(path=str(artifacts_dir / "present-1280x720.png"))
    for selector in STAGE:
        box = projector.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1280 + 0.5 \
            and box["y"] + box["height"] <= 720 + 0.5, f"{selector} is not fully on screen: {box}"
    assert not projector.locator("#train-settings").is_visible()  # the settings are put away


def test_presentation_text_is_readable_from_the_back_of_the_room(projector: sync_api.Page) -> None:
    for selector in ("#train-status .gx-status", "#train-grid-caption p"):
        size = float(projector.eval_on_selector(selector, "e => getComputedStyle(e).fontSize")[:-2])
        assert size >= MIN_FONT_PX, f"{selector} text is {size} px"
    for chart in STAGE_CHARTS:
        texts = projector.evaluate(CHART_TEXT_JS, chart)
        kinds = {t["cls"].split()[0] for t in texts if t["cls"]}
        assert {"gtitle", "legendtext"} <= kinds, kinds
        small = [t for t in texts if t["size"] < MIN_FONT_PX]
        assert not small, f"{chart}: text under {MIN_FONT_PX} px: {small[:3]}"
        ticks = projector.eval_on_selector_all(f"{chart} .xtick text, {chart} .ytick text",
                                               "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize))")
        assert ticks and min(ticks) >= MIN_FONT_PX


@pytest.mark.parametrize(("width", "height", "query"), [(1280, 720, ""), (1920, 1080, ""), (1920, 1080, "?present=1")])
def test_no_chart_text_is_cut_off_in_either_layout(browser: sync_api.Browser, app_url: str, artifacts_dir: Path,
                                                   width: int, height: int, query: str) -> None:
    page = open_app(browser, app_url + query, width, height)
    _wait_presenting(page, bool(query))
    page.click("#train-step")
    page.wait_for_function("/step 1\\)/.test(document.querySelector('#chart-losses .gtitle')?.textContent)",
                           timeout=30_000)
    page.wait_for_timeout(1_000)
    page.screenshot(path=str(artifacts_dir / f"{'present' if query else 'normal'}-{width}x{height}.png"),
                    full_page=True)
    for chart in ALL_CHARTS:
        cut = [t["text"] for t in page.evaluate(CHART_TEXT_JS, chart) if not t["inside"]]
        assert not cut, f"{chart} at {width}x{height}{query}: cut off {cut}"
    loss = page.locator("#train-loss input")  # the dropdown's text must not run under its arrow
    assert loss.evaluate("e => e.scrollWidth <= e.clientWidth"), "the Loss dropdown cuts its value"
    page.close()


def test_a_legend_toggle_survives_chart_updates(browser: sync_api.Browser, app_url: str) -> None:
    page = open_app(browser, app_url, 1400, 1000)
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#chart-losses .legendtoggle')", timeout=30_000)
    hidden = "document.querySelector('#chart-losses .js-plotly-plot')._fullData[1].visible === 'legendonly'"
    _click_legend_item(page, 1, hidden)  # hide "G loss"
    title = page.locator("#chart-losses .gtitle")
    for _ in range(3):  # three redraws with new data
        before = title.text_content()
        page.wait_for_function("t => document.querySelector('#chart-losses .gtitle').textContent !== t",
                               arg=before, timeout=30_000)
    assert page.evaluate(hidden), "a chart update brought the hidden trace back"
    page.click("#train-stop")
    page.close()


def _click_legend_item(page: sync_api.Page, index: int, done_js: str) -> None:
    """A mouse click where legend item `index` is, retried: the chart is redrawn (its legend element
    replaced) about once a second, so the element found may be gone before it is measured or clicked."""
    for _ in range(10):
        box = page.locator("#chart-losses .legendtoggle").nth(index).bounding_box()
        if box is not None:
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            try:
                page.wait_for_function(done_js, timeout=2_000)
                return
            except sync_api.TimeoutError:
                pass
        page.wait_for_timeout(200)
    raise AssertionError("the legend item could not be clicked in ten tries")


def test_the_toggle_switches_the_layout_and_the_link(browser: sync_api.Browser, app_url: str) -> None:
    page = open_app(browser, app_url, 1280, 720)
    page.locator("#gx-present input").click()
    _wait_presenting(page)
    assert "present=1" in page.url and not page.locator("#train-settings").is_visible()
    page.locator("#gx-present input").click()
    _wait_presenting(page, False)
    assert "present" not in page.url and page.locator("#train-settings").is_visible()
    page.close()


def test_bad_url_parameters_are_reported_in_one_line_and_the_page_opens(browser: sync_api.Browser,
                                                                        app_url: str) -> None:
    page = open_app(browser, app_url + "?present=maybe&colour=red", 1280, 720)
    notice = page.locator("#gx-link-notice")
    notice.wait_for(timeout=15_000)
    text = notice.inner_text()
    assert "present=maybe" in text and "colour" in text and len(text.strip().splitlines()) == 1
    assert not page.evaluate("document.body.classList.contains('gx-present')")
    page.close()


def test_image_labels_and_buttons_sit_above_the_picture(browser: sync_api.Browser, app_url: str) -> None:
    page = open_app(browser, app_url, 1280, 720)
    page.get_by_role("tab", name="Interpolate").click()
    page.click("#interpolate-run")
    strip = page.locator("#interpolate-strip img")
    strip.wait_for(timeout=30_000)
    picture = strip.bounding_box()
    for part in ("#interpolate-strip label[data-testid=block-label]", "#interpolate-strip .icon-button-wrapper"):
        box = page.locator(part).bounding_box()
        assert box["y"] + box["height"] <= picture["y"] + 0.5, f"{part} lies over the strip"
    page.get_by_role("tab", name="Explore").click()
    label = page.locator("#explore-nearest label[data-testid=block-label]")
    label.wait_for(timeout=15_000)
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    buttons = page.locator("#explore-nearest .icon-button-wrapper").bounding_box()
    box = label.bounding_box()
    assert box["x"] + box["width"] <= buttons["x"] or buttons["y"] >= box["y"] + box["height"], "label under buttons"
    page.close()
