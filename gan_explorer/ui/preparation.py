"""The app's start: MNIST read (downloaded on a fresh machine or Space) and the nearest-image index
built in a background thread, with a banner on the page while that is under way.

Both are cached for the life of the process; without the warm-up the first visitor's Explore image,
or first Start, waits for them. On a fresh Space the download takes a while, and a banner that says
how far it has got is better than a silent delay.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from ..data import DOWNLOAD_BYTES, default_data_root, download_fraction

log = logging.getLogger(__name__)

BANNER_REFRESH_S = 1.0
DOWNLOAD_MB = sum(DOWNLOAD_BYTES.values()) / 1e6


class Preparation:
    """The warm-up thread's progress, read by every tab's banner."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done = threading.Event()
        self.error: str | None = None

    def start(self, prepare: Callable[[], object]) -> None:
        """Run `prepare` (which reads MNIST) in a background thread."""
        def run() -> None:
            try:
                prepare()
            except Exception as e:  # the handlers that need the data report it too, when asked
                log.exception("could not prepare MNIST in the background")
                self.error = str(e)
            finally:
                self.done.set()

        threading.Thread(target=run, name="gan-explorer-warm-up", daemon=True).start()

    def banner(self) -> str | None:
        """A line for the page while MNIST is not ready (or could not be prepared); None once it is."""
        if self.done.is_set():
            return None if self.error is None else f"MNIST could not be prepared: {self.error}"
        fraction = download_fraction(self.root)
        if fraction < 1.0:
            return (f"First start: downloading MNIST, {fraction:.0%} of {DOWNLOAD_MB:.1f} MB. "
                    f"Training can start when it is done; Explore already works with the shipped models.")
        return "Reading MNIST and preparing the nearest-image search (a few seconds)..."


def warm_up(prepare: Callable[[], object]) -> Preparation:
    """Start `prepare` (reading MNIST, building the nearest-image index ...) in the background."""
    preparation = Preparation(default_data_root())
    preparation.start(prepare)
    return preparation


def add_banner(preparation: Preparation) -> None:
    """A banner under the header that follows the warm-up, and hides itself (and its timer) when done."""
    banner = gr.HTML(visible=False, elem_id="gx-preparing", elem_classes="gx-warning")
    timer = gr.Timer(BANNER_REFRESH_S)

    def refresh() -> tuple[gr.HTML, gr.Timer]:
        text = preparation.banner()
        return gr.HTML(value=text or "", visible=text is not None), gr.Timer(active=not preparation.done.is_set())

    timer.tick(refresh, None, [banner, timer], api_visibility="private", concurrency_limit=None,
               show_progress="hidden")
