"""The app's picture outputs: each picture is written to Gradio's cache once, never rewritten under a reader."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from gan_explorer.ui.picture import WriteOnceImage


def test_a_picture_sent_again_is_served_from_the_same_untouched_file(tmp_path: Path) -> None:
    image = WriteOnceImage(format="png", type="numpy")
    image.GRADIO_CACHE = str(tmp_path)
    picture = np.random.default_rng(0).integers(0, 256, (56, 84), dtype=np.uint8)

    first = Path(image.postprocess(picture).path)
    before = first.stat()
    time.sleep(0.02)
    again = Path(image.postprocess(picture.copy()).path)

    # Rewriting it in place (Gradio's own behaviour) would truncate a file the browser may be reading.
    assert again == first and first.stat().st_mtime_ns == before.st_mtime_ns
    assert np.array_equal(np.asarray(Image.open(first)), picture)
    assert Path(image.postprocess(255 - picture).path) != first
    assert not list(tmp_path.rglob(".image.*"))  # no staging file left behind


def test_write_once_images_are_drawn_by_gradios_image_component() -> None:
    assert WriteOnceImage().get_block_name() == "image"
