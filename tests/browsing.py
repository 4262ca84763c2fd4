"""What every browser test shares: Debian's Chromium driven by playwright, the marks of a browser
test module, and opening the app. (A helper module, not a test: tests/ is on sys.path.)"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


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


def open_app(browser: Any, url: str, width: int = 1400, height: int = 1000) -> Any:
    """A new page of `browser` at `url`, once the app has drawn its Train tab."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("#train-start", timeout=30_000)
    return page
