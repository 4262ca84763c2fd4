"""Module-level handlers bound to their tab: Gradio must still see the request parameter, the API's
parameters and whether the handler streams."""
from __future__ import annotations

import inspect
from collections.abc import Iterator

import gradio as gr
from gradio.helpers import special_args

from gan_explorer.ui.common import bind


def _draw(tab: str, request: gr.Request, seed: int, digit: int = 0) -> tuple[str, object, int, int]:
    return tab, request, seed, digit


def _stream(tab: str, request: gr.Request, steps: int) -> Iterator[tuple[str, object, int]]:
    for step in range(steps):
        yield tab, request, step


def test_a_bound_handler_gets_its_tab_and_gradios_request() -> None:
    handler, request = bind(_draw, "explore"), object()
    inputs, *_ = special_args(handler, inputs=[7, 3], request=request)  # what Gradio does before the call
    assert handler(*inputs) == ("explore", request, 7, 3)


def test_a_bound_handler_shows_gradio_only_its_own_parameters() -> None:
    parameters = inspect.signature(bind(_draw, "explore")).parameters
    assert list(parameters) == ["request", "seed", "digit"] and parameters["digit"].default == 0


def test_a_bound_generator_still_streams() -> None:
    handler, request = bind(_stream, "train"), object()
    assert inspect.isgeneratorfunction(handler)
    inputs, *_ = special_args(handler, inputs=[2], request=request)
    assert list(handler(*inputs)) == [("train", request, 0), ("train", request, 1)]
