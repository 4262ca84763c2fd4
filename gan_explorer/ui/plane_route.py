"""The lab's planes while a run trains: a plain HTTP route the plane's script asks, not a Gradio event
per frame.

Gradio 6.31's front end spends tens of milliseconds of the page's main thread on every streamed event
(it snapshots the page's state), a third of a core at 5 frames a second on a 2-core machine where the
training thread needs the other core (docs/lab2d.md, as slider_route.py found for the sliders). So
Start's stream sends the planes with the charts and the status once a second, and in between each
plane's script (plane_view.py) asks

    GET /gx/plane/<a or b>?session=<the page's Gradio session hash>&run=<run>&after=<step>&layers=<shown>

for a newer frame of run A or B of the page's lab session, six times a second until none came for
3 s: 204 when there is none (no such run, or it has made no step since `after`), 404 for a plane other
than a or b. An idle page asks nothing.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from fastapi import Response
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from .. import plane
from .common import DRAWING_POOL
from .plane_view import ROUTE, plane_value
from .sessions import SessionRegistry
from .slider_route import plain

RUNS = ("a", "b")
NO_PLANE = "No such plane: the lab's planes are a (run A) and b (run B)."


class NoPlane(LookupError):
    """A plane other than a or b was asked for."""


def newer_frame(registry: SessionRegistry, which: str, session_hash: str, run: str, after: int,
                layers: list[str]) -> str | None:
    """The plane of run `which` of the page's lab session, or None when there is no such run or it is the
    run `run` and has made no step since `after`. Raises NoPlane."""
    if which not in RUNS:
        raise NoPlane(NO_PLANE)
    session = registry.find(session_hash)
    runs = session.runs if session is not None else ()
    index = RUNS.index(which)
    if index >= len(runs):
        return None
    trainer = runs[index].trainer
    if trainer.run_id == run and trainer.step_count <= after:
        return None
    return plane_value(trainer, plane.measure(trainer), layers)


def frame_endpoint(registry: SessionRegistry) -> Callable[..., Awaitable[Response]]:
    """The route's handler: the frame is measured in a worker thread, at most as many at once as Gradio's
    drawing pool allows (a class's planes cannot take the training runs' cores)."""
    lanes: list[anyio.CapacityLimiter] = []  # made in the server's event loop, at the first request

    async def frame(which: str, session: str = "", run: str = "", after: int = -1, layers: str = "") -> Response:
        if not lanes:
            lanes.append(anyio.CapacityLimiter(DRAWING_POOL["concurrency_limit"]))
        shown = [layer for layer in layers.split(",") if layer in plane.LAYERS]
        try:
            text = await anyio.to_thread.run_sync(newer_frame, registry, which, session, run, after, shown,
                                                  limiter=lanes[0])
        except NoPlane as e:
            return plain(404, str(e))
        if text is None:
            return plain(204)
        return Response(text, media_type="application/json", headers={"Cache-Control": "no-store"})

    return frame


def routes(registry: SessionRegistry) -> list[BaseRoute]:
    """The route of the lab's planes, served before Gradio's (slider_route.ExplorerBlocks)."""
    return [APIRoute(ROUTE, frame_endpoint(registry), methods=["GET"], include_in_schema=False)]
