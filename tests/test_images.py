"""Pictures from generator output: the t-SNE thumbnails' data URLs."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from gan_explorer.images import png_data_url


def test_a_thumbnail_data_url_holds_the_picture_as_png() -> None:
    picture = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    url = png_data_url(picture)
    assert url.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert decoded.format == "PNG" and np.array_equal(np.asarray(decoded), picture)
