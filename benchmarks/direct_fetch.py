"""Pictures per second of an Explore drag when each move's picture comes from a plain HTTP route,
not a Gradio event: a measure before choosing, not the app.

    python benchmarks/direct_fetch.py --drag-s 8

The app runs with its sliders redrawing on .release only (slider_rate's `release` wiring: Gradio's
front end does nothing per move), plus a route /gx/draw?z0=... added to its FastAPI app that draws G
(the default shipped model, seed 0, z[0] set) as slider_rate's pictures are drawn. A script in the
page fetches it on every .input of z[0], the latest value winning (one fetch out; a move meanwhile
asks for one more, which reads the slider when it goes), and shows it in Explore's img. The same
drag as benchmarks/slider_rate.py, idle and while a second page trains; compare with its `live`
figures from the same load.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # slider_rate, dragging
import slider_rate  # sets the environment and sys.path for tests/browsing.py and gan_explorer
from browsing import chromium, open_app
from dragging import move_back_and_forth

from gan_explorer.device import cpu_summary

TRACK = "#explore-z0 input[type=range]"
FETCH_JS = """
(track) => {
  track = document.querySelector(track);
  const shown = document.querySelector('#explore-image img');
  window.gxDirect = [];
  shown.addEventListener('load', () => window.gxDirect.push(Date.now()));
  let busy = false, due = false;
  async function draw() {
    if (busy) { due = true; return; }
    busy = true;
    do {
      due = false;
      const picture = await (await fetch('/gx/draw?z0=' + track.value)).blob();
      const old = shown.src;
      const loaded = new Promise((resolve) => { shown.onload = resolve; });
      shown.src = URL.createObjectURL(picture);
      await loaded;
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
    } while (due);
    busy = false;
  }
  track.addEventListener('input', draw);
}
"""


def _add_route(app: Any) -> None:
    """GET /gx/draw?z0=: G(z) as a PNG, z from seed 0 with z[0] set, first among the app's routes."""
    from fastapi import Response
    from PIL import Image

    from gan_explorer.checkpoints import load_shipped
    from gan_explorer.latent import generate, latent_from_seed, with_slider_values
    from gan_explorer.ui.common import default_model, shipped_choices
    from gan_explorer.ui.explore_tab import big_image, check_digit

    generator = load_shipped(shipped_choices()[default_model()]).generator

    def draw(z0: float) -> Response:
        z = with_slider_values(latent_from_seed(0, generator.latent_dim), [z0])
        out = io.BytesIO()
        Image.fromarray(big_image(generate(generator, z, check_digit(generator, 0)))).save(out, format="PNG")
        return Response(out.getvalue(), media_type="image/png")

    app.add_api_route("/gx/draw", draw)
    app.router.routes.insert(0, app.router.routes.pop())  # before Gradio's catch-all routes


def _drag(page: Any, seconds: float, step_ms: int) -> str:
    page.evaluate("window.gxDirect.length = 0")
    start, released, moves = move_back_and_forth(page, TRACK, seconds, step_ms)
    shown = sum(t <= released for t in page.evaluate("window.gxDirect"))
    seconds = (released - start) / 1000
    return (f"{shown / seconds:5.2f} pictures/s during the drag ({shown} in {seconds:.1f} s, {moves} moves)  "
            f"(load average {os.getloadavg()[0]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drag-s", type=float, default=8.0, help="seconds each drag lasts")
    parser.add_argument("--step-ms", type=int, default=30, help="wait between two small mouse moves")
    args = parser.parse_args()
    from gan_explorer.ui import build_demo, configure_torch_threads, launch_options

    configure_torch_threads()  # as app.py does
    print(cpu_summary(), f"load average {os.getloadavg()}")
    demo = build_demo()
    slider_rate.WIRINGS["release"](demo)
    app, url, _ = demo.launch(server_name="127.0.0.1", server_port=slider_rate._free_port(),
                              prevent_thread_lock=True, quiet=True, **launch_options())
    _add_route(app)
    try:
        with chromium() as browser:
            page = slider_rate._open(browser, url)
            slider_rate._explore(page)
            page.evaluate(FETCH_JS, TRACK)
            print(f"direct-fetch idle      {_drag(page, args.drag_s, args.step_ms)}")
            trainer = open_app(browser, url)
            trainer.click("#train-start")
            trainer.locator("#train-stop").wait_for()
            time.sleep(5)  # past the run's start: data loaded, steps and charts streaming
            print(f"direct-fetch training  {_drag(page, args.drag_s, args.step_ms)}")
            trainer.click("#train-stop")
            time.sleep(2)
    finally:
        demo.close()


if __name__ == "__main__":
    main()
