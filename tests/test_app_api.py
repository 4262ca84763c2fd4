"""The app's public API through gradio_client, against a real launched server (MNIST needed)."""
from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from gan_explorer.presets import DEFAULT_PRESET, PRESETS
from gan_explorer.ui.common import LIVE_RUN, SHIPPED_SUFFIX, default_model

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # the client must not reach 127.0.0.1 via a proxy

TRAIN_SECONDS = 5.0
# Loose on purpose: on a quiet machine the stream ends within a second of Stop; on a shared 2-core CI
# machine with a load average of 14 it took 1.9 s after /stop answered. A stream Stop does not end runs for hours.
STREAM_END_S = 10.0
pytestmark = pytest.mark.timeout(180)  # a hung stream fails this file instead of stalling CI


def _client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    """One client = one session; a few Steps give it a live run to sample from."""
    c = _client(app_url)
    for _ in range(3):
        c.predict(api_name="/step")
    return c


def _points(plot: dict, trace: int = 0) -> np.ndarray:
    """The y values of a trace of a streamed Plotly figure (plotly.py sends numpy arrays as base64)."""
    y = json.loads(plot["plot"])["data"][trace]["y"]
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y)


def _step_in_title(plot: dict) -> int:
    title = json.loads(plot["plot"])["layout"]["title"]["text"]  # "Losses (step 123)"
    return int(title.rsplit("step ", 1)[1].rstrip(")"))


def test_train_stream_grows_the_loss_history_and_changes_the_grid(client: Client) -> None:
    job = client.submit(steps=100_000, seed=1, api_name="/train")
    updates, start = [], time.monotonic()
    for update in job:
        updates.append(update)
        if time.monotonic() - start > TRAIN_SECONDS and len(updates) >= 3:
            break
    client.predict(api_name="/stop")
    steps = [_step_in_title(u[0]) for u in updates]
    assert steps == sorted(steps) and steps[-1] > steps[0], steps
    assert len(_points(updates[-1][0])) > len(_points(updates[0][0]))
    first, last = (np.asarray(Image.open(u[3])) for u in (updates[0], updates[-1]))
    assert first.shape == last.shape == (604, 604)  # 10x10 grid of 28 px + padding, upscaled x2
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 1.0, "the fixed-noise grid did not change"


def test_stop_ends_the_train_stream_within_seconds(client: Client) -> None:
    job = client.submit(steps=100_000, api_name="/train")
    deadline = time.monotonic() + 60
    while not job.outputs() and time.monotonic() < deadline:  # wait until training has started
        time.sleep(0.05)
    assert job.outputs(), "no update from /train within 60 s"
    status = client.predict(api_name="/stop")
    answered = time.monotonic()
    while not job.done() and time.monotonic() - answered < STREAM_END_S:
        time.sleep(0.02)
    ended = time.monotonic() - answered
    print(f"\nthe stream ended {ended:.2f} s after /stop answered")
    assert job.done(), f"the stream was still open {ended:.2f} s after /stop answered"
    assert "stopped" in status  # the status line (the Pause button is not an API output)
    assert "Start or Step begins a new one" in status
    assert "Start or Step begins a new one" in job.outputs()[-1][4], "the stream's last update lost the note"


def test_a_learning_rate_change_during_a_run_applies_from_the_next_step(client: Client) -> None:
    before = f"lr G {PRESETS[DEFAULT_PRESET]['g_lr']:g},"  # unset settings take the default preset's
    job = client.submit(steps=100_000, api_name="/train")
    try:
        deadline = time.monotonic() + 60
        while not any(before in u[4] for u in job.outputs()) and time.monotonic() < deadline:
            time.sleep(0.05)
        client.predict(g_lr=5e-4, d_lr=0.001, api_name="/update_settings")
        changed_at = len(job.outputs())
        while len(job.outputs()) < changed_at + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        statuses = [u[4] for u in job.outputs()]
    finally:
        client.predict(api_name="/stop")
    assert any(before in s for s in statuses[:changed_at])
    assert "lr G 0.0005, D 0.001" in statuses[-1]  # the optimiser's rate at the last step shown


def test_a_saved_checkpoint_loads_back_for_exploring(client: Client) -> None:
    weights, sidecar = client.predict(api_name="/save_checkpoint")  # the run of the session fixture
    assert weights.endswith(".safetensors") and sidecar.endswith(".json")
    client.predict(upload=handle_file(weights), api_name="/load_checkpoint")
    label = f"{Path(weights).stem} (uploaded)"
    image = client.predict(model=label, seed=3, digit=0, z="", api_name="/generate")
    assert np.asarray(Image.open(image)).shape[:2] == (392, 392)


def test_a_run_with_weight_averaging_saves_the_averaged_generator(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    client.predict(ema_decay=0.9, api_name="/step")
    _weights, sidecar = client.predict(api_name="/save_checkpoint")
    assert json.loads(Path(sidecar).read_text())["config"]["ema_decay"] == 0.9


def test_generate_returns_a_large_image_that_depends_on_z(client: Client) -> None:
    from_seed = np.asarray(Image.open(client.predict(model=LIVE_RUN, seed=3, digit=0, z="", api_name="/generate")))
    z = ",".join(["2.5"] * 64)  # the fast preset's latent_dim
    from_z = np.asarray(Image.open(client.predict(model=LIVE_RUN, seed=3, digit=0, z=z, api_name="/generate")))
    assert from_seed.shape[:2] == from_z.shape[:2] == (392, 392)  # 28 px x 14, nearest-neighbour
    assert not np.array_equal(from_seed, from_z)


def test_a_conditional_run_draws_the_digit_asked_for(app_url: str) -> None:
    client = _client(app_url)
    client.predict(conditional=True, api_name="/step")
    three, five = (np.asarray(Image.open(client.predict(model=LIVE_RUN, seed=0, digit=d, z="", api_name="/generate")))
                   for d in (3, 5))
    assert not np.array_equal(three, five)  # same z, different label: G's input differs
    with pytest.raises(AppError, match="not one of the choices"):
        client.predict(model=LIVE_RUN, seed=0, digit=10, z="", api_name="/generate")


def test_explore_draws_readable_digits_right_after_start_without_training(app_url: str) -> None:
    """A fresh session (nothing trained) gets the shipped conditional DCGAN, and it draws the digit asked for."""
    from gan_explorer.classifier import load_classifier

    client, classifier = _client(app_url), load_classifier()
    model = default_model()
    assert model.endswith(SHIPPED_SUFFIX)
    for digit in (0, 3, 7):
        png = np.asarray(Image.open(client.predict(model=model, seed=digit, digit=digit, z="", api_name="/generate")))
        pixels = png[::14, ::14] if png.ndim == 2 else png[::14, ::14, 0]  # undo the 14x nearest upscale
        image = torch.from_numpy(pixels.astype(np.float32) / 127.5 - 1).reshape(1, 1, 28, 28)
        assert classifier(image).argmax(1).item() == digit


def test_interpolate_returns_a_strip_and_a_gif_with_one_frame_per_step(client: Client) -> None:
    strip, _animation, gif = client.predict(model=LIVE_RUN, start_seed=1, end_seed=2, start_digit=0, end_digit=0,
                                           steps=5, method="linear", api_name="/interpolate")
    assert np.asarray(Image.open(strip)).shape[:2] == (4 * 32, 4 * (5 * 30 + 2))  # 5 frames in a row, x4
    with Image.open(gif) as image:
        assert image.n_frames == 2 * 5 - 2  # forward then back (ping-pong loop)


def test_tsne_returns_a_scatter_with_every_generated_and_real_point(client: Client) -> None:
    plot = client.predict(model=LIVE_RUN, n=100, n_real=100, api_name="/tsne")
    traces = json.loads(plot["plot"])["data"]
    generated = sum(len(_points(plot, i)) for i, t in enumerate(traces) if "generated" in t["name"])
    real = sum(len(_points(plot, i)) for i, t in enumerate(traces) if "real" in t["name"])
    assert (generated, real) == (100, 100)


@pytest.mark.parametrize(("api_name", "kwargs", "message"), [
    ("/generate", {"model": LIVE_RUN, "seed": -1, "digit": 0, "z": ""}, r"Seed \(gives z\) must be a whole number"),
    ("/generate", {"model": LIVE_RUN, "seed": 0, "digit": 0, "z": "1,2"}, "exactly 64 values"),
    ("/generate", {"model": "no such model", "seed": 0, "digit": 0, "z": ""}, "Model: 'no such model' is not one"),
    # Every message names the control as the page labels it (ui/fields.py, config.LABELS).
    ("/train", {"steps": 10, "g_lr": 0.0}, "G learning rate must be"),
    ("/train", {"steps": 0}, r"Train for \(generator steps\) must be"),
    ("/train", {"steps": 10, "ema_decay": 1.5}, r"G weight averaging \(EMA decay, 0 = off\) must be"),
    ("/train", {"steps": 10, "architecture": "resnet"}, "Architecture: 'resnet' is not one of the choices"),
    ("/interpolate", {"model": LIVE_RUN, "start_seed": 1, "end_seed": 2, "start_digit": 0, "end_digit": 0,
                      "steps": 65, "method": "linear"}, "from 2 to 64; got 65"),
    ("/interpolate", {"model": LIVE_RUN, "start_seed": 1, "end_seed": 2, "start_digit": 0, "end_digit": 0,
                      "steps": 5, "method": "linear", "start_source": "Explore z"}, "Explore tab has no z"),
    ("/tsne", {"model": LIVE_RUN, "n": 50}, "Generated samples must be a whole number from 100"),
])
def test_invalid_input_gives_a_clear_error(client: Client, api_name: str, kwargs: dict, message: str,
                                           capfd: pytest.CaptureFixture) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(**kwargs, api_name=api_name)
    # A user's mistake is not a server error: it leaves no traceback in the log.
    assert "Traceback" not in capfd.readouterr().err


def test_sessions_are_isolated(app_url: str, client: Client) -> None:
    assert client.predict(model=LIVE_RUN, seed=0, digit=0, z="", api_name="/generate")  # its own run draws
    stranger = _client(app_url)  # a new session: it must not see the other session's run
    with pytest.raises(AppError, match="no live run yet"):
        stranger.predict(model=LIVE_RUN, seed=0, digit=0, z="", api_name="/generate")


def test_idle_sessions_expire_when_a_new_one_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from gan_explorer.ui import sessions

    registry = sessions.SessionRegistry()
    old = registry.get(SimpleNamespace(session_hash="old"))
    monkeypatch.setattr(sessions, "IDLE_EXPIRY_S", 0.0)
    time.sleep(0.01)
    registry.get(SimpleNamespace(session_hash="new"))
    assert registry.get(SimpleNamespace(session_hash="old")) is not old  # a fresh session replaced it


def test_the_app_prepares_mnist_and_the_nearest_image_index_before_the_first_visitor(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from gan_explorer import nearest
    from gan_explorer.ui import builder

    built = []
    real_build = nearest.TrainingImages.build
    monkeypatch.setattr(nearest.TrainingImages, "build", lambda data: built.append(1) or real_build(data))
    builder.build_demo()  # no request yet
    deadline = time.monotonic() + 30  # the warm-up thread may finish before or after build_demo returns
    while not built and time.monotonic() < deadline:
        time.sleep(0.05)
    assert built == [1]
