"""Explore's sliders in a real Chromium: the picture follows a drag before the mouse is released, and
the picture left standing is G at the sliders' final values (the latest request wins, none is lost).

A behaviour test, not a timing one: benchmarks/slider_rate.py measures updates per second.
"""
from __future__ import annotations

import io
import time
import urllib.request

import numpy as np
import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)
from PIL import Image

from gan_explorer.latent import latent_from_seed, with_slider_values
from gan_explorer.ui.common import default_model
from gan_explorer.ui.explore_tab import DEFAULT_SLIDERS

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

LATENT_DIM = 64  # the shipped default model's
SETTLE_S = 2.0  # the picture is taken as final once its src has not changed for this long

# Records each new src of Explore's picture, from inside the page.
COUNT_JS = """
() => {
  window.gxSrcs = [];
  const root = document.querySelector('#explore-image');
  new MutationObserver(() => {
    const src = root.querySelector('img')?.getAttribute('src');
    if (src && src !== window.gxSrcs[window.gxSrcs.length - 1]) window.gxSrcs.push(src);
  }).observe(root, {childList: true, subtree: true, attributes: true});
}
"""


def _open_explore(page: sync_api.Page) -> sync_api.Locator:
    """Explore with the default model drawn from seed 0; its z[0] slider's track."""
    page.get_by_role("tab", name="Explore").click()
    page.locator("#explore-reset").click()
    page.locator("#explore-image img").wait_for(timeout=30_000)
    return page.locator("#explore-z0 input[type=range]")


def _drag_without_release(page: sync_api.Page, track: sync_api.Locator, steps: int) -> None:
    box = track.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.2 * box["width"], y)
    page.mouse.down()
    for i in range(steps):
        page.mouse.move(box["x"] + (0.2 + 0.6 * i / steps) * box["width"], y)
        page.wait_for_timeout(50)


def _settled_src(page: sync_api.Page, timeout_s: float = 30.0) -> str:
    """The picture's src once it stops changing."""
    deadline = time.monotonic() + timeout_s
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = page.evaluate("window.gxSrcs.length")
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S:
            return page.evaluate("window.gxSrcs[window.gxSrcs.length - 1]")
        page.wait_for_timeout(200)
    pytest.fail("the picture kept changing after the drag stopped")


def _picture(url: str) -> np.ndarray:
    with urllib.request.urlopen(url, timeout=30) as response:
        return np.asarray(Image.open(io.BytesIO(response.read())).convert("L"))


def test_dragging_a_slider_redraws_before_release_and_ends_on_the_final_value(browser: sync_api.Browser,
                                                                              app_url: str) -> None:
    from gradio_client import Client

    page = open_app(browser, app_url)
    track = _open_explore(page)
    page.evaluate(COUNT_JS)
    _drag_without_release(page, track, steps=40)
    src = _settled_src(page)
    assert len(page.evaluate("window.gxSrcs")) >= 3, "the picture did not follow the drag before the release"
    values = [float(page.locator(f"#explore-z{i} input[type=number]").input_value()) for i in range(DEFAULT_SLIDERS)]
    page.mouse.up()
    z = with_slider_values(latent_from_seed(0, LATENT_DIM), values)
    client = Client(app_url, verbose=False, analytics_enabled=False)
    expected = Image.open(client.predict(model=default_model(), seed=0, digit=0,
                                         z=",".join(map(str, z.tolist())), api_name="/generate"))
    shown = _picture(src if src.startswith("http") else app_url.rstrip("/") + src)
    assert np.array_equal(shown, np.asarray(expected.convert("L"))), \
        f"the picture left standing is not G at the final slider values {values}"
    page.close()
