"""What every browser test shares: Debian's Chromium driven by playwright, the marks of a browser
test module, and opening the app. (A helper module, not a test: tests/ is on sys.path.)"""
from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Playwright's default is 30 s. A shared 2-core CI machine, busy with training runs and other jobs,
# has taken over 30 s to draw a page; a wait that is met returns at once, so a long limit costs nothing.
TIMEOUT_MS = 60_000


def marks(timeout_s: int = 240) -> list[Any]:
    """A browser test module's `pytestmark`: marked `browser`, bounded in time, skipped without Chromium,
    and run once more after a failure: a page streaming live charts on a shared 2-core machine can miss
    a wait by chance, and a second failure is a real one (the rerun shows in pytest's summary)."""
    return [pytest.mark.browser, pytest.mark.timeout(timeout_s), pytest.mark.flaky(reruns=1, reruns_delay=3),
            pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                               reason="needs Debian's chromium")]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (playwright.sync_api.Browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ModuleBrowser:
    """A shared Chromium as one test module sees it: new_page and new_context as a Browser's, and on
    exit every context the module opened is closed, with its pages (their sessions unload)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []

    def new_context(self, **options: Any) -> Any:
        self._contexts.append(self._browser.new_context(**options))
        return self._contexts[-1]

    def new_page(self, **options: Any) -> Any:
        """A page in a context of its own (closing the page closes it)."""
        page = self._browser.new_page(**options)
        self._contexts.append(page.context)
        return page

    def __enter__(self) -> ModuleBrowser:
        return self

    def __exit__(self, *_: object) -> None:
        for context in self._contexts:
            context.close()


def open_app(browser: Any, url: str, width: int = 1400, height: int = 1000) -> Any:
    """A new page of `browser` at `url`, once the app has drawn its Train tab. Its waits and actions
    give up after TIMEOUT_MS unless a test says otherwise."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("#train-start")
    return page


def wait_until_settled(page: Any, expression: str, arg: Any = None, quiet_s: float = 2.0,
                       timeout_s: float = TIMEOUT_MS / 1000) -> Any:
    """The value of `expression` (a JS function of `arg`, run in the page) once it has held for quiet_s
    without a null in it: a streamed output's last update has landed. A fixed sleep for this is too
    short on a busy machine; this waits as long as the stream is still redrawing, and no longer."""
    deadline = time.monotonic() + timeout_s
    value, since = page.evaluate(expression, arg), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        now = page.evaluate(expression, arg)
        if now != value or _has_null(now):
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return value
    raise AssertionError(f"the page did not settle in {timeout_s:.0f} s; last: {str(value)[:300]}")


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        value = list(value.values())
    return value is None or (isinstance(value, list) and any(_has_null(v) for v in value))


def wait_for_redraws(page: Any, chart: str, count: int) -> None:
    """Until `chart` (a selector) has been redrawn with `count` new titles. Gradio mounts a new plot
    element on every update, so the title is read afresh each time and may briefly be missing."""
    for _ in range(count):
        before = page.wait_for_function(f"document.querySelector('{chart} .gtitle')?.textContent").json_value()
        page.wait_for_function(f"t => {{ const now = document.querySelector('{chart} .gtitle')?.textContent;"
                               f" return now && now !== t; }}", arg=before)


def click_while_streaming(page: Any, selector: str) -> None:
    """Click a button of a page that streams live charts. Playwright's click first waits for the button's
    layout to hold still, which a page redrawing its charts on a busy machine may not do for a minute;
    a click by script is what the button's own handler gets either way."""
    page.locator(selector).wait_for()
    page.evaluate("s => document.querySelector(s).click()", selector)
