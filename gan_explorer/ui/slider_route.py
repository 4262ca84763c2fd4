"""Pictures that follow a slider while it moves: a plain HTTP route, not a Gradio event per move.

Gradio 6.31's front end spends more on each event than the server spends drawing (it copies the
page's state per event): with an event per move a drag in Chromium got under 4 pictures a second on
a 2-core CPU, with a plain fetch over 12 (benchmarks/slider_rate.py). So while a slider of a
MovingPicture's panel moves, a page script (page.head) asks

    GET /gx/moving/<panel>?session=<the page's Gradio session hash>&values=<the panel's slider values>

with one request out at a time, the latest values winning, and shows the PNG in the panel's picture.
The release stays a Gradio event: it draws the picture the page keeps (and what else goes with it).
The route draws from the panel's inputs as its Gradio handlers last saw them, which `follow` keeps in
the session (Session.moving). The session hash is the key Gradio's own routes use for a page's data,
so the route shows nothing Gradio would not.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import gradio as gr
import numpy as np
from fastapi import Response
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from ..images import png_bytes
from ..parsing import number_list
from ..sessions import Session
from .common import DRAWING_POOL, USER_ERRORS
from .sessions import SessionRegistry

ROUTE = "/gx/moving/{panel}"
NOT_SHOWN = "This page has drawn nothing there yet (or the page was closed): reload the page."


@dataclass(frozen=True)
class MovingPicture:
    """A panel whose picture follows its sliders. Its sliders have the element ids `sliders`0,
    `sliders`1, ... (those shown are sent, in order); its picture is the image with id `image`.
    `draw(session, inputs, values)`: the picture for the panel's remembered inputs and the sliders'
    values (raise gr.Error or a ValueError to refuse)."""
    panel: str
    sliders: str
    image: str
    draw: Callable[[Session, tuple[Any, ...], tuple[float, ...]], np.ndarray]

    @property
    def path(self) -> str:
        return ROUTE.format(panel=self.panel)


class NotShown(LookupError):
    """No such panel or session, or nothing drawn in the panel yet."""


def follow(picture: MovingPicture, registry: SessionRegistry, inputs: Sequence[Any]) -> None:
    """Keep the panel's `inputs` in the session whenever one of them changes: the route draws from them."""
    def remember(request: gr.Request, *values: Any) -> None:
        registry.get(request).moving[picture.panel] = values

    remember.__name__ = f"remember_{picture.panel}"  # its name in Gradio's list of handlers
    gr.on([component.change for component in inputs], remember, list(inputs), None, show_progress="hidden",
          api_visibility="private", concurrency_limit=None)


def moving_picture(registry: SessionRegistry, pictures: dict[str, MovingPicture], panel: str, session_hash: str,
                   values: str) -> bytes:
    """The PNG of `panel` for the page of `session_hash`, its sliders at the comma-separated `values`.
    Raises NotShown, gr.Error or a ValueError (bad values, refused by the panel)."""
    session = registry.find(session_hash)
    inputs = session.moving.get(panel) if session is not None else None
    if inputs is None or panel not in pictures:
        raise NotShown(NOT_SHOWN)
    return png_bytes(pictures[panel].draw(session, inputs, number_list("values", values, float)))


def plain(status: int, message: str = "") -> Response:
    """A plain-text answer of the app's own routes (a refusal in one line, or nothing)."""
    return Response(message, status_code=status, media_type="text/plain")


def picture_endpoint(registry: SessionRegistry, pictures: Sequence[MovingPicture]
                     ) -> Callable[..., Awaitable[Response]]:
    """The route's handler. The drawing runs in a worker thread, at most as many at once as Gradio's
    drawing pool allows, so a class dragging sliders cannot take the training runs' cores; requests
    beyond that wait in the event loop, holding no thread."""
    by_panel = {picture.panel: picture for picture in pictures}
    lanes: list[anyio.CapacityLimiter] = []  # made in the server's event loop, at the first request

    async def picture(panel: str, session: str = "", values: str = "") -> Response:
        if not lanes:
            lanes.append(anyio.CapacityLimiter(DRAWING_POOL["concurrency_limit"]))
        try:
            png = await anyio.to_thread.run_sync(moving_picture, registry, by_panel, panel, session, values,
                                                 limiter=lanes[0])
        except NotShown as e:
            return plain(404, str(e))
        except gr.Error as e:
            return plain(409, e.message)
        except USER_ERRORS as e:
            return plain(422, str(e))
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    return picture


def routes(registry: SessionRegistry, pictures: Sequence[MovingPicture]) -> list[BaseRoute]:
    """The app's own routes, served before Gradio's (ExplorerBlocks)."""
    return [APIRoute(ROUTE, picture_endpoint(registry, pictures), methods=["GET"], include_in_schema=False)]


# A picture that follows its sliders (slider_route.MovingPicture) while one moves: one request out
# at a time per panel; a move meanwhile asks for one more, which reads the sliders when it goes (the
# latest values win). A picture that Gradio replaced while the request was out (the release, a new
# seed) is not covered. %(panels)s: [{sliders, image, path}], from the registry of such panels.
MOVING_JS = r"""
(() => {
  const panels = %(panels)s;
  function values(panel) {
    // The number boxes hold the sliders' values as Gradio has them; a range input snaps a value
    // set by the server (say -0.43) to its step (-0.45).
    const out = [];
    for (let i = 0; ; i++) {
      const box = document.querySelector(`#${panel.sliders}${i} input[type=number]`);
      if (!box || box.offsetParent === null) return out;
      out.push(box.value);
    }
  }
  async function picture(panel) {
    const session = window.__gradio_session_hash__;
    const root = (window.gradio_config && window.gradio_config.root) || "";
    if (!session) return null;
    const query = new URLSearchParams({ session, values: values(panel).join(",") });
    const response = await fetch(`${root}${panel.path}?${query}`, { cache: "no-store" });
    return response.ok ? response.blob() : null;
  }
  async function draw(panel) {
    if (panel.busy) { panel.due = true; return; }
    panel.busy = true;
    try {
      do {
        panel.due = false;
        const img = document.querySelector(`#${panel.image} img`);
        if (!img) break;
        const before = img.src;
        const blob = await picture(panel);
        if (!blob || img.src !== before || !img.isConnected) continue;
        const loaded = new Promise((resolve) => img.addEventListener("load", resolve, { once: true }));
        img.src = URL.createObjectURL(blob);
        await loaded;
        if (panel.shown) URL.revokeObjectURL(panel.shown);
        panel.shown = img.src;
      } while (panel.due);
    } catch (error) {
      console.warn("A moving picture:", error);
    } finally {
      panel.busy = false;
    }
  }
  document.addEventListener("input", (event) => {
    if (event.target.type !== "range") return;
    for (const panel of panels) {
      const slider = event.target.closest(`[id^="${panel.sliders}"]`);
      // after Gradio's own listener has copied the moved value into the number box
      if (slider && /^\d+$/.test(slider.id.slice(panel.sliders.length))) setTimeout(() => draw(panel), 0);
    }
  }, true);
})();
"""


def page_script(pictures: Sequence[MovingPicture]) -> str:
    """The page's script for `pictures` (page.head puts it in the page)."""
    panels = [{"sliders": p.sliders, "image": p.image, "path": p.path} for p in pictures]
    return MOVING_JS % {"panels": json.dumps(panels)}


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
