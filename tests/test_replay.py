"""Replay in the library and the app's API: a run keeps its fixed-noise grids as it trains (and as it
is stepped), the Replay slider shows them with the charts' cursor, and the page exports CSV, PNG and GIF."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from gan_explorer.data import MNISTTensors
from gan_explorer.presets import preset
from gan_explorer.sessions import Session
from gan_explorer.timelapse import DEFAULT_EVERY
from gan_explorer.trainer import Trainer
from gan_explorer.ui.live_view import replay_view

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
pytestmark = pytest.mark.timeout(240)
EXPORTS = ("/export_csv", "/export_grid", "/export_gif")


def test_a_run_keeps_its_starting_noise_the_grids_due_and_its_last_step(mnist: MNISTTensors) -> None:
    session = Session()
    session.start_run(Trainer(preset("fast"), data=mnist), 2 * DEFAULT_EVERY + 3, None, 1)
    session.thread.join(120)
    steps = [f.step for f in session.run.timelapse.frames]
    assert steps == [0, DEFAULT_EVERY, 2 * DEFAULT_EVERY, 2 * DEFAULT_EVERY + 3], steps
    first, last = session.run.timelapse.frames[0].grid, session.run.timelapse.frames[-1].grid
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 1.0, "the kept grids do not follow the run"


def test_stepping_by_hand_keeps_the_start_and_the_grids_due(mnist: MNISTTensors) -> None:
    session = Session()
    run = session.adopt(Trainer(preset("fast"), data=mnist))
    for _ in range(DEFAULT_EVERY):
        run.trainer.step()
        run.keep_frame()
    assert [f.step for f in run.timelapse.frames] == [0, DEFAULT_EVERY]
    run.trainer.stop()


def test_replay_shows_the_kept_grid_and_a_cursor_on_the_charts(mnist: MNISTTensors) -> None:
    session = Session()
    session.start_run(Trainer(preset("fast"), data=mnist), DEFAULT_EVERY + 5, None, 1)
    session.thread.join(120)
    losses, scores, grads, image, caption = replay_view(session, DEFAULT_EVERY + 2)
    assert "Replay: step 25" in caption
    assert np.array_equal(image[::2, ::2], session.run.timelapse.at(DEFAULT_EVERY).grid)
    for figure in (losses, scores, grads):
        assert [shape.x0 for shape in figure.layout.shapes] == [DEFAULT_EVERY]


@pytest.fixture(scope="module")
def fresh(app_url: str) -> Client:
    return Client(app_url, verbose=False, analytics_enabled=False)


@pytest.mark.parametrize("api_name", [*EXPORTS, "/replay"])
def test_exports_and_replay_without_a_run_say_so(fresh: Client, api_name: str) -> None:
    with pytest.raises(AppError, match="no run to (export|replay) yet"):
        fresh.predict(*([3] if api_name == "/replay" else []), api_name=api_name)


def test_the_step_button_keeps_the_grids_due(app_url: str) -> None:
    client = Client(app_url, verbose=False, analytics_enabled=False)
    for _ in range(DEFAULT_EVERY + 1):
        client.predict(api_name="/step")
    assert "Replay: step 25**" in client.predict(DEFAULT_EVERY + 1, api_name="/replay")[-1]


def test_exports_of_a_stepped_run(app_url: str) -> None:
    client = Client(app_url, verbose=False, analytics_enabled=False)
    for _ in range(3):
        client.predict(api_name="/step")
    rows = list(csv.DictReader(Path(client.predict(api_name="/export_csv")).read_text().splitlines()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3] and "d_loss" in rows[0]
    png = Image.open(client.predict(api_name="/export_grid"))
    assert png.format == "PNG" and png.size == (604, 604)
    gif = Image.open(client.predict(api_name="/export_gif"))
    assert gif.format == "GIF" and gif.n_frames == 2  # the starting noise and step 3
    *charts, grid, caption = client.predict(0, api_name="/replay")
    assert "Replay: step 0" in caption and np.asarray(Image.open(grid)).shape == (604, 604)
    assert json.loads(charts[0]["plot"])["layout"]["shapes"][0]["x0"] == 0
    for bad in (-1, 2.5, "abc", 10**6):
        with pytest.raises(AppError, match="Replay: move back through the run's grids must be a whole number"):
            client.predict(bad, api_name="/replay")
