"""The 2-D lab's comparison (ui/lab_compare.py) through its handlers, as Gradio calls them, without a server:
Start trains run B beside run A in turn and draws two captioned planes, Step / D step / G step / Stop act on
both, a lab lesson fills the lab's form and "Compare with", and a comparison of a run with itself is refused."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr
import pytest
import torch

from gan_explorer import plane
from gan_explorer.forkserver import Forkserver
from gan_explorer.lessons import LESSONS
from gan_explorer.presets import preset
from gan_explorer.ui import lab_tab
from gan_explorer.ui.compare_view import NO_COMPARISON
from gan_explorer.ui.lab_form import FORM as FORM_FIELDS
from gan_explorer.ui.lab_form import preset_values
from gan_explorer.ui.sessions import SessionRegistry

LAYERS = list(plane.LAYERS)
SLOW_D = preset("ring-slow-d")
FORM = ("ring-slow-d", *preset_values("ring-slow-d"))  # the lab's preset and form holding ring-slow-d

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: as the lab's runs train


@pytest.fixture
def tab(forkserver: Forkserver) -> Iterator[lab_tab.LabTab]:
    with gr.Blocks():
        built = lab_tab.build(registry := SessionRegistry(apart=forkserver))
    yield built
    for key in list(registry._sessions):
        registry.close(gr.Request(session_hash=key))


def _request() -> gr.Request:
    return gr.Request(session_hash="lab-compare-test")


def _step(plane_value: Any) -> int:
    return json.loads(plane_value)["step"]


def test_start_with_a_comparison_trains_both_runs_in_turn_and_draws_two_captioned_planes(tab) -> None:
    *_, last = lab_tab.start(tab, *FORM, None, "ring-wgan-gp", 100, LAYERS, _request())
    session = tab.registry.get(_request())
    assert [run.trainer.step_count for run in session.runs] == [100, 100]
    assert session.rival.trainer.config.loss == "wgan_gp" and session.rival.trainer.config.seed == SLOW_D.seed
    assert _step(last[tab.planes.plot_a]) == _step(last[tab.planes.plot_b]) == 100
    assert last[tab.planes.caption_a].value.startswith("**A: loss non_saturating")
    assert last[tab.planes.caption_b].startswith("**B: loss wgan_gp")
    for run in session.runs:  # the check of step 100 runs beside the training thread
        run.quality_thread.join()
    status = lab_tab.redraw(tab, LAYERS, _request())[tab.status]
    # each run's diagnosis, by name: the lesson's A collapses, its B covers all 8 (docs/lab2d.md)
    assert "**A**: Mode collapse" in status and "**B**: Healthy: all 8 modes covered" in status, status
    modes = json.loads(lab_tab.frame(tab, session, LAYERS)[tab.modes])["data"]  # and its chart of the checks
    assert [trace["y"] for trace in modes[:4]] == [[1 / 8], [pytest.approx(0.19, abs=0.01)], [1.0], [pytest.approx(0.17, abs=0.01)]]


def test_the_forms_optimisers_train_run_a_and_run_b_keeps_its_presets(tab) -> None:
    form = dict(zip(FORM_FIELDS, FORM[1:], strict=True)) | {"g_optimizer": "sgd", "d_optimizer": "rmsprop"}
    *_, last = lab_tab.start(tab, "ring-slow-d", *form.values(), None, "ring-wgan-gp", 3, LAYERS, _request())
    run_a, run_b = (run.trainer for run in tab.registry.get(_request()).runs)
    assert (type(run_a.g_optimizer), type(run_a.d_optimizer)) == (torch.optim.SGD, torch.optim.RMSprop)
    assert (run_a.config.g_optimizer, run_a.config.d_optimizer, run_a.step_count) == ("sgd", "rmsprop", 3)
    assert type(run_b.g_optimizer) is type(run_b.d_optimizer) is torch.optim.Adam
    assert "g_optimizer sgd" in last[tab.planes.caption_a].value  # the caption names what differs


def test_without_a_comparison_start_draws_one_plane(tab) -> None:
    *_, last = lab_tab.start(tab, *FORM, None, NO_COMPARISON, 2, LAYERS, _request())
    assert tab.planes.plot_b not in last and tab.registry.get(_request()).rival is None
    assert "**A**" not in last[tab.status]


def test_step_d_step_and_g_step_move_both_runs(tab) -> None:
    lab_tab.step(tab, "step", *FORM, None, "ring-wgan-gp", LAYERS, _request())
    session = tab.registry.get(_request())
    assert [run.trainer.step_count for run in session.runs] == [1, 1]
    said = lab_tab.step(tab, "d", *FORM, None, "ring-wgan-gp", LAYERS, _request())[tab.status]
    assert "A: D step: D(x)" in said and "B: D step: D(x)" in said
    said = lab_tab.step(tab, "g", *FORM, None, "ring-wgan-gp", LAYERS, _request())[tab.status]
    assert "A: G step: D(G(z))" in said and "B: G step: D(G(z))" in said
    assert [run.trainer.step_count for run in session.runs] == [2, 2]


def test_stop_ends_both_runs_and_draws_where_they_stopped(tab) -> None:
    stream = lab_tab.start(tab, *FORM, None, "ring-wgan-gp", 100_000, LAYERS, _request())
    next(stream)
    session = tab.registry.get(_request())
    deadline = time.monotonic() + 30
    while session.run.trainer.step_count < 2 and time.monotonic() < deadline:  # a speed needs two steps
        time.sleep(0.02)
    shown = lab_tab.stop(tab, LAYERS, _request())
    assert not session.running and all(run.trainer.stopped for run in session.runs)
    steps = session.run.trainer.step_count
    assert steps < 100_000
    assert f"**Step {steps:,}**" in shown[tab.status]  # the status line is not a second behind the planes
    # the runs take turns: the pair's speed counts both runs' time, not run A's alone
    both = sum(run.trainer.train_seconds for run in session.runs)
    assert f" · {steps / both:,.0f} steps/s" in shown[tab.status]
    assert json.loads(shown[tab.planes.plot_a])["step"] == steps == json.loads(shown[tab.planes.plot_b])["step"]


def test_slow_motion_makes_a_training_run_rest_after_each_step_until_it_is_turned_off(tab) -> None:
    """One step per frame: ticked before Start or while the run trains, the training thread rests
    SLOW_MOTION_REST_S after each step (the status says so); unticked, it trains at full speed again;
    Stop ends a rest at once."""
    said = lab_tab.slow_motion(tab, True, _request())
    stream = lab_tab.start(tab, *FORM, None, NO_COMPARISON, 100_000, LAYERS, _request())
    first = next(stream)
    session = tab.registry.get(_request())
    time.sleep(1.0)
    slow_steps = session.run.trainer.step_count
    assert 1 <= slow_steps <= 1.0 / lab_tab.SLOW_MOTION_REST_S + 2, slow_steps
    assert "slow motion" in lab_tab.redraw(tab, LAYERS, _request())[tab.status] and "No run yet" in said
    assert "steps/s" not in first[tab.status]
    lab_tab.slow_motion(tab, False, _request())
    time.sleep(0.5)
    assert session.run.trainer.step_count > slow_steps + 20  # full speed: hundreds of steps a second
    session.rest_s = 30.0
    time.sleep(0.2)
    started = time.monotonic()
    lab_tab.stop(tab, LAYERS, _request())
    assert not session.running and time.monotonic() - started < 5


def test_learning_rates_changed_while_a_run_trains_apply_from_its_next_step(tab) -> None:
    stream = lab_tab.start(tab, *FORM, None, "ring-wgan-gp", 100_000, LAYERS, _request())
    next(stream)
    session = tab.registry.get(_request())
    trainer = session.run.trainer
    assert lab_tab.update_rates(tab, SLOW_D.g_lr, 1e-3, _request()) == (SLOW_D.g_lr, 1e-3)
    assert trainer.config.d_lr == 1e-3 and trainer.d_optimizer.param_groups[0]["lr"] == 1e-3
    assert session.rival.trainer.config.d_lr == preset("ring-wgan-gp").d_lr  # the form is run A's
    with pytest.warns(UserWarning, match="G learning rate must be .* Training goes on with the value in force"):
        assert lab_tab.update_rates(tab, -1, 1e-3, _request()) == (SLOW_D.g_lr, 1e-3)  # refused: the rate in force
    assert trainer.config.g_lr == SLOW_D.g_lr
    lab_tab.stop(tab, LAYERS, _request())
    assert isinstance(lab_tab.update_rates(tab, 5e-4, 5e-4, _request())[0], dict)  # stopped: the next Start reads them


def test_run_b_learns_run_as_points(tab) -> None:
    lab_tab.step(tab, "step", "ring", "grid", "non_saturating", "adam", "adam", 1e-3, 1e-3, None, "ring-wgan-gp",
                 LAYERS, _request())
    assert tab.registry.get(_request()).rival.trainer.config.dataset == "grid"


def test_comparing_a_run_with_itself_is_a_clear_message(tab) -> None:
    with pytest.raises(gr.Error, match="same settings"):
        lab_tab.step(tab, "step", "ring", *preset_values("ring"), None, "ring", LAYERS, _request())


def test_choosing_a_lab_lesson_fills_the_lab_and_its_comparison_and_leaves_the_train_form() -> None:
    from gan_explorer.ui.builder import build_demo

    demo = build_demo()
    choose = next(f for f in demo.fns.values() if f.fn is not None and f.fn.__name__ == "choose")
    by_id = dict(zip([getattr(c, "elem_id", None) for c in choose.outputs],
                     choose.fn("mode-collapse-2d"), strict=True))
    lesson = LESSONS["mode-collapse-2d"]
    assert by_id["lab-preset"] == lesson.runs[0] == "ring-slow-d" and by_id["lab-compare"] == "ring-wgan-gp"
    assert (by_id["lab-loss"], by_id["lab-d_lr"]) == (SLOW_D.loss, SLOW_D.d_lr)
    assert (by_id["lab-g_optimizer"], by_id["lab-d_optimizer"]) == (SLOW_D.g_optimizer, SLOW_D.d_optimizer)
    assert isinstance(by_id["train-compare"], dict) and isinstance(by_id["train-preset"], dict)  # gr.skip()
    one_run = dict(zip([getattr(c, "elem_id", None) for c in choose.outputs], choose.fn("gradients-2d"), strict=True))
    assert one_run["lab-preset"] == "ring" and one_run["lab-compare"] == NO_COMPARISON
    train = dict(zip([getattr(c, "elem_id", None) for c in choose.outputs], choose.fn("mode-collapse"), strict=True))
    assert isinstance(train["lab-preset"], dict) and train["train-compare"] == LESSONS["mode-collapse"].runs[1]


def test_a_2d_checkpoint_uploaded_to_the_image_tabs_is_refused_with_where_it_belongs(tmp_path) -> None:
    # the image tabs' grid, timelapse and replay have nothing to draw of points (the lab has no timelapse)
    from gan_explorer.checkpoints import save_checkpoint
    from gan_explorer.sessions import Session
    from gan_explorer.trainer import Trainer
    from gan_explorer.ui.common import load_upload

    path = save_checkpoint(Trainer(preset("ring"), "cpu").to_checkpoint({}), tmp_path / "ring.safetensors")
    session = Session()
    with pytest.raises(gr.Error, match=r"ring.safetensors learned points \(ring\), not images.*2-D lab"):
        load_upload(session, str(path))
    assert not session.checkpoints


def test_nothing_in_the_lab_offers_a_timelapse_or_replay() -> None:
    with gr.Blocks() as demo:
        lab_tab.build(SessionRegistry())
    words = [str(getattr(block, attr, "") or "").lower() for block in demo.blocks.values()
             for attr in ("label", "value", "elem_id") if isinstance(getattr(block, attr, ""), str | None)]
    assert words and not [w for w in words if "timelapse" in w or "replay" in w or ".gif" in w]


def test_the_app_trains_the_labs_runs_in_processes_of_their_own_and_the_train_tabs_in_their_thread() -> None:
    from gan_explorer.ui.builder import build_demo

    demo = build_demo()
    registries = [f.fn.__self__ for f in demo.fns.values()
                  if f.fn is not None and isinstance(getattr(f.fn, "__self__", None), SessionRegistry)]
    assert sorted(type(r.apart).__name__ for r in registries) == ["Forkserver", "NoneType"]
    lab = next(r for r in registries if r.apart is not None)
    assert lab.get(_request()).apart is lab.apart
