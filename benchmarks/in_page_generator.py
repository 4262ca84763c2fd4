"""Pictures per second of a drag when the page runs G itself (onnxruntime-web, WebAssembly, one thread).

    npm install --prefix /tmp/ort onnxruntime-web          # from the npm registry, never a CDN
    pip install --target /tmp/onnx-lib onnx                  # torch.onnx.export needs it; not a dependency
    python benchmarks/in_page_generator.py --ort-dist /tmp/ort/node_modules/onnxruntime-web/dist \
        --onnx-lib /tmp/onnx-lib

A measure before choosing, not the app: the default shipped generator is exported to ONNX, and a bare
page (a range input for z[0], a 28x28 canvas scaled by CSS) runs it on every .input, the latest value
winning (one run at a time; a move during a run asks for one more, which reads the slider when it
starts). The same drag as benchmarks/slider_rate.py, (a) with nothing else running, (b) while a page
of the app, launched in this process, trains. A figure near the drag's own moves per second means
every move was drawn: the page, not the generator, sets the rate.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # slider_rate, dragging
import slider_rate  # sets the environment and sys.path for tests/browsing.py and gan_explorer
from browsing import chromium, open_app
from dragging import move_back_and_forth

from gan_explorer.device import cpu_summary

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
PAGE = """<!doctype html><html><body>
<input id="z0" type="range" min="-3" max="3" step="0.05" value="0" style="width:600px">
<canvas id="picture" width="28" height="28" style="width:392px;height:392px;image-rendering:pixelated"></canvas>
<script src="ort.wasm.min.js"></script>
<script>
ort.env.wasm.wasmPaths = './'; ort.env.wasm.numThreads = 1;
window.gxDraws = []; window.gxRunMs = [];
const z = new Float32Array(LATENT_DIM), slider = document.getElementById('z0');
const context = document.getElementById('picture').getContext('2d'), pixels = context.createImageData(28, 28);
let session = null, busy = false, due = false;
async function draw() {
  if (busy) { due = true; return; }
  busy = true;
  do {
    due = false;
    z[0] = parseFloat(slider.value);
    const start = performance.now();
    const feeds = {z: new ort.Tensor('float32', z, [1, LATENT_DIM])};
    if (CONDITIONAL) feeds.label = new ort.Tensor('int64', BigInt64Array.from([0n]), [1]);
    const image = (await session.run(feeds)).image.data;
    for (let i = 0; i < 784; i++) {
      const v = Math.round((image[i] + 1) * 127.5);
      pixels.data.set([v, v, v, 255], 4 * i);
    }
    context.putImageData(pixels, 0, 0);
    window.gxRunMs.push(performance.now() - start); window.gxDraws.push(Date.now());
  } while (due);
  busy = false;
}
ort.InferenceSession.create('g.onnx').then(s => { session = s; window.gxReady = true; });
slider.addEventListener('input', draw);
</script></body></html>
"""


def _export(folder: Path) -> tuple[int, bool]:
    """The default shipped generator as folder/g.onnx; (its latent_dim, whether it is conditional)."""
    import torch

    from gan_explorer.checkpoints import load_shipped
    from gan_explorer.ui.common import default_model, shipped_choices

    generator = load_shipped(shipped_choices()[default_model()]).generator.eval()
    inputs = (torch.zeros(1, generator.latent_dim),) + ((torch.zeros(1, dtype=torch.long),)
                                                        if generator.conditional else ())
    torch.onnx.export(generator, inputs, folder / "g.onnx", input_names=["z", "label"][:len(inputs)],
                      output_names=["image"], dynamo=False)
    return generator.latent_dim, generator.conditional


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        """Nothing: a line per file fetched would bury the figures."""


def _serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


def _drag(page: Any, seconds: float, step_ms: int) -> str:
    page.evaluate("window.gxDraws.length = 0; window.gxRunMs.length = 0")
    start, released, moves = move_back_and_forth(page, "#z0", seconds, step_ms)
    time.sleep(1)
    draws = [t for t in page.evaluate("window.gxDraws") if t <= released]
    runs = sorted(page.evaluate("window.gxRunMs"))
    seconds = (released - start) / 1000
    return (f"{len(draws) / seconds:5.2f} pictures/s during the drag ({len(draws)} in {seconds:.1f} s, "
            f"{moves} moves); "
            f"G in the page: median {runs[len(runs) // 2]:.1f} ms  (load average {os.getloadavg()[0]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ort-dist", type=Path, required=True, help="onnxruntime-web's dist folder (npm)")
    parser.add_argument("--onnx-lib", type=Path, help="a folder holding the onnx package, if not installed")
    parser.add_argument("--drag-s", type=float, default=5.0, help="seconds each drag lasts")
    parser.add_argument("--step-ms", type=int, default=30, help="wait between two small mouse moves")
    args = parser.parse_args()
    if args.onnx_lib:
        sys.path.append(str(args.onnx_lib))  # last: its own numpy must not shadow the environment's
    print(cpu_summary(), f"load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        latent_dim, conditional = _export(folder)
        for name in ORT_FILES:
            shutil.copy(args.ort_dist / name, folder / name)
        (folder / "index.html").write_text(PAGE.replace("LATENT_DIM", str(latent_dim))
                                           .replace("CONDITIONAL", str(conditional).lower()))
        server, url = _serve(folder)
        finished: list[float] = []
        demo, app_url = slider_rate._launch("live", finished)
        try:
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                page.wait_for_function("window.gxReady === true", timeout=60_000)
                print(f"in-page  idle      {_drag(page, args.drag_s, args.step_ms)}")
                trainer = open_app(browser, app_url)
                trainer.click("#train-start")
                trainer.locator("#train-stop").wait_for()
                time.sleep(5)  # past the run's start: data loaded, steps and charts streaming
                print(f"in-page  training  {_drag(page, args.drag_s, args.step_ms)}")
                trainer.click("#train-stop")
                time.sleep(2)
        finally:
            demo.close()
            server.shutdown()


if __name__ == "__main__":
    main()
