"""The page on a projector (playwright, Debian's chromium): the presentation layout, readable text,
nothing cut off or overlapping, chart state kept across updates, and the page's URL parameters.

Screenshots go to test-artifacts/ (present-1280x720.png, ...): look at them after a layout change.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browsing import TIMEOUT_MS, click_while_streaming, marks, open_app, wait_for_redraws, wait_until_settled

from gan_explorer.ui.page import MIN_FONT_PX

STAGE = ("#train-grid img", "#chart-losses .main-svg", "#chart-scores .main-svg", "#train-status")
STAGE_CHARTS = ("#chart-losses", "#chart-scores")
# What the stage shows (null for a part not drawn): it has settled when this stops changing.
STAGE_JS = "ss => ss.map(s => { const e = document.querySelector(s); return e ? e.textContent + (e.src || '') : null; })"
ALL_CHARTS = (*STAGE_CHARTS, "#chart-grads", "#chart-quality", "#chart-digits")

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

# Every text of a chart with its font size and whether it lies inside the chart's own picture
# (null while the chart is being replaced).
CHART_TEXT_JS = """
(selector) => {
  const svg = document.querySelector(`${selector} .main-svg`);
  if (!svg) return null;  // between two plot elements of a chart's redraw
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
    page.wait_for_function(f"document.body.classList.contains('gx-present') === {str(on).lower()}")


def _train_briefly(page: sync_api.Page) -> None:
    """Start, let a few chart updates arrive, Stop: the charts and grid then hold a short run."""
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#train-status')?.innerText.includes('training')")
    page.wait_for_function("/Losses \\(step [1-9]/.test(document.querySelector('#chart-losses .gtitle')?.textContent)"
                           " && document.querySelector('#train-grid img')")
    wait_for_redraws(page, "#chart-losses", 2)
    click_while_streaming(page, "#train-stop")
    page.wait_for_function("document.querySelector('#train-status')?.innerText.includes('stopped')")
    wait_until_settled(page, STAGE_JS, list(STAGE))  # the stream's last redraw has landed


OpenPage = Callable[..., sync_api.Page]
# The state of trace i of the loss chart's newest plot ("legendonly" when hidden), null until it is drawn.
LOSS_TRACE_SHOWN_JS = ("(i => { const d = document.querySelector('#chart-losses .js-plotly-plot')?._fullData;"
                       " return d && d[i] ? String(d[i].visible) : null; })")


@pytest.fixture
def open_page(browser: sync_api.Browser, app_url: str) -> Iterator[OpenPage]:
    """Opens pages of the app (query, width, height), each a session of its own, all closed when the
    test ends, passed or failed: a page left open would keep its run training through later tests."""
    pages: list[sync_api.Page] = []

    def open_page(query: str = "", width: int = 1400, height: int = 1000) -> sync_api.Page:
        pages.append(open_app(browser, app_url + query, width, height))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


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
def test_no_chart_text_is_cut_off_in_either_layout(open_page: OpenPage, artifacts_dir: Path,
                                                   width: int, height: int, query: str) -> None:
    page = open_page(query, width, height)
    _wait_presenting(page, bool(query))
    page.click("#train-step")
    page.wait_for_function("/step 1\\)/.test(document.querySelector('#chart-losses .gtitle')?.textContent)")
    texts = wait_until_settled(page, f"charts => charts.map({CHART_TEXT_JS})", list(ALL_CHARTS))
    page.screenshot(path=str(artifacts_dir / f"{'present' if query else 'normal'}-{width}x{height}.png"),
                    full_page=True)
    for chart, chart_texts in zip(ALL_CHARTS, texts, strict=True):
        cut = [t["text"] for t in chart_texts if not t["inside"]]
        assert not cut, f"{chart} at {width}x{height}{query}: cut off {cut}"
    for name in ("loss", "architecture"):  # a dropdown's text must not run under its arrow
        box = page.locator(f"#train-{name} input")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), f"the {name} dropdown cuts its value"


def test_a_legend_toggle_survives_chart_updates(open_page: OpenPage) -> None:
    page = open_page()
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#chart-losses .legendtoggle')")
    _click_legend_item(page, 1, f"{LOSS_TRACE_SHOWN_JS}(1) === 'legendonly'")  # hide "G loss"
    wait_for_redraws(page, "#chart-losses", 3)  # three redraws with new data
    shown = page.wait_for_function(f"{LOSS_TRACE_SHOWN_JS}(1)").json_value()  # the newest plot, once drawn
    assert shown == "legendonly", "a chart update brought the hidden trace back"
    click_while_streaming(page, "#train-stop")


def _click_legend_item(page: sync_api.Page, index: int, done_js: str) -> None:
    """A mouse click where legend item `index` is, retried: the chart is redrawn (its legend element
    replaced) about once a second, so the element found may be gone before it is measured or clicked."""
    for _ in range(10):
        box = page.locator("#chart-losses .legendtoggle").nth(index).bounding_box()
        if box is not None:
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            try:
                page.wait_for_function(done_js, timeout=5_000)
                return
            except sync_api.TimeoutError:
                pass
        page.wait_for_timeout(200)
    raise AssertionError("the legend item could not be clicked in ten tries")


def test_the_toggle_switches_the_layout_and_the_link(open_page: OpenPage) -> None:
    page = open_page("", 1280, 720)
    page.locator("#gx-present input").click()
    _wait_presenting(page)
    assert "present=1" in page.url and not page.locator("#train-settings").is_visible()
    page.locator("#gx-present input").click()
    _wait_presenting(page, False)
    assert "present" not in page.url and page.locator("#train-settings").is_visible()


class HeldEvents:
    """A 1280x720 page whose Gradio events (queue/join requests) wait until released: a test clicks
    while the page's load events are still on their way."""

    def __init__(self, browser: sync_api.Browser) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 720})
        self.page.set_default_timeout(TIMEOUT_MS)
        self.held: list[sync_api.Route] = []
        self.holding = True
        self.page.route("**/queue/join*", lambda route: self.held.append(route) if self.holding else route.continue_())

    def release_until_one_is_sent_with(self, text: str) -> None:
        """Let the held events through, and those they lead to, until one whose address holds `text`
        is held: it stays held."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not any(text in route.request.url for route in self.held):
            assert time.monotonic() < deadline, f"no event was sent with {text} in the address"
            for route in [route for route in self.held if text not in route.request.url]:
                self.held.remove(route)
                route.continue_()
            self.page.wait_for_timeout(50)

    def release_all(self) -> None:
        self.holding = False
        for route in self.held:
            route.continue_()


def _layout_once_the_link_has_loaded(page: sync_api.Page) -> list[bool]:
    """[presenting, the toggle ticked] once the link's load has answered and the page has settled."""
    page.locator("#gx-link-notice").wait_for()  # the link's unknown parameter is reported: the load answered
    return wait_until_settled(page, "() => [document.body.classList.contains('gx-present'),"
                                    " document.querySelector('#gx-present input')?.checked ?? null]")


def test_a_toggle_made_while_the_page_loads_is_kept(browser: sync_api.Browser, app_url: str) -> None:
    """The page's load event, which reads the link, answered after a quick click on the toggle and
    undid it: under load in CI a second click then turned the layout on instead of off."""
    events = HeldEvents(browser)
    try:
        events.page.goto(app_url + "?colour=red")  # an unknown parameter: its notice says the load answered
        events.page.locator("#gx-present input").click()
        _wait_presenting(events.page)
        assert events.held, "no load event was held back: the test would not show the race"
        events.release_all()
        assert _layout_once_the_link_has_loaded(events.page) == [True, True], "the load's answer undid the toggle"
    finally:
        events.page.close()


def test_a_toggle_switched_on_and_off_while_the_link_loads_stays_off(browser: sync_api.Browser,
                                                                     app_url: str) -> None:
    """Gradio sends an event with the address as it is then: the load that reads the link, sent after a
    click had put present=1 in the address, answered "presenting" after a second click had turned the
    layout off (a CI failure). The load reads the address as the page opened."""
    events = HeldEvents(browser)
    try:
        events.page.goto(app_url + "?colour=red")
        events.page.locator("#gx-present input").click()
        _wait_presenting(events.page)
        events.release_until_one_is_sent_with("present=1")  # the link's load, sent after the click
        events.page.locator("#gx-present input").click()  # off, while it waits
        _wait_presenting(events.page, False)
        events.release_all()
        assert _layout_once_the_link_has_loaded(events.page) == [False, False], \
            "the link's load turned the layout back on"
    finally:
        events.page.close()


def test_bad_url_parameters_are_reported_in_one_line_and_the_page_opens(open_page: OpenPage) -> None:
    page = open_page("?present=maybe&colour=red", 1280, 720)
    notice = page.locator("#gx-link-notice")
    notice.wait_for()
    text = notice.inner_text()
    assert "present=maybe" in text and "colour" in text and len(text.strip().splitlines()) == 1
    assert not page.evaluate("document.body.classList.contains('gx-present')")


def test_image_labels_and_buttons_sit_above_the_picture(open_page: OpenPage) -> None:
    page = open_page("", 1280, 720)
    page.get_by_role("tab", name="Interpolate").click()
    page.click("#interpolate-run")
    strip = page.locator("#interpolate-strip img")
    strip.wait_for()
    picture = strip.bounding_box()
    for part in ("#interpolate-strip label[data-testid=block-label]", "#interpolate-strip .icon-button-wrapper"):
        box = page.locator(part).bounding_box()
        assert box["y"] + box["height"] <= picture["y"] + 0.5, f"{part} lies over the strip"
    page.get_by_role("tab", name="Explore").click()
    label = page.locator("#explore-nearest label[data-testid=block-label]")
    label.wait_for()
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    buttons = page.locator("#explore-nearest .icon-button-wrapper").bounding_box()
    box = label.bounding_box()
    assert box["x"] + box["width"] <= buttons["x"] or buttons["y"] >= box["y"] + box["height"], "label under buttons"
