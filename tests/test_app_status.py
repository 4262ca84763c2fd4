"""The Train tab's status and charts always describe the current run, truthfully (gradio_client, MNIST needed)."""
from __future__ import annotations

import json
import os
import time

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from gan_explorer.ui.train_controls import build_settings

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
pytestmark = pytest.mark.timeout(180)
STATUS, SCORES, QUALITY, DIGITS = 4, 1, 5, 6  # indices in the live view's outputs


def _client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


def _layout(plot: dict) -> dict:
    return json.loads(plot["plot"])["layout"]


def _train_until_done(client: Client, seconds: float, **settings) -> tuple[list, bool]:
    """Start a run and watch it until its stream ends (True) or `seconds` pass (False; then stop it)."""
    job = client.submit(steps=100_000, **settings, api_name="/train")
    deadline = time.monotonic() + seconds
    while not job.done() and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = job.done()
    if not ended:
        client.predict(api_name="/stop")
    job.result()
    return job.outputs(), ended


def test_a_run_at_learning_rate_1_is_stopped_and_told_what_to_try(app_url: str) -> None:
    client = _client(app_url)
    outputs, ended = _train_until_done(client, 60, g_lr=1.0, d_lr=1.0)
    assert ended, "the run at lr 1.0 trained on for a minute"
    status = outputs[-1][STATUS]
    assert "Diverged: the losses are exploding" in status and "learning rate" in status
    assert "stopped" in status and "gx-error" in status


def test_stop_then_step_starts_a_new_run_without_the_old_runs_message(app_url: str) -> None:
    client = _client(app_url)
    outputs, _ = _train_until_done(client, 60, g_lr=1.0, d_lr=1.0)
    assert "Diverged" in outputs[-1][STATUS]
    status = client.predict(api_name="/step")[STATUS]
    assert "<b>Step 1</b>" in status and "Diverged" not in status and "gx-error" not in status


def test_step_then_start_counts_this_start_from_the_step_it_began_at(app_url: str) -> None:
    client = _client(app_url)
    for _ in range(2):
        client.predict(api_name="/step")
    job = client.submit(steps=40, api_name="/train")
    job.result()
    status = job.outputs()[-1][STATUS]
    assert "<b>Step 42</b> of 42 (this Start: 40 of 40)" in status
    assert '<progress value="40" max="40">' in status
    status = client.predict(api_name="/step")[STATUS]  # by hand again: no Start target to count towards
    assert "<b>Step 43</b> ·" in status and "of 42" not in status


def test_a_critics_scores_are_labelled_scores_not_probabilities(app_url: str) -> None:
    client = _client(app_url)
    outputs = client.predict(loss="wgan_gp", beta1=0.0, beta2=0.9, n_critic=5, api_name="/step")
    layout = _layout(outputs[SCORES])
    assert layout["title"]["text"].startswith("What the critic says")
    assert layout["yaxis"]["title"]["text"] == "score (not a probability)"
    assert "scores, not probabilities" in outputs[STATUS] and "below zero are normal" in outputs[STATUS]
    bce = client.predict(loss="non_saturating", api_name="/step")
    assert _layout(bce[SCORES])["yaxis"]["title"]["text"] == "D output"
    assert "not probabilities" not in bce[STATUS]


def test_an_invalid_live_value_is_refused_and_the_field_gets_the_value_in_force(app_url: str) -> None:
    client = _client(app_url)
    client.predict(d_lr=0.001, api_name="/step")
    values = client.predict(d_lr=5.0, api_name="/update_settings")  # clip, d_lr, g_lr, gp, smoothing, n_critic, r1
    assert values[1] == 0.001
    assert client.predict(d_lr=0.0005, api_name="/update_settings")[1] == 0.0005  # a valid one applies


def test_loading_a_shipped_checkpoint_fills_the_settings_and_draws_its_quality_and_digits(app_url: str) -> None:
    client = _client(app_url)
    outputs = client.predict(shipped="dcgan (shipped)", api_name="/load_shipped")
    with gr.Blocks():
        names = list(build_settings()[1])
    *setting_values, preset_shown = outputs[-len(names) - 1:]  # the settings, then the preset box, come last
    settings = dict(zip(names, setting_values, strict=True))
    assert preset_shown["value"] is None  # the preset box no longer claims the form holds `fast`
    assert settings["architecture"] == "dcgan" and settings["conditional"] is False
    assert settings["dcgan_fc"] == 128 and settings["batch_size"] == 256 and settings["ema_decay"] == 0.999
    live = outputs[4:]  # after the model pickers of Explore, Interpolate, t-SNE and Draw
    quality = json.loads(live[QUALITY]["plot"])["data"]
    assert quality[0]["x"] and "16,000" in live[STATUS]
    assert "Healthy" in live[STATUS]
    digits = json.loads(live[DIGITS]["plot"])
    assert "step 16000" in digits["layout"]["title"]["text"]


def test_a_damaged_upload_is_refused_with_a_message(app_url: str, tmp_path) -> None:
    from gradio_client import handle_file

    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(AppError, match="not a readable safetensors file"):
        _client(app_url).predict(upload=handle_file(str(damaged)), api_name="/load_checkpoint")


def test_a_checkpoint_shows_the_quality_checks_saved_with_it_else_its_cards_and_a_fresh_one() -> None:
    from types import SimpleNamespace

    from gan_explorer.ui.train_tab import checkpoint_quality

    saved = [{"step": 250, "fid": 90.0, "inception_score": 5.0, "confident_share": 0.4},
             {"step": 500, "fid": 40.0, "inception_score": 7.0, "confident_share": 0.7}]
    calls = []

    def quality_fn(generator):
        calls.append(generator)
        return {"fid": 3.0, "inception_score": 9.0, "confident_share": 0.95}

    app_saved = SimpleNamespace(step=500, generator="G", info={"quality": saved})
    assert checkpoint_quality(app_saved, quality_fn) == saved and calls == []  # drawn as saved, not redone
    card = {"fid": 2.0, "inception_score": 9.0, "class_histogram": [0.1] * 10,
            "floor": {"fid": 1.3, "inception_score": 9.7}}
    shipped = SimpleNamespace(step=16000, generator="G", info={"metrics": card})
    assert checkpoint_quality(shipped, None) == [{"step": 16000, "fid": 2.0, "inception_score": 9.0,
                                                  "class_histogram": [0.1] * 10, "fid_floor": 1.3, "is_floor": 9.7}]
    fresh = checkpoint_quality(shipped, quality_fn)  # the card lacks readability: one fresh check replaces it
    assert fresh == [{"step": 16000, "fid": 3.0, "inception_score": 9.0, "confident_share": 0.95}]


@pytest.mark.parametrize("architecture, conditional", [("mlp", False), ("dcgan", True)])
def test_a_saved_runs_grid_shows_the_same_noise_as_the_run_did(mnist, tmp_path, architecture, conditional) -> None:
    import numpy as np

    from gan_explorer.checkpoints import load_checkpoint, save_checkpoint
    from gan_explorer.config import TrainConfig
    from gan_explorer.data import MNISTTensors
    from gan_explorer.images import grid
    from gan_explorer.trainer import GRID_SIDE, Trainer
    from gan_explorer.ui.train_tab import GRID_SCALE, checkpoint_view

    config = TrainConfig(architecture=architecture, conditional=conditional, latent_dim=16, batch_size=16,
                         dcgan_width=8, mlp_g_hidden=(32,), mlp_d_hidden=(32,), seed=3)
    trainer = Trainer(config, "cpu", data=MNISTTensors(mnist.images[:64], mnist.labels[:64]))
    trainer.step()
    run_grid = grid(trainer.sample_fixed(), nrow=GRID_SIDE, scale=GRID_SCALE)
    loaded = load_checkpoint(save_checkpoint(trainer.to_checkpoint(), tmp_path / "run.safetensors"))
    shown = [output for output in checkpoint_view(loaded) if isinstance(output, np.ndarray)]
    assert len(shown) == 1 and np.array_equal(shown[0], run_grid)
