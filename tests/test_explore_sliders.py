"""Explore's sliders, as wired: a move redraws G(z) alone, the latest values winning; the release also
finds the nearest training image (a second picture per move would halve the drawings a drag gets).

Not a timing test: benchmarks/slider_rate.py measures updates per second in Chromium; the browser
test (test_browser_sliders.py) checks the pictures left standing after a real drag.
"""
from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import torch

from gan_explorer.latent import generate, latent_from_seed, with_slider_values
from gan_explorer.ui import explore_tab
from gan_explorer.ui.common import default_model, resolve_generator
from gan_explorer.ui.sessions import SessionRegistry


def _built() -> tuple[gr.Blocks, explore_tab.ExploreTab, list[torch.Tensor]]:
    looked_up: list[torch.Tensor] = []

    def nearest(image: torch.Tensor) -> torch.Tensor:
        looked_up.append(image)
        return -image  # any picture of the right shape: what matters here is when it is asked for

    with gr.Blocks() as demo:
        tab = explore_tab.build(SessionRegistry(), nearest)
    return demo, tab, looked_up


def _handler(demo: gr.Blocks, tab: explore_tab.ExploreTab, event: str):
    """The one handler every slider's `event` triggers (and its trigger mode)."""
    fns = [fn for fn in demo.fns.values() if any(target == (tab.sliders[0]._id, event) for target in fn.targets)]
    assert len(fns) == 1, f"{len(fns)} handlers on a slider's .{event}"
    fn = fns[0]
    assert {(slider._id, event) for slider in tab.sliders} <= set(fn.targets), "not every slider is wired"
    return fn


def _call(fn, tab: explore_tab.ExploreTab, values: list[float]) -> dict:
    request = SimpleNamespace(session_hash="student")
    return fn.fn(request, default_model(), [], 0, 0, len(values), *values)  # model, z, seed, digit 0, k


def test_a_moving_slider_redraws_g_of_z_without_the_nearest_image_and_the_latest_values_win() -> None:
    demo, tab, looked_up = _built()
    moving = _handler(demo, tab, "input")
    # always_last: one drawing out per page, the next one reading the sliders when it goes
    assert moving.trigger_mode == "always_last"
    assert tab.nearest not in moving.outputs and {tab.image, tab.z} <= set(moving.outputs)
    values = [0.5, -1.0, 2.0]
    drawn = _call(moving, tab, values)
    assert looked_up == [], "the nearest-image search ran while the slider moved"
    generator = resolve_generator(tab.registry.get(SimpleNamespace(session_hash="student")), default_model())
    z = with_slider_values(latent_from_seed(0, generator.latent_dim), values)
    assert drawn[tab.z] == z.tolist()
    assert (drawn[tab.image] == explore_tab.big_image(generate(generator, z, explore_tab.check_digit(generator, 0)))).all()


def test_releasing_a_slider_finds_the_nearest_training_image_of_the_final_picture() -> None:
    demo, tab, looked_up = _built()
    released = _handler(demo, tab, "release")
    assert tab.nearest in released.outputs and tab.image in released.outputs
    drawn = _call(released, tab, [0.5, -1.0, 2.0])
    generator = resolve_generator(tab.registry.get(SimpleNamespace(session_hash="student")), default_model())
    final = generate(generator, torch.tensor(drawn[tab.z]), explore_tab.check_digit(generator, 0))
    assert len(looked_up) == 1 and torch.equal(looked_up[0], final[0])
    assert (drawn[tab.nearest] == explore_tab.big_image(-final[:1])).all()
