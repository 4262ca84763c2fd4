"""`gan-explorer invert` and `gan-explorer directions`: pictures in, z and strips out; bad input exits 2."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_explorer import cli
from gan_explorer.data import MNISTTensors

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def drawn_two(tmp_path_factory: pytest.TempPathFactory, mnist_test: MNISTTensors) -> Path:
    """A test "2", six times MNIST's size, black on white as a pen draws it."""
    digit = ((mnist_test.images[1, 0] + 1) * 127.5).round().numpy().astype(np.uint8)
    path = tmp_path_factory.mktemp("draw") / "two.png"
    Image.fromarray(255 - np.kron(digit, np.ones((6, 6), np.uint8))).save(path)
    return path


def test_invert_prints_the_label_distance_and_z_and_saves_the_pair(drawn_two: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pair.png"
    code = cli.main(["invert", str(drawn_two), "--checkpoint", "dcgan_conditional", "--steps", "30", "--out", str(out)])
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert code == 0
    assert printed["label"] == "2"
    assert 0 < float(printed["distance"]) < 28 * 2
    assert len(printed["z"].split(",")) == 64
    assert Image.open(out).size == (2 * 28 * 8 + 3 * 2 * 8, 28 * 8 + 2 * 2 * 8)  # target | reconstruction


def test_directions_writes_one_strip_per_direction(tmp_path: Path) -> None:
    out = tmp_path / "strip.png"
    assert cli.main(["directions", "--checkpoint", "mlp", "--method", "ganspace", "--k", "3", "--out", str(out)]) == 0
    width, height = Image.open(out).size
    assert width > height and height == 3 * (28 + 2) * 3 + 2 * 3  # 3 rows of 7 pictures, upscaled x3


def test_bad_pictures_and_names_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank, text = tmp_path / "blank.png", tmp_path / "text.png"
    Image.fromarray(np.full((60, 60), 255, np.uint8)).save(blank)
    text.write_text("not a picture")
    for argv, message in ((["invert", str(blank), "--checkpoint", "mlp"], "empty"),
                          (["invert", str(text), "--checkpoint", "mlp"], "not a picture"),
                          (["invert", str(blank), "--checkpoint", "no_such_model"], "No checkpoint"),
                          (["directions", "--checkpoint", "mlp", "--label", "3", "--out", str(tmp_path / "s.png")],
                           "conditional")):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
