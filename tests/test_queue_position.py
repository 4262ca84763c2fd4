"""On a shared server a student whose Start waits for a free training slot sees their place in the queue."""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from browsing import click_while_streaming, marks, open_app  # tests/ is on sys.path (pytest's default import mode)
from gradio_client import Client

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

# Playwright counts an element with opacity 0 as visible: check what a person would see.
SEEN_JS = """e => { const box = e.getBoundingClientRect(); let o = 1;
  for (let n = e; n; n = n.parentElement) { const s = getComputedStyle(n);
    if (s.visibility === 'hidden' || s.display === 'none') return 0; o *= parseFloat(s.opacity); }
  return box.width > 0 && box.height > 0 ? o : 0; }"""


@pytest.fixture(scope="module")
def one_slot_url(mnist_root: Path) -> Iterator[str]:
    """The app with one training slot, so that a second Start must wait."""
    from gan_explorer.ui import build_demo, launch_options

    saved = os.environ.get("GAN_EXPLORER_MAX_RUNS")
    os.environ["GAN_EXPLORER_MAX_RUNS"], os.environ["GAN_EXPLORER_DATA"] = "1", str(mnist_root)
    threads = torch.get_num_threads()
    try:
        demo = build_demo()
    finally:
        os.environ.pop("GAN_EXPLORER_MAX_RUNS") if saved is None else os.environ.update(GAN_EXPLORER_MAX_RUNS=saved)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            **launch_options())
    yield url
    demo.close()
    torch.set_num_threads(threads)


def test_a_start_waiting_for_a_training_slot_shows_its_place_in_the_queue(one_slot_url: str, browser: Any,
                                                                          artifacts_dir: Path) -> None:
    other = Client(one_slot_url, verbose=False)
    job = other.submit(steps=100_000, api_name="/train")  # another student holds the only slot
    try:
        deadline = time.monotonic() + 60
        while not job.outputs() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.outputs(), "the first run never started"
        page = open_app(browser, one_slot_url)
        page.click("#train-start")
        status = page.locator("#train-status")
        page.wait_for_function(f"""() => {{ const e = document.querySelector('#train-status .progress-text');
            return e && /queue: \\d+\\/\\d+/.test(e.textContent) && ({SEEN_JS})(e) > 0.5; }}""")
        page.screenshot(path=str(artifacts_dir / "queue-position.png"),
                        clip={"x": 400, "y": 120, "width": 1000, "height": 200})
        other.predict(api_name="/stop")
        sync_api.expect(status).to_contain_text("training", timeout=60_000)  # its turn came
        click_while_streaming(page, "#train-stop")
        page.close()
    finally:
        other.predict(api_name="/stop")
        other.close()
