"""Compare through gradio_client, against a real launched server (MNIST needed): /train with its
defaults still trains one run; with "Compare with (run B)" it trains two side by side, which Step,
Pause, Stop and Save act on together; a bad comparison is a clear message."""
from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

STATUS, GRID_B, CAPTION_B = 4, 9, 10  # in /train's outputs: the live view's, then run B's grid and caption
pytestmark = pytest.mark.timeout(180)


def _client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


def _traces(plot: dict) -> list[dict]:
    return json.loads(plot["plot"])["data"]


def test_train_with_its_defaults_still_trains_one_run(app_url: str) -> None:
    outputs = _client(app_url).predict(steps=3, api_name="/train")
    assert len(outputs) == 11 and outputs[GRID_B] is None and outputs[CAPTION_B] == ""
    assert "<b>Step 3</b>" in outputs[STATUS] and "runs A and B" not in outputs[STATUS]
    assert [t.get("line", {}).get("dash") for t in _traces(outputs[0])] == [None, None]


def test_train_with_a_comparison_trains_both_runs_side_by_side(app_url: str) -> None:
    client = _client(app_url)
    outputs = client.predict(steps=3, compare_with="slow-g", api_name="/train")
    status = outputs[STATUS]
    assert "<b>Step 3</b>" in status and "runs A and B in turn" in status, status
    # each run's own diagnosis, or one for both while they agree (three steps in: no verdict on either)
    assert ("A: g_lr 0.002, d_lr 0.002 · " in status and "B: g_lr 0.0001, d_lr 0.001 · " in status
            or "A and B · " in status)
    assert Path(outputs[GRID_B]).suffix == ".png" and outputs[CAPTION_B].startswith("**B: g_lr 0.0001, d_lr 0.001**")
    losses = _traces(outputs[0])
    assert [t.get("line", {}).get("dash") for t in losses if t["x"] != [None]] == [None, None, "dash", "dash"]
    assert [t["name"] for t in losses if t.get("showlegend") is not False][-2:] == ["A: g_lr 0.002, d_lr 0.002",
                                                                                  "B: g_lr 0.0001, d_lr 0.001"]
    stepped = client.predict(compare_with="slow-g", api_name="/step")  # Step: one step of each
    assert "<b>Step 4</b>" in stepped[STATUS] and "runs A and B in turn" in stepped[STATUS]
    halves = client.predict(compare_with="slow-g", api_name="/d_step")[STATUS]  # slow motion: each run too
    assert "A: D step: D(x) " in halves and " · B: D step: D(x) " in halves, halves
    rows = list(csv.DictReader(Path(client.predict(api_name="/export_csv")).read_text().splitlines()))
    assert [(r["run"], int(r["step"])) for r in rows] == [("A", s) for s in range(1, 5)] + [("B", s) for s in range(1, 5)]
    one_grid = 604  # as the single run's export (test_replay)
    assert Image.open(client.predict(api_name="/export_grid")).size[0] > 2 * one_grid
    gif = Image.open(client.predict(api_name="/export_gif"))
    assert gif.size[0] > 2 * one_grid and gif.n_frames >= 2
    saved = client.predict(api_name="/save_checkpoint")
    assert sorted(Path(p).name.split("-gan-")[0] for p in saved) == ["run-A", "run-A", "run-B", "run-B"]
    sidecars = [json.loads(Path(p).read_text()) for p in saved if p.endswith(".json")]
    assert sorted(s["config"]["g_lr"] for s in sidecars) == [1e-4, 2e-3] and {s["step"] for s in sidecars} == {4}
    loaded = client.predict(shipped="dcgan (shipped)", api_name="/load_shipped")  # the stage shows one model
    assert loaded[4 + 9] == "No comparison"  # after the 4 model pickers and the live view: run B's grid goes


def test_pause_and_stop_act_on_both_runs_of_a_comparison(app_url: str) -> None:
    client = _client(app_url)
    job = client.submit(steps=100_000, compare_with="slow-g", api_name="/train")
    try:
        deadline = time.monotonic() + 60
        while not job.outputs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.outputs(), "no update from /train within 60 s"
        status = client.predict(api_name="/pause")  # the Pause button is not an API output
        assert "<b>paused</b>" in status
    finally:
        status = client.predict(api_name="/stop")
    assert "<b>stopped</b>" in status and "runs A and B in turn" in status  # B stopped at A's step
    deadline = time.monotonic() + 10
    while not job.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.done(), "the stream was still open 10 s after /stop"


@pytest.mark.parametrize(("settings", "message"), [
    ({"compare_with": "no-such-preset"}, r"Compare with \(run B\): 'no-such-preset' is not one of the choices"),
    ({"compare_with": "fast"}, "The two runs have the same settings"),  # run B would be run A again
])
def test_a_bad_comparison_is_a_clear_message(app_url: str, settings: dict, message: str) -> None:
    with pytest.raises(AppError, match=message):
        _client(app_url).predict(steps=3, **settings, api_name="/train")


def test_a_pair_lesson_sets_run_b_and_a_lesson_of_one_run_clears_it(app_url: str) -> None:
    client = _client(app_url)
    pair = client.predict("saturating-loss", api_name="/lesson")
    assert pair[2] == "minimax-strong-d" and pair[-1] == "non-saturating-strong-d"  # run A's preset, run B
    assert "second browser tab" not in pair[1] and "side by side" in pair[1]
    assert client.predict("what-g-and-d-do", api_name="/lesson")[-1] == "No comparison"


def test_the_replay_slider_moves_run_b_grid_with_run_a(mnist) -> None:
    from gan_explorer.compare import paired
    from gan_explorer.config import TrainConfig
    from gan_explorer.sessions import Session
    from gan_explorer.timelapse import DEFAULT_EVERY
    from gan_explorer.trainer import Trainer
    from gan_explorer.ui.live_view import replay_view, rival_replay_view

    a = TrainConfig(architecture="mlp", mlp_g_hidden=(32,), mlp_d_hidden=(32,), latent_dim=8, batch_size=16)
    session = Session()
    session.adopt(Trainer(a, "cpu", data=mnist), Trainer(paired(a, a.replace(loss="minimax")), "cpu", data=mnist))
    for _ in range(DEFAULT_EVERY):  # to the next kept grid
        session.step()
    grid_a, caption_a = replay_view(session, 0)[3:]
    grid_b, caption_b = rival_replay_view(session, 0)
    assert caption_a.startswith("**Replay: step 0**") and caption_b.endswith("**Replay: step 0**")
    assert (grid_a == grid_b).all()  # at step 0 both runs draw the same z with the same weights
    assert not (rival_replay_view(session, DEFAULT_EVERY)[0] == grid_b).all()


def test_the_status_line_names_the_run_that_diverged(mnist) -> None:
    import dataclasses
    import math

    import torch

    from gan_explorer.compare import paired
    from gan_explorer.config import TrainConfig
    from gan_explorer.sessions import Session
    from gan_explorer.trainer import Trainer
    from gan_explorer.ui.status import run_status

    a = TrainConfig(architecture="mlp", mlp_g_hidden=(32,), mlp_d_hidden=(32,), latent_dim=8, batch_size=16)
    rival = Trainer(paired(a, a.replace(loss="minimax")), "cpu", data=mnist)
    launch = rival._launch
    rival._launch = lambda: dataclasses.replace(launch(), values=torch.full((6,), math.nan))  # B blows up
    session = Session()
    session.start_run(Trainer(a, "cpu", data=mnist), 100, None, 250, rival=rival)
    session.thread.join(30)
    status = run_status(session)
    assert "B: loss minimax · Training diverged at step 1" in status and "Both runs were stopped." in status
    assert "A: loss non_saturating · " in status and "<b>stopped</b>" in status


def test_a_live_learning_rate_change_applies_to_run_a_only(app_url: str) -> None:
    client = _client(app_url)
    client.predict(steps=2, compare_with="slow-g", api_name="/train")
    client.predict(g_lr=5e-4, d_lr=1e-3, api_name="/update_settings")  # the form is run A's
    rates = {Path(p).name[:5]: json.loads(Path(p).read_text())["config"]["g_lr"]
             for p in client.predict(api_name="/save_checkpoint") if p.endswith(".json")}
    assert rates == {"run-A": 5e-4, "run-B": 1e-4}
