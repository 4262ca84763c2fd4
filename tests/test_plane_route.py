"""The lab planes' route (ui/plane_route.py): while a run trains, a page gets each newer frame of its own
run A or B from a plain HTTP route, nothing when no step was made since the frame it shows, and a plain
message for a plane that does not exist; the route is served by the app, before Gradio's paths."""
from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import gradio as gr
import pytest
import torch

from gan_explorer import plane
from gan_explorer.forkserver import Forkserver
from gan_explorer.ui import lab_tab, plane_route
from gan_explorer.ui.compare_view import NO_COMPARISON
from gan_explorer.ui.lab_form import preset_values
from gan_explorer.ui.sessions import SessionRegistry

LAYERS = list(plane.LAYERS)
PAGE = "plane-route-test"


@pytest.fixture
def tab(forkserver: Forkserver) -> Iterator[lab_tab.LabTab]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with gr.Blocks():
        built = lab_tab.build(SessionRegistry(apart=forkserver))
    yield built
    built.registry.close(gr.Request(session_hash=PAGE))
    torch.set_num_threads(threads)


def _stepped(tab: lab_tab.LabTab, compare: str = NO_COMPARISON) -> None:
    lab_tab.step(tab, "step", "ring-slow-d", *preset_values("ring-slow-d"), None, compare, LAYERS,
                 gr.Request(session_hash=PAGE))


def test_a_page_gets_a_newer_frame_of_its_run_and_nothing_until_the_run_steps_again(tab) -> None:
    assert plane_route.newer_frame(tab.registry, "a", PAGE, "", -1, LAYERS) is None  # no run yet
    _stepped(tab)
    frame = json.loads(plane_route.newer_frame(tab.registry, "a", PAGE, "", -1, LAYERS))
    trainer = tab.registry.get(gr.Request(session_hash=PAGE)).trainer
    assert frame["step"] == trainer.step_count == 1 and frame["run"] == trainer.run_id and frame["layers"] == LAYERS
    assert plane_route.newer_frame(tab.registry, "a", PAGE, frame["run"], 1, LAYERS) is None
    assert plane_route.newer_frame(tab.registry, "a", PAGE, "an earlier run", 1, LAYERS) is not None
    _stepped(tab)
    shown = json.loads(plane_route.newer_frame(tab.registry, "a", PAGE, frame["run"], 1, ["real"]))
    assert shown["step"] == 2 and shown["layers"] == ["real"] and "fake" not in shown
    assert plane_route.newer_frame(tab.registry, "a", "another page", "", -1, LAYERS) is None


def test_run_b_has_its_own_plane_and_an_unknown_plane_is_refused(tab) -> None:
    _stepped(tab)
    assert plane_route.newer_frame(tab.registry, "b", PAGE, "", -1, LAYERS) is None  # no run B
    _stepped(tab, "ring-wgan-gp")
    session = tab.registry.get(gr.Request(session_hash=PAGE))
    frame = json.loads(plane_route.newer_frame(tab.registry, "b", PAGE, "", -1, LAYERS))
    assert frame["run"] == session.rival.trainer.run_id != session.trainer.run_id
    with pytest.raises(plane_route.NoPlane):
        plane_route.newer_frame(tab.registry, "c", PAGE, "", -1, LAYERS)


def test_the_handler_answers_with_json_nothing_or_a_plain_message(tab) -> None:
    _stepped(tab)
    endpoint = plane_route.frame_endpoint(tab.registry)
    answers = {}

    def ask() -> None:  # in a thread of its own: a test module's Chromium may hold this thread's event loop
        async def all_of_them() -> None:
            answers["frame"] = await endpoint("a", session=PAGE, layers="real,nonsense")
            answers["same"] = await endpoint("a", session=PAGE, run=json.loads(answers["frame"].body)["run"], after=1)
            answers["bad"] = await endpoint("c", session=PAGE)
        asyncio.run(all_of_them())
    worker = threading.Thread(target=ask)
    worker.start()
    worker.join()
    assert answers["frame"].status_code == 200 and answers["frame"].media_type == "application/json"
    assert json.loads(answers["frame"].body)["layers"] == ["real"]  # a layer it does not know is left out
    assert answers["same"].status_code == 204
    assert answers["bad"].status_code == 404 and answers["bad"].body.decode() == plane_route.NO_PLANE


@pytest.mark.timeout(120)
def test_the_app_serves_the_route_before_gradios_paths(app_url: str) -> None:
    route = app_url.rstrip("/") + plane_route.ROUTE
    with urllib.request.urlopen(route.format(which="a") + "?session=nobody", timeout=30) as response:
        assert response.status == 204
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(route.format(which="z"), timeout=30)
    assert refused.value.code == 404 and refused.value.read().decode() == plane_route.NO_PLANE
