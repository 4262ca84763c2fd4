"""Explore's sliders, as wired: while a slider moves, G(z) comes from a plain route (slider_route.py)
that draws what the session remembers Explore shows; the release draws through Gradio, with the
nearest training image (a second picture per move would halve the drawings a drag gets).

Not a timing test: benchmarks/slider_rate.py measures updates per second in Chromium; the browser
test (test_browser_sliders.py) checks the pictures left standing after a real drag.
"""
from __future__ import annotations

import asyncio
import io
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from gan_explorer.latent import generate, latent_from_seed, with_slider_values
from gan_explorer.ui import directions_panel, explore_tab, slider_route
from gan_explorer.ui.common import LIVE_RUN, default_model, resolve_generator
from gan_explorer.ui.sessions import SessionRegistry

STUDENT = SimpleNamespace(session_hash="student")


def _built() -> tuple[gr.Blocks, explore_tab.ExploreTab, list[torch.Tensor]]:
    looked_up: list[torch.Tensor] = []

    def nearest(image: torch.Tensor) -> torch.Tensor:
        looked_up.append(image)
        return -image  # any picture of the right shape: what matters here is when it is asked for

    with gr.Blocks() as demo:
        tab = explore_tab.build(SessionRegistry(), nearest)
    return demo, tab, looked_up


def _handler(demo: gr.Blocks, name: str, trigger: tuple[int, str] | None = None):
    """The handler `name` (the one that `trigger`, a (block id, event), fires)."""
    fns = [fn for fn in demo.fns.values() if fn.name == name and (trigger is None or trigger in fn.targets)]
    assert len(fns) == 1, f"{len(fns)} handlers named {name}"
    return fns[0]


def _released(demo: gr.Blocks, tab: explore_tab.ExploreTab):
    return _handler(demo, "render", (tab.sliders[0]._id, "release"))


def _png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def test_no_gradio_event_fires_while_a_slider_moves_and_the_release_redraws_every_slider() -> None:
    demo, tab, _ = _built()
    on_move = [fn for fn in demo.fns.values() for block, event in fn.targets
               if event == "input" and block in {slider._id for slider in tab.sliders}]
    assert not on_move, "a Gradio event per move: the page's front end would cap the drag's pictures"
    released = _released(demo, tab)
    assert {(slider._id, "release") for slider in tab.sliders} <= set(released.targets)
    assert released.trigger_mode == "always_last"


def test_every_change_of_model_z_digit_or_slider_count_is_remembered_for_the_route() -> None:
    demo, tab, _ = _built()
    remember = _handler(demo, "remember_explore")
    assert {(tab.z._id, "change"), (tab.model._id, "change"), (tab.digit._id, "change"),
            (tab.k._id, "change")} <= set(remember.targets)
    remember.fn(STUDENT, default_model(), [0.25] * 3, 7, 0, 5)
    assert tab.registry.get(STUDENT).moving["explore"] == (default_model(), [0.25] * 3, 7, 0, 5)


def _route(tab: explore_tab.ExploreTab, values: str) -> bytes:
    return slider_route.moving_picture(tab.registry, {"explore": explore_tab.MOVING}, "explore", "student", values)


def test_the_route_draws_g_at_the_remembered_z_with_the_moving_values_in_its_first_dimensions() -> None:
    demo, tab, _ = _built()
    _handler(demo, "remember_explore").fn(STUDENT, default_model(), [], 3, 0, 4)  # seed 3, 4 sliders
    values = [0.5, -1.0, 2.0, 1.5, 2.5]  # one more than the four sliders shown: ignored
    generator = resolve_generator(tab.registry.get(STUDENT), default_model())
    z = with_slider_values(latent_from_seed(3, generator.latent_dim), values[:4])
    expected = explore_tab.big_image(generate(generator, z, explore_tab.check_digit(generator, 0)))
    assert np.array_equal(_png(_route(tab, ",".join(map(str, values)))), expected)


def test_a_direction_slider_draws_through_the_route_too_and_through_gradio_only_on_release() -> None:
    demo, tab, _ = _built()
    generator = resolve_generator(tab.registry.get(STUDENT), default_model())
    shown = torch.linalg.qr(torch.randn(generator.latent_dim, 2))[0].T.tolist()
    slide = _handler(demo, "slide")
    assert all(event == "release" for _, event in slide.targets), "a Gradio event per move of a direction"
    _handler(demo, "remember_directions").fn(STUDENT, default_model(), [], 0, shown)
    routed = slider_route.moving_picture(tab.registry, {"directions": directions_panel.MOVING}, "directions",
                                         "student", "1.5,-0.5")
    released = slide.fn(STUDENT, default_model(), [], 0, shown, 1.5, -0.5)
    assert np.array_equal(_png(routed), released)


def test_releasing_a_slider_finds_the_nearest_training_image_of_the_final_picture() -> None:
    demo, tab, looked_up = _built()
    drawn = _released(demo, tab).fn(STUDENT, default_model(), [], 0, 0, 3, 0.5, -1.0, 2.0)
    generator = resolve_generator(tab.registry.get(STUDENT), default_model())
    final = generate(generator, torch.tensor(drawn[tab.z]), explore_tab.check_digit(generator, 0))
    assert len(looked_up) == 1 and torch.equal(looked_up[0], final[0])
    assert (drawn[tab.nearest] == explore_tab.big_image(-final[:1])).all()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.timeout(120)
def test_the_served_route_answers_bad_requests_with_a_plain_message(app_url: str) -> None:
    route = app_url.rstrip("/") + explore_tab.MOVING.path
    status, message = _get(route + "?session=nobody&values=0.5")
    assert status == 404 and message == slider_route.NOT_SHOWN, "not the app's route: Gradio's paths answered"
    status, message = _get(route)
    assert status == 404 and "Traceback" not in message


def test_the_route_refuses_bad_values_and_a_live_run_that_has_not_started() -> None:
    demo, tab, _ = _built()
    remember = _handler(demo, "remember_explore")
    remember.fn(STUDENT, default_model(), [], 0, 0, 8)
    picture = slider_route.picture_endpoint(tab.registry, [explore_tab.MOVING])

    def endpoint(panel: str = "explore", **query: str):
        # in a thread of its own: the suite's shared Chromium keeps playwright's event loop in this one
        with ThreadPoolExecutor(1) as worker:
            return worker.submit(asyncio.run, picture(panel, **query)).result()

    refused = endpoint(session="student", values="0.5,lots")
    assert refused.status_code == 422 and b"numbers such as" in refused.body
    assert endpoint(session="student", values="0.5,nan").status_code == 422
    assert endpoint("no-such-panel", session="student", values="0.5").status_code == 404
    assert endpoint(session="student", values="0.5").media_type == "image/png"
    remember.fn(STUDENT, LIVE_RUN, [], 0, 0, 8)
    refused = endpoint(session="student", values="0.5")
    assert refused.status_code == 409 and b"no live run yet" in refused.body
