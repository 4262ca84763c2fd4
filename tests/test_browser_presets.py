"""Every preset, chosen in the page's Preset box, trains a step in a real Chromium without an error.

The wgan-gp preset could not: the browser sent its beta1 of 0.0 as the JSON integer 0, and torch's
Adam refused betas of mixed int and float. Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gan_explorer.config import PRESETS, preset

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
STATUS = "document.querySelector('#train-status').innerText"
ERRORS = "[data-testid='toast-body'].error, .modal-backdrop"  # Gradio's error toast, and its error modal

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300),
              pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                                 reason="needs Debian's chromium")]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[sync_api.Page]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.wait_for_selector("#train-step", timeout=30_000)
        yield page
        browser.close()


@pytest.mark.parametrize("name", list(PRESETS))
def test_choosing_a_preset_and_pressing_step_trains_one_step(page: sync_api.Page, name: str,
                                                             artifacts_dir: Path) -> None:
    page.click("#train-reset")  # each preset's step is step 1 of a run of its own
    page.wait_for_function(f"{STATUS}.includes('No run yet')", timeout=20_000)
    page.locator("#train-preset input").click()
    page.get_by_role("option", name=name, exact=True).click()
    cfg = preset(name)
    page.wait_for_function(  # the preset has filled the form
        "([lr, dim]) => Number(document.querySelector('#train-g_lr input').value) === lr"
        " && Number(document.querySelector('#train-latent_dim input').value) === dim",
        arg=[cfg.g_lr, cfg.latent_dim], timeout=20_000)
    page.click("#train-step")
    page.wait_for_function(f"/Step 1\\b/.test({STATUS}) || document.querySelector(\"{ERRORS}\")",
                           timeout=60_000)
    page.screenshot(path=str(artifacts_dir / f"preset-{name}.png"))
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.first.inner_text()
    assert "Step 1" in page.evaluate(STATUS)
