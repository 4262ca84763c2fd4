"""Every preset, chosen in the page's Preset box, trains a step in a real Chromium without an error.

The wgan-gp preset could not: the browser sent its beta1 of 0.0 as the JSON integer 0, and torch's
Adam refused betas of mixed int and float. Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)

from gan_explorer.datasets import IMAGES
from gan_explorer.presets import preset, presets_of

STATUS = "document.querySelector('#train-status')?.innerText"
ERRORS = "[data-testid='toast-body'].error, .modal-backdrop"  # Gradio's error toast, and its error modal

pytestmark = marks(300)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(browser: sync_api.Browser, app_url: str) -> Iterator[sync_api.Page]:
    """A page of its own for each preset: its step is step 1 of a run of its own, whatever another
    preset's page was left showing."""
    page = open_app(browser, app_url)
    yield page
    page.close()


@pytest.mark.parametrize("name", presets_of(IMAGES))  # the Train tab draws images
def test_choosing_a_preset_and_pressing_step_trains_one_step(page: sync_api.Page, name: str,
                                                             artifacts_dir: Path) -> None:
    page.wait_for_function(f"{STATUS}.includes('No run yet')")
    page.locator("#train-preset input").click()
    page.get_by_role("option", name=name, exact=True).click()
    cfg = preset(name)
    page.wait_for_function(  # the preset has filled the form
        "([lr, dim]) => Number(document.querySelector('#train-g_lr input').value) === lr"
        " && Number(document.querySelector('#train-latent_dim input').value) === dim",
        arg=[cfg.g_lr, cfg.latent_dim])
    page.click("#train-step")
    page.wait_for_function(f"/Step 1\\b/.test({STATUS}) || document.querySelector(\"{ERRORS}\")",
                           timeout=90_000)
    page.screenshot(path=str(artifacts_dir / f"preset-{name}.png"))
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.first.inner_text()
    assert "Step 1" in page.evaluate(STATUS)
