"""Explore's picture while a slider moves: a plain HTTP route, not a Gradio event per move.

Gradio 6.31's front end spends more on each event than the server spends drawing (it copies the
page's state per event): with an event per move a drag in Chromium got under 4 pictures a second on
a 2-core CPU, with a plain fetch over 12 (benchmarks/slider_rate.py). So while a slider moves, a page
script (page.SLIDER_JS) asks

    GET /gx/explore/picture?session=<the page's Gradio session hash>&values=<the shown sliders' values>

with one request out at a time, the latest values winning, and shows the PNG in Explore's picture.
The release stays a Gradio event (explore_tab.render): it draws the picture the page keeps, and the
nearest training image. The route draws what the session's Explore shows (Session.explore, kept by
explore_tab.remember) with the values in z's first dimensions. The session hash is the key Gradio's
own routes use for a page's data, so the route shows nothing Gradio would not.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import gradio as gr
from fastapi import Response
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from ..images import png_bytes
from ..latent import generate
from ..parsing import number_list
from .common import DRAWING_POOL, USER_ERRORS, resolve_generator
from .explore_tab import big_image, check_digit, slid_z
from .sessions import SessionRegistry

PICTURE_PATH = "/gx/explore/picture"
NOT_SHOWN = "This page's Explore tab has drawn nothing yet (or the page was closed): reload the page."


class NotShown(LookupError):
    """No session, or nothing drawn in its Explore tab yet."""


def moving_picture(registry: SessionRegistry, session_hash: str, values: str) -> bytes:
    """G(z) as a PNG for the page of `session_hash`: what its Explore shows, with the comma-separated
    slider `values` in z's first dimensions. Raises NotShown, gr.Error or an InputError (ValueError)."""
    session = registry.find(session_hash)
    view = session.explore if session is not None else None
    if view is None:
        raise NotShown(NOT_SHOWN)
    sliders = number_list("values", values, float)
    generator = resolve_generator(session, view.model)
    z = slid_z(generator, view.z, view.seed, view.sliders, sliders)
    return png_bytes(big_image(generate(generator, z, check_digit(generator, view.digit))))


def _plain(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain")


def picture_endpoint(registry: SessionRegistry) -> Callable[..., Awaitable[Response]]:
    """The route's handler. The drawing runs in a worker thread, at most as many at once as Gradio's
    drawing pool allows, so a class dragging sliders cannot take the training runs' cores; requests
    beyond that wait in the event loop, holding no thread."""
    lanes: list[anyio.CapacityLimiter] = []  # made in the server's event loop, at the first request

    async def picture(session: str = "", values: str = "") -> Response:
        if not lanes:
            lanes.append(anyio.CapacityLimiter(DRAWING_POOL["concurrency_limit"]))
        try:
            png = await anyio.to_thread.run_sync(moving_picture, registry, session, values, limiter=lanes[0])
        except NotShown as e:
            return _plain(404, str(e))
        except gr.Error as e:
            return _plain(409, e.message)
        except USER_ERRORS as e:
            return _plain(422, str(e))
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    return picture


def routes(registry: SessionRegistry) -> list[BaseRoute]:
    """The app's own routes, served before Gradio's (ExplorerBlocks)."""
    return [APIRoute(PICTURE_PATH, picture_endpoint(registry), methods=["GET"], include_in_schema=False)]


class ExplorerBlocks(gr.Blocks):
    """gr.Blocks that serves the app's own routes too: launch() hands them to the FastAPI app it makes
    (as FastAPI's `routes`, so they come before Gradio's catch-all paths)."""

    def __init__(self, extra_routes: list[BaseRoute], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.extra_routes = extra_routes

    def launch(self, *args: Any, app_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        app_kwargs = dict(app_kwargs or {})
        app_kwargs["routes"] = [*self.extra_routes, *app_kwargs.get("routes", [])]
        return super().launch(*args, app_kwargs=app_kwargs, **kwargs)
