"""Slow motion in the real page (playwright, Chromium): D step, then G step, and the line saying what moved."""
from __future__ import annotations

from pathlib import Path

import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")


def _status_after(page: sync_api.Page, button: str, words: str) -> str:
    page.click(button)
    page.wait_for_function(f"document.querySelector('#train-status').innerText.includes({words!r})",
                           timeout=60_000)
    return page.locator("#train-status").inner_text()


def test_d_step_then_g_step_show_what_moved(browser: sync_api.Browser, app_url: str, artifacts_dir: Path) -> None:
    page = open_app(browser, app_url, width=1280, height=720)
    try:
        status = _status_after(page, "#train-d-step", "D step: D(x)")
        assert "Step 0" in status and "D(G(z))" in status and "→" in status, status
        page.wait_for_selector("#train-grid img", timeout=30_000)  # the run's grid is drawn
        status = _status_after(page, "#train-g-step", "G step: D(G(z))")
        assert "Step 1" in status and "D step" not in status, status
        page.screenshot(path=str(artifacts_dir / "slow-motion.png"))
    finally:
        page.close()
