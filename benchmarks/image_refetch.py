"""How often a browser fetching a picture gets a broken download while the app sends that picture again.

    python benchmarks/image_refetch.py [--seconds 20]

One app per image class (Gradio's gr.Image, then the app's WriteOnceImage), each with one button that
returns the same 560x560 picture. A thread presses it over and over through gradio_client while this
process downloads the picture's cache file in a loop, as a browser does after each update. Prints, per
class, the downloads, how many came back short, and how many broke off (for those the server logs h11's
"Too little data for declared Content-Length").
"""
from __future__ import annotations

import argparse
import logging
import threading
import time

import gradio as gr
import httpx
import numpy as np
from gradio_client import Client

from gan_explorer.ui.picture import WriteOnceImage


def refetch(image_class: type[gr.Image], seconds: float) -> dict[str, int]:
    picture = np.random.default_rng(0).integers(0, 256, (560, 560), dtype=np.uint8)  # ~300 KB of PNG
    with gr.Blocks() as demo:
        button, out = gr.Button(), image_class(format="png", type="numpy")
        button.click(lambda: picture, None, out, api_name="picture")
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    client = Client(url, verbose=False)
    client.predict(api_name="/picture")
    served = out.postprocess(picture).path  # the file the server hands out for this picture
    size = len(open(served, "rb").read())
    deadline = time.monotonic() + seconds

    def press() -> None:
        while time.monotonic() < deadline:
            client.predict(api_name="/picture")

    presser = threading.Thread(target=press)
    presser.start()
    counts = {"downloads": 0, "short": 0, "broken": 0}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to press and download per class")
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # the broken downloads' server tracebacks are counted, not printed
    for image_class in (gr.Image, WriteOnceImage):
        counts = refetch(image_class, args.seconds)
        print(f"{image_class.__name__:15s} downloads {counts['downloads']:5d}  short {counts['short']:3d}  "
              f"broken {counts['broken']:3d}")


if __name__ == "__main__":
    main()
