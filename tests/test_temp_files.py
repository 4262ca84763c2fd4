"""Everything the app writes for download (GIFs, saved checkpoints) is deleted by the same schedule as
Gradio's own cache (`delete_cache`), and nothing is left in the system's temporary folder."""
from __future__ import annotations

import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
import torch
from gradio.route_utils import delete_files_created_by_app
from gradio_client import Client

from gan_explorer.ui.common import default_model

INTERPOLATIONS = 20  # each writes a GIF of its own (new seeds): any one left behind fails the test
SAVES = 5


def _files(root: Path) -> tuple[int, int]:
    """(number of files, total bytes) under root."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


@pytest.fixture(scope="module")
def served(mnist_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[gr.Blocks, str, Path]]:
    """The app with the system temp folder and Gradio's cache both inside a fresh folder of the test's."""
    from gan_explorer.ui import build_demo, launch_options

    root = tmp_path_factory.mktemp("temp-files")
    (root / "tmp").mkdir()
    saved = os.environ.get("GRADIO_TEMP_DIR"), tempfile.tempdir
    os.environ["GRADIO_TEMP_DIR"], tempfile.tempdir = str(root / "gradio"), str(root / "tmp")
    os.environ["GAN_EXPLORER_DATA"] = str(mnist_root)
    threads = torch.get_num_threads()
    demo = build_demo()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                                **launch_options())
        yield demo, url, root
    finally:
        demo.close()
        torch.set_num_threads(threads)
        if saved[0] is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = saved[0]
        tempfile.tempdir = saved[1]


def test_interpolations_and_saves_leave_a_folder_that_delete_cache_empties(
        served: tuple[gr.Blocks, str, Path]) -> None:
    demo, url, root = served
    client = Client(url, verbose=False, download_files=False)
    before = _files(root)
    for i in range(INTERPOLATIONS):
        client.predict(model=default_model(), start_seed=i, end_seed=i + 1, start_digit=i % 10, end_digit=3,
                       steps=4, method="linear", api_name="/interpolate")
    client.predict(api_name="/step")
    for _ in range(SAVES):
        client.predict(api_name="/save_checkpoint")
    written = _files(root)
    # Nothing in the system's temporary folder: a file there is never deleted.
    assert _files(root / "tmp") == (0, 0), sorted(p.name for p in (root / "tmp").rglob("*"))[:5]
    assert written[0] >= INTERPOLATIONS, "the interpolations wrote no GIFs where this test looks"
    delete_files_created_by_app(demo, age=0)  # what delete_cache does to files older than its age
    after = _files(root)
    assert after == before, f"{after[0] - before[0]} files ({after[1] - before[1]:,} bytes) escape delete_cache"
    print(f"{INTERPOLATIONS} interpolations + {SAVES} saves wrote {written[0] - before[0]} files "
          f"({written[1] - before[1]:,} bytes); after delete_cache's sweep: {after[0]} files")


def test_a_gif_handed_out_again_is_not_deleted_as_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gan_explorer.ui.downloads import write_download

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    path = write_download("interpolation", ".gif", b"GIF89a")
    os.utime(path, (0, 0))
    before = path.stat().st_ctime
    time.sleep(0.05)
    assert write_download("interpolation", ".gif", b"GIF89a") == path
    assert path.stat().st_ctime > before and path.read_bytes() == b"GIF89a"
