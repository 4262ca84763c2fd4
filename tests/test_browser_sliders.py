"""Explore's sliders in a real Chromium: the picture follows a drag before the mouse is released, and
the picture left standing is G at the sliders' final values (the latest request wins, none is lost).

A behaviour test, not a timing one: benchmarks/slider_rate.py measures updates per second.
"""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
from browsing import marks, open_app, wait_until_settled  # tests/ is on sys.path (pytest's default import mode)
from PIL import Image

from gan_explorer.checkpoints import load_shipped
from gan_explorer.data import MNISTTensors
from gan_explorer.directions import DEFAULT_DIRECTIONS, find_directions, moved
from gan_explorer.images import to_uint8, upscale
from gan_explorer.latent import generate, latent_from_seed, with_slider_values
from gan_explorer.nearest import nearest_training_image
from gan_explorer.ui.common import default_model, shipped_choices
from gan_explorer.ui.directions_panel import IMAGE_SCALE as DIRECTION_SCALE
from gan_explorer.ui.explore_tab import DEFAULT_SLIDERS, big_image, check_digit

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

LATENT_DIM = 64  # the shipped default model's
SETTLE_S = 2.0  # the picture is taken as final once its src has not changed for this long

# Records each new src of Explore's picture (window.gxSrcs) and of the nearest training image
# (window.gxNearest), and each new picture of Explore's that the browser finished loading
# (window.gxShown: an img load whose src differs from the last one loaded), from inside the page.
COUNT_JS = """
() => {
  for (const [name, id] of [['gxSrcs', '#explore-image'], ['gxNearest', '#explore-nearest']]) {
    window[name] = [];
    const root = document.querySelector(id);
    new MutationObserver(() => {
      const src = root.querySelector('img')?.getAttribute('src');
      if (src && src !== window[name][window[name].length - 1]) window[name].push(src);
    }).observe(root, {childList: true, subtree: true, attributes: true});
  }
  window.gxShown = [];
  document.querySelector('#explore-image').addEventListener('load', (e) => {
    const src = e.target.getAttribute('src');
    if (src !== window.gxShown[window.gxShown.length - 1]) window.gxShown.push(src);
  }, true);  // load does not bubble
}
"""


def _open_explore(page: sync_api.Page) -> sync_api.Locator:
    """Explore with the default model drawn from seed 0; its z[0] slider's track."""
    page.get_by_role("tab", name="Explore").click()
    page.locator("#explore-reset").click()
    page.locator("#explore-image img").wait_for(timeout=30_000)
    return page.locator("#explore-z0 input[type=range]")


def _drag_without_release(page: sync_api.Page, track: sync_api.Locator, steps: int) -> None:
    track.scroll_into_view_if_needed()  # the mouse moves in the viewport's coordinates
    box = track.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.2 * box["width"], y)
    page.mouse.down()
    for i in range(steps):
        page.mouse.move(box["x"] + (0.2 + 0.6 * i / steps) * box["width"], y)
        page.wait_for_timeout(50)


def _settled_src(page: sync_api.Page, timeout_s: float = 30.0, name: str = "gxSrcs") -> str:
    """A picture's src once it stops changing (Explore's picture; `name` gxNearest: the nearest image)."""
    deadline = time.monotonic() + timeout_s
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = page.evaluate(f"window.{name}.length")
        if now > 0 and now != count:
            count, since = now, time.monotonic()
        elif now > 0 and time.monotonic() - since >= SETTLE_S:
            return page.evaluate(f"window.{name}[window.{name}.length - 1]")
        page.wait_for_timeout(200)
    pytest.fail("the picture kept changing after the drag stopped")


def _picture(page: sync_api.Page, src: str) -> np.ndarray:
    """The picture at `src` as the page has it: a file of Gradio's, or a moving picture's blob: URL."""
    data = page.evaluate("async (src) => Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer()))", src)
    return np.asarray(Image.open(io.BytesIO(bytes(data))).convert("L"))


def test_dragging_a_slider_redraws_before_release_and_ends_on_the_final_value(browser: sync_api.Browser,
                                                                              app_url: str) -> None:
    from gradio_client import Client

    page = open_app(browser, app_url)
    track = _open_explore(page)
    page.evaluate(COUNT_JS)
    _drag_without_release(page, track, steps=40)
    src = _settled_src(page)
    loaded = page.evaluate("window.gxShown")
    assert len(loaded) >= 3, f"the drag showed {len(loaded)} new pictures before the release"
    assert loaded[-1] == src, "the last picture loaded is not the one standing"
    values = [float(page.locator(f"#explore-z{i} input[type=number]").input_value()) for i in range(DEFAULT_SLIDERS)]
    page.mouse.up()
    z = with_slider_values(latent_from_seed(0, LATENT_DIM), values)
    client = Client(app_url, verbose=False, analytics_enabled=False)
    expected = Image.open(client.predict(model=default_model(), seed=0, digit=0,
                                         z=",".join(map(str, z.tolist())), api_name="/generate"))
    shown = _picture(page, src)
    assert np.array_equal(shown, np.asarray(expected.convert("L"))), \
        f"the picture left standing is not G at the final slider values {values}"
    page.close()


def test_the_nearest_training_image_waits_for_the_release_and_is_the_final_pictures(
        browser: sync_api.Browser, app_url: str, mnist: MNISTTensors) -> None:
    page = open_app(browser, app_url)
    track = _open_explore(page)
    # the reset's nearest image, once it has landed (on a busy machine it can come after G(z)'s)
    before = wait_until_settled(page, "() => document.querySelector('#explore-nearest img')?.getAttribute('src')")
    page.evaluate(COUNT_JS)
    _drag_without_release(page, track, steps=30)
    _settled_src(page)
    moved = [src for src in page.evaluate("window.gxNearest") if src != before]
    assert not moved, "the nearest image was looked up while the slider moved"
    values = [float(page.locator(f"#explore-z{i} input[type=number]").input_value()) for i in range(DEFAULT_SLIDERS)]
    page.mouse.up()
    src = _settled_src(page, name="gxNearest")
    generator = load_shipped(shipped_choices()[default_model()]).generator
    final = generate(generator, with_slider_values(latent_from_seed(0, LATENT_DIM), values), check_digit(generator, 0))
    expected = big_image(nearest_training_image(final[0], mnist, exact=True)[0].reshape(1, 1, 28, 28))
    shown = _picture(page, src)
    assert np.array_equal(shown, expected), f"the nearest image after the release is not that of G at {values}"
    page.close()


def test_a_discovered_direction_slider_redraws_before_release_and_ends_on_its_final_value(
        browser: sync_api.Browser, app_url: str) -> None:
    page = open_app(browser, app_url)
    _open_explore(page)
    page.locator("#directions-show").click()
    page.locator("#directions-image img").wait_for(timeout=30_000)
    before = wait_until_settled(page, "() => document.querySelector('#directions-image img').getAttribute('src')")
    page.evaluate("""() => {
      window.gxDirection = [];
      document.querySelector('#directions-image').addEventListener('load', (e) => {
        window.gxDirection.push(e.target.getAttribute('src'));
      }, true);
    }""")
    _drag_without_release(page, page.locator("#directions-d0 input[type=range]"), steps=20)
    src = wait_until_settled(page, "() => document.querySelector('#directions-image img').getAttribute('src')")
    loaded = page.evaluate("window.gxDirection")
    assert len(set(loaded) - {before}) >= 3, f"the drag showed {len(loaded)} new pictures before the release"
    amounts = [float(page.locator(f"#directions-d{i} input[type=number]").input_value())
               for i in range(DEFAULT_DIRECTIONS)]
    page.mouse.up()
    generator = load_shipped(shipped_choices()[default_model()]).generator
    shown = find_directions(generator, "sefa", DEFAULT_DIRECTIONS)
    z = moved(latent_from_seed(0, LATENT_DIM), shown, amounts)
    expected = upscale(to_uint8(generate(generator, z, check_digit(generator, 0)))[0], DIRECTION_SCALE)
    assert np.array_equal(_picture(page, src), expected), f"not G moved by {amounts} along the directions"
    page.close()
