"""How often a browser fetching a picture gets a broken download while the app sends that picture again.

    python benchmarks/image_refetch.py [--seconds 20]

One app per way of sending a picture, each with one button that returns the same 560x560 picture:
Gradio's gr.Image given the array, a PIL image, or the path of a PNG the handler has just written
(as a handler that draws a new picture each time must), and the app's WriteOnceImage given the array.
A thread presses the button over and over through gradio_client while this process downloads the
picture's cache file in a loop, as a browser does after each update. Prints, per way, the sends and
their rate relative to WriteOnceImage's, the downloads, how many came back short, and how many broke
off (for those the server logs h11's "Too little data for declared Content-Length"). Then the server's
own work per send, without HTTP (the handler's file, Gradio's postprocess and its copy into the
cache), for the same picture again and for a new picture each time (a live grid), as ratios to
WriteOnceImage's.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
from gradio import processing_utils
from gradio_client import Client
from PIL import Image

from gan_explorer.device import cpu_summary
from gan_explorer.images import save_png
from gan_explorer.ui.picture import WriteOnceImage

PICTURE = np.random.default_rng(0).integers(0, 256, (560, 560), dtype=np.uint8)  # ~300 KB of PNG


def _served(out: gr.Image, value: Any) -> str:
    """The cache file the server hands out for `value` (a path is first copied into the cache)."""
    path = out.postprocess(value).path
    return path if Path(path).is_relative_to(out.GRADIO_CACHE) else \
        processing_utils.save_file_to_cache(path, out.GRADIO_CACHE)


def refetch(image_class: type[gr.Image], make: Callable[[], Any], seconds: float) -> dict[str, int]:
    with gr.Blocks() as demo:
        button, out = gr.Button(), image_class(format="png", type="numpy")
        button.click(make, None, out, api_name="picture")
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    client = Client(url, verbose=False)
    client.predict(api_name="/picture")
    served = _served(out, make())
    size = len(Path(served).read_bytes())
    deadline = time.monotonic() + seconds
    counts = {"sends": 0, "downloads": 0, "short": 0, "broken": 0}

    def press() -> None:
        while time.monotonic() < deadline:
            client.predict(api_name="/picture")
            counts["sends"] += 1

    presser = threading.Thread(target=press)
    presser.start()
    with httpx.Client() as http:
        while time.monotonic() < deadline:
            try:
                counts["short"] += len(http.get(f"{url}gradio_api/file={served}").content) != size
                counts["downloads"] += 1
            except httpx.HTTPError:
                counts["broken"] += 1
    presser.join()
    demo.close()
    return counts


def _send_cost(image_class: type[gr.Image], make: Callable[[np.ndarray], Any], pictures: list[np.ndarray]) -> float:
    """Median seconds of the server's work for one send: the handler's value, postprocess, the cache copy."""
    with tempfile.TemporaryDirectory() as cache:
        out = image_class(format="png", type="numpy")
        out.GRADIO_CACHE = cache
        times = []
        for picture in pictures:
            start = time.perf_counter()
            path = out.postprocess(make(picture)).path
            if not Path(path).is_relative_to(cache):
                out.move_resource_to_block_cache(path)
            times.append(time.perf_counter() - start)
        return statistics.median(times)


def send_costs(folder: Path, sends: int = 60) -> dict[str, dict[str, float]]:
    ways = {"gr.Image, array": (gr.Image, lambda p: p),
            "gr.Image, PIL": (gr.Image, Image.fromarray),
            "gr.Image, PNG path": (gr.Image, lambda p: _png_of(p, folder)),
            "WriteOnceImage": (WriteOnceImage, lambda p: p)}
    rng = np.random.default_rng(1)
    # a live grid's size (604 px); digits compress well, so noise would overstate PNG's share
    new = [np.kron(rng.integers(0, 256, (151, 151), dtype=np.uint8), np.ones((4, 4), np.uint8))
           for _ in range(sends)]
    return {name: {"same": _send_cost(cls, make, [new[0]] * sends), "new": _send_cost(cls, make, new)}
            for name, (cls, make) in ways.items()}


def _png_of(picture: np.ndarray, folder: Path) -> str:
    """The picture as a PNG file of its own, written as a handler writes each new picture."""
    path = Path(tempfile.mkstemp(suffix=".png", dir=folder)[1])
    save_png(picture, path)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to press and download per way")
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # the broken downloads' server tracebacks are counted, not printed
    print(cpu_summary())
    with tempfile.TemporaryDirectory() as folder:  # in the temp dir: Gradio may serve files from there
        ways = {"gr.Image, array": (gr.Image, lambda: PICTURE),
                "gr.Image, PIL": (gr.Image, lambda: Image.fromarray(PICTURE)),
                "gr.Image, PNG path": (gr.Image, lambda: _png_of(PICTURE, Path(folder))),
                "WriteOnceImage": (WriteOnceImage, lambda: PICTURE)}
        results = {name: refetch(cls, make, args.seconds) for name, (cls, make) in ways.items()}
        costs = send_costs(Path(folder))
    baseline = results["WriteOnceImage"]["sends"] or 1
    for name, counts in results.items():
        print(f"{name:19s} sends {counts['sends']:5d} (x{counts['sends'] / baseline:.2f})  "
              f"downloads {counts['downloads']:5d}  short {counts['short']:3d}  broken {counts['broken']:3d}")
    ours = costs["WriteOnceImage"]
    print("server work per send, as a ratio to WriteOnceImage's (its own in ms):")
    for name, cost in costs.items():
        print(f"{name:19s} same picture x{cost['same'] / ours['same']:6.2f}  new picture x{cost['new'] / ours['new']:5.2f}"
              + (f"  ({ours['same'] * 1e3:.2f} / {ours['new'] * 1e3:.2f} ms)" if cost is ours else ""))


if __name__ == "__main__":
    main()
