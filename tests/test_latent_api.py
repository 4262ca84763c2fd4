"""/invert (the Draw tab) and /directions (Explore) through gradio_client, against a real launched server (MNIST needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from gan_explorer.data import MNISTTensors
from gan_explorer.ui.common import SHIPPED_SUFFIX

pytestmark = pytest.mark.timeout(180)
CONDITIONAL, UNCONDITIONAL = "dcgan_conditional" + SHIPPED_SUFFIX, "mlp" + SHIPPED_SUFFIX


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False, analytics_enabled=False)


@pytest.fixture(scope="module")
def drawn_seven(tmp_path_factory: pytest.TempPathFactory, mnist_test: MNISTTensors) -> Path:
    """Test digit 0 (a 7), ten times MNIST's size, black on white."""
    digit = ((mnist_test.images[0, 0] + 1) * 127.5).round().numpy().astype(np.uint8)
    path = tmp_path_factory.mktemp("draw") / "seven.png"
    Image.fromarray(255 - np.kron(digit, np.ones((10, 10), np.uint8))).save(path)
    return path


def test_invert_returns_the_reconstruction_z_and_the_label_of_a_conditional_model(client: Client,
                                                                                 drawn_seven: Path) -> None:
    png, z, label = client.predict(image=handle_file(str(drawn_seven)), model=CONDITIONAL, api_name="/invert")
    picture = np.asarray(Image.open(png))
    assert picture.shape[:2] == (196, 196) and picture.max() > 200  # G drew bright strokes
    assert len([float(v) for v in z.split(",")]) == 64
    assert label == 7


def test_invert_gives_no_label_for_an_unconditional_model(client: Client, drawn_seven: Path) -> None:
    _, z, label = client.predict(image=handle_file(str(drawn_seven)), model=UNCONDITIONAL, api_name="/invert")
    assert label is None and len(z.split(",")) == 100


@pytest.mark.parametrize("case", ["empty", "not a picture", "no picture", "unknown model"])
def test_bad_input_to_invert_is_a_clear_message(client: Client, tmp_path: Path, drawn_seven: Path, case: str) -> None:
    blank, text = tmp_path / "blank.png", tmp_path / "notes.png"
    Image.fromarray(np.zeros((80, 80), np.uint8)).save(blank)
    text.write_text("not a picture")
    image, model, message = {"empty": (handle_file(str(blank)), CONDITIONAL, "empty"),
                             "not a picture": (handle_file(str(text)), CONDITIONAL, "not a picture"),
                             "no picture": (None, CONDITIONAL, "Draw a digit"),
                             "unknown model": (handle_file(str(drawn_seven)), "gpt (shipped)", "not one of the choices"),
                             }[case]
    with pytest.raises(AppError, match=message):
        client.predict(image=image, model=model, api_name="/invert")


@pytest.mark.parametrize("method", ["SeFa (closed form)", "GANSpace (PCA)"])
def test_directions_returns_one_preview_strip_per_direction(client: Client, method: str) -> None:
    png = client.predict(model=CONDITIONAL, method=method, digit=3, api_name="/directions")
    picture = np.asarray(Image.open(png))
    rows, cols = (picture.shape[0] // 3 - 2) // 30, (picture.shape[1] // 3 - 2) // 30  # 28 px + 2 px padding, x3
    assert (rows, cols) == (5, 7)
    middle = picture[3 * 2:3 * 30, 3 * (2 + 3 * 30):3 * (4 * 30)]  # row 1, column 4: t = 0
    assert middle.max() > 200


@pytest.mark.parametrize(("kwargs", "message"), [({"method": "PCA"}, "Method"),
                                                 ({"model": "gpt (shipped)"}, "not one of the choices"),
                                                 ({"digit": 12}, "Digit")])
def test_bad_input_to_directions_is_a_clear_message(client: Client, kwargs: dict, message: str) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(**{"model": CONDITIONAL, "method": "SeFa (closed form)", "digit": 0, **kwargs},
                       api_name="/directions")
