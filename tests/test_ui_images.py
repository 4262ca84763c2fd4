"""The app's picture outputs: each picture is written to Gradio's cache once, never rewritten under a
reader, and a picture sent again is not deleted by the cache's expiry before the browser fetches it."""
from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
from gradio.route_utils import delete_files_created_by_app
from PIL import Image

from gan_explorer.ui.picture import WriteOnceImage


def _writes_to(tmp_path: Path) -> WriteOnceImage:
    image = WriteOnceImage(format="png", type="numpy")
    image.GRADIO_CACHE = str(tmp_path)
    return image


def _picture(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (56, 84), dtype=np.uint8)


def test_a_picture_sent_again_is_served_from_the_same_unrewritten_file(tmp_path: Path) -> None:
    image, picture = _writes_to(tmp_path), _picture()

    first = Path(image.postprocess(picture).path)
    before = first.stat()
    time.sleep(0.02)
    again = Path(image.postprocess(picture.copy()).path)

    # Rewriting it in place (Gradio's own behaviour) would truncate a file the browser may be reading.
    assert again == first and first.stat().st_mtime_ns == before.st_mtime_ns
    assert first.stat().st_ino == before.st_ino
    assert np.array_equal(np.asarray(Image.open(first)), picture)
    assert Path(image.postprocess(255 - picture).path) != first
    assert not list(tmp_path.rglob(".image.*"))  # no staging file left behind


def test_a_picture_sent_again_is_not_deleted_by_the_cache_expiry(tmp_path: Path) -> None:
    """delete_cache removes files older than its age, by their ctime: a picture sent again must count
    as new, or the sweep after the send could delete it before the browser fetched it."""
    image, picture = _writes_to(tmp_path), _picture()
    path = image.postprocess(picture).path
    app = SimpleNamespace(blocks={}, temp_file_sets=[{path}])  # what Gradio's sweep reads of an app
    time.sleep(1.1)

    assert image.postprocess(picture).path == path  # sent again, older than the age below
    delete_files_created_by_app(app, age=1)

    assert Path(path).exists()
    time.sleep(1.1)
    delete_files_created_by_app(app, age=1)
    assert not Path(path).exists()  # not sent again: it goes as before
    assert Path(image.postprocess(picture).path).exists()  # and is written afresh when sent after that


def _browser_config(image_class: type[gr.Image], **options: Any) -> dict[str, Any]:
    """What the page is told about an image output, less what names its Python class."""
    with gr.Blocks() as demo:
        component = image_class(**options)
    config = next(c for c in demo.get_config_file()["components"] if c["id"] == component._id)
    props = {k: v for k, v in config["props"].items() if k != "name"}  # props.name: the class for gr.load
    return {**{k: v for k, v in config.items() if k not in ("id", "component_class_id")}, "props": props}


def test_write_once_images_are_drawn_by_gradios_image_component() -> None:
    options = {"label": "G(z)", "format": "png", "type": "numpy", "interactive": False, "height": 392,
               "elem_id": "explore-image", "elem_classes": "gx-pixelated", "buttons": ["download"]}
    config = _browser_config(WriteOnceImage, **options)
    assert config["type"] == "image"
    assert config == _browser_config(gr.Image, **options)
