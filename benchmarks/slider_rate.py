"""Picture updates per second while a student drags an Explore slider, in Debian's Chromium.

    python benchmarks/slider_rate.py --drag-s 8
    python benchmarks/slider_rate.py --drag-s 5 --wirings app gradio-event --repeat 3 --log

The app runs in this process (as tests/conftest.py launches it), after its start's warm-up has
finished; a page drags Explore's z[0] slider without releasing it (mouse down, a small move every
--step-ms, back and forth), (a) with nothing else running, (b) while a second page trains (its Start
pressed). Each drag prints three counts that should agree: the new pictures the page finished
loading (img `load` with a new src: the figure), the changes of the img's src, and the drawings the
server finished, besides the requests the page sent (fetches of the picture route, /queue/join or
/run/predict). The wirings, measured in the same run, in turn (--repeat rounds):
  app           - the app as it is: each move's picture from the plain route of ui/slider_route.py
                  (one request out, the latest values winning); G(z) and the nearest training image
                  on .release, a Gradio event;
  gradio-event  - the baseline: every move a Gradio event (.input, always_last) drawing G(z) and the
                  nearest image, the plain route blocked in the page.
Figures on a shared machine move with its load: compare the wirings' figures from the same round.
benchmarks/in_page_generator.py measures the generator run in the page instead (onnxruntime-web).
"""
from __future__ import annotations

import argparse
import functools
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/browsing.py: Chromium's launch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gan_explorer, not the venv's install

from browsing import chromium, open_app
from dragging import move_back_and_forth

from gan_explorer.device import cpu_summary
from gan_explorer.ui import slider_route

# Installed before the page loads, so Gradio's client sends its /queue/join (or, for an event with
# queue=False, /run/predict) through this fetch: the page counts the drawings it asked for itself.
REQUESTS_JS = """
window.gxRequests = [];
const gxFetch = window.fetch;
window.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input.url;
  if (/queue\\/join|run\\/predict|gx\\/moving/.test(url)) window.gxRequests.push(Date.now());
  return gxFetch(input, init);
};
"""
# Two counts of Explore's picture: `srcs`, each change of its img's src attribute (the count before),
# and `loads`, each picture the browser finished loading whose src differs from the one loaded before
# it: a new picture on the screen. Times are Date.now(), the server's clock too. Installed once per
# page: the count before installed a second observer for the second drag, and as both pushed to
# the same global array, every picture of the drag while training counted twice.
COUNT_JS = """
() => {
  window.gxSrcs = []; window.gxLoads = []; window.gxRequests.length = 0;
  if (window.gxCounting) return;
  window.gxCounting = true;
  const root = document.querySelector('#explore-image');
  let src = root.querySelector('img')?.getAttribute('src'), loaded = src;
  new MutationObserver(() => {
    const now = root.querySelector('img')?.getAttribute('src');
    if (now && now !== src) { src = now; window.gxSrcs.push([Date.now(), now]); }
  }).observe(root, {childList: true, subtree: true, attributes: true});
  root.addEventListener('load', (e) => {
    const now = e.target.getAttribute('src');
    if (now !== loaded) { loaded = now; window.gxLoads.push([Date.now(), now]); }
  }, true);  // load does not bubble: listen in the capture phase
}
"""
SETTLE_S = 2.0
DRAWING_HANDLERS = ("render",)  # the Gradio handler that draws Explore's picture (on release)


@dataclass
class Drag:
    seconds: float
    during: int  # new pictures loaded while the mouse was down
    srcs: int  # changes of the img src while the mouse was down (the count before: should equal `during`)
    drawn: int  # drawings the server finished while the mouse was down
    after: int  # new pictures after the release
    release_to_last_s: float | None  # from the release to the last picture, when one came after it
    requests: int  # drawings the page asked for while the mouse was down: more than pictures = a pile-up
    moves: int  # mouse moves of the drag: the most pictures a drag could show

    @property
    def per_s(self) -> float:
        return self.during / self.seconds

    def __str__(self) -> str:
        tail = "" if self.release_to_last_s is None else f", last {self.release_to_last_s:.2f} s after release"
        return (f"{self.per_s:5.2f} pictures/s during the drag ({self.during} loaded in {self.seconds:.1f} s; "
                f"{self.moves} moves, {self.srcs} src changes, {self.requests} requests, "
                f"{self.drawn} drawn by the server), "
                f"{self.after} after release{tail}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fns(demo: Any, handler: str) -> list[Any]:
    return [fn for fn in demo.fns.values() if fn.name == handler]


def _as_gradio_event(demo: Any) -> None:
    """The baseline: render (G(z) and the nearest image) on every .input; _open blocks the route."""
    for fn in _fns(demo, "render"):
        fn.targets = [(block, "input" if event == "release" else event) for block, event in fn.targets]


# wiring -> what it changes in the built app
WIRINGS: dict[str, Callable[[Any], None]] = {"app": lambda demo: None, "gradio-event": _as_gradio_event}


def _count_drawings(demo: Any, finished: list[float]) -> None:
    """Append the time (s since the epoch) each drawing of Explore's picture finishes on the server."""
    inner = slider_route.moving_picture

    def moving(*args: Any) -> bytes:
        png = inner(*args)
        finished.append(time.time())
        return png
    slider_route.moving_picture = moving  # the route's endpoint looks it up when it draws
    for name in DRAWING_HANDLERS:
        for fn in _fns(demo, name):
            def counted(*args: Any, _inner: Any = fn.fn, **kwargs: Any) -> Any:
                result = _inner(*args, **kwargs)
                finished.append(time.time())
                return result
            fn.fn = functools.wraps(fn.fn)(counted)  # keeps the signature Gradio reads (gr.Request)


def _launch(wiring: str, finished: list[float]) -> tuple[Any, str]:
    from gan_explorer.ui import build_demo, launch_options

    demo = build_demo()
    WIRINGS[wiring](demo)
    _count_drawings(demo, finished)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            quiet=True, **launch_options())
    # The start's warm-up (MNIST read, the nearest-image index, 10,000 test digits embedded: ~15 s of a
    # core) must not overlap the idle drag: it made "idle" slower than "while training" once.
    for thread in threading.enumerate():
        if thread.name == "gan-explorer-warm-up":
            thread.join()
    return demo, url


def _drag(page: Any, seconds: float, step_ms: int, finished: list[float], log: bool) -> Drag:
    """Drag z[0] back and forth for `seconds` without releasing, then release and let it settle."""
    page.evaluate(COUNT_JS)
    finished.clear()
    start, released, moves = move_back_and_forth(page, "#explore-z0 input[type=range]", seconds, step_ms)
    time.sleep(SETTLE_S)
    while page.evaluate(f"window.gxLoads.filter(([t]) => t > Date.now() - {1000 * SETTLE_S}).length"):
        time.sleep(SETTLE_S)  # pictures still arriving
    loads, srcs, requests = (page.evaluate(f"window.{name}") for name in ("gxLoads", "gxSrcs", "gxRequests"))
    if log:
        _print_log(start, loads, srcs, requests, finished)
    during, after = [t for t, _ in loads if t <= released], [t for t, _ in loads if t > released]
    return Drag((released - start) / 1000, len(during), sum(t <= released for t, _ in srcs),
                sum(1000 * t <= released for t in finished), len(after),
                (after[-1] - released) / 1000 if after else None, sum(t <= released for t in requests), moves)


def _print_log(start: float, loads: list, srcs: list, requests: list, finished: list[float]) -> None:
    """Every event of a drag in time order, in ms from the mouse down (--log)."""
    events = ([(t, "src   " + src[-24:]) for t, src in srcs] + [(t, "load  " + src[-24:]) for t, src in loads]
              + [(t, "request") for t in requests] + [(1000 * t, "drawn by the server") for t in finished])
    for t, what in sorted(events):
        print(f"  {t - start:8.0f} ms  {what}")


def _explore(page: Any) -> None:
    page.get_by_role("tab", name="Explore").click()
    page.locator("#explore-reset").click()
    page.locator("#explore-image img").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)


def _open(browser: Any, url: str, wiring: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(REQUESTS_JS)
    if wiring == "gradio-event":
        page.route("**/gx/moving/**", lambda route: route.abort())
    page.goto(url)
    page.wait_for_selector("#train-start")
    return page


def measure(browser: Any, wiring: str, seconds: float, step_ms: int, log: bool) -> tuple[Drag, Drag]:
    """(a drag with nothing else running, a drag while a second page trains)."""
    finished: list[float] = []
    demo, url = _launch(wiring, finished)
    try:
        page, trainer_page = _open(browser, url, wiring), open_app(browser, url)
        _explore(page)
        idle = _drag(page, seconds, step_ms, finished, log)
        trainer_page.click("#train-start")
        trainer_page.locator("#train-stop").wait_for()
        time.sleep(5)  # past the run's start: data loaded, steps and charts streaming
        training = _drag(page, seconds, step_ms, finished, log)
        trainer_page.click("#train-stop")
        time.sleep(2)
        page.close()
        trainer_page.close()
        return idle, training
    finally:
        demo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drag-s", type=float, default=5.0, help="seconds each drag lasts")
    parser.add_argument("--step-ms", type=int, default=30, help="wait between two small mouse moves")
    parser.add_argument("--wirings", nargs="+", choices=list(WIRINGS), default=list(WIRINGS),
                        help="which wirings to measure, in this order")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all the wirings")
    parser.add_argument("--log", action="store_true", help="print every src change, load, request and drawing")
    args = parser.parse_args()
    from gan_explorer.ui import configure_torch_threads

    configure_torch_threads()  # as app.py does: the server keeps a core
    print(cpu_summary(), f"load average {os.getloadavg()}")
    with chromium() as browser:
        for round_ in range(1, args.repeat + 1):
            results = {}
            for name in args.wirings:
                results[name] = measure(browser, name, args.drag_s, args.step_ms, args.log)
                for when, drag in zip(("idle", "training"), results[name]):
                    print(f"round {round_} {name:18s} {when:9s} {drag}  (load average {os.getloadavg()[0]:.2f})")
            _compare(results, round_)
    print(f"load average {os.getloadavg()}")


def _compare(results: dict[str, tuple[Drag, Drag]], round_: int) -> None:
    """The first wiring's figures over each other's, from one round."""
    first, *others = results
    for name in others:
        for i, when in enumerate(("idle", "training")):
            ours, other = results[first][i], results[name][i]
            print(f"round {round_} {when:9s} {first} {ours.per_s:.2f}/s vs {name} {other.per_s:.2f}/s: "
                  f"x{ours.per_s / max(other.per_s, 1e-9):.2f}")

if __name__ == "__main__":
    main()
