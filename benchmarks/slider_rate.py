"""Picture updates per second while a student drags an Explore slider, in Debian's Chromium.

    python benchmarks/slider_rate.py               # 5 s drags; all three wirings; idle and while training
    python benchmarks/slider_rate.py --drag-s 10 --wirings live nearest-every-move

The app runs in this process (as tests/conftest.py launches it), after its start's warm-up has
finished; a page drags Explore's z[0] slider without releasing it (mouse down, a small move every
--step-ms, back and forth), and counts the new pictures of #explore-image (its img src) with a
MutationObserver, (a) with nothing else running, (b) while a second page trains (its Start pressed).
The wirings are measured in the same run:
  live                - the app as it is: G(z) on .input, always_last (the latest values win); the
                        nearest training image (and G(z) again) on .release;
  nearest-every-move  - the wiring before: G(z) and the nearest training image on every .input;
  release             - the baseline: the sliders redraw on .release only, as at first.
Under `release` a drag shows nothing until the mouse goes up; its figure after the release is the
round trip a student waited for each picture. Figures on a shared machine move with its load:
compare the wirings' figures from the same run.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/browsing.py: Chromium's launch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gan_explorer, not the venv's install

from browsing import chromium, open_app

from gan_explorer.device import cpu_summary

COUNT_JS = """
() => {
  window.gxTimes = [];
  const root = document.querySelector('#explore-image');
  let last = root.querySelector('img')?.getAttribute('src');
  new MutationObserver(() => {
    const src = root.querySelector('img')?.getAttribute('src');
    if (src && src !== last) { last = src; window.gxTimes.push(performance.now()); }
  }).observe(root, {childList: true, subtree: true, attributes: true});
}
"""
SETTLE_S = 2.0


@dataclass
class Drag:
    seconds: float
    during: int  # new pictures while the mouse was down
    after: int  # new pictures after the release
    release_to_last_s: float | None  # from the release to the last picture, when one came after it
    requests: int  # drawings the page asked the server for (queue joins): more than pictures = a pile-up

    @property
    def per_s(self) -> float:
        return self.during / self.seconds

    def __str__(self) -> str:
        tail = "" if self.release_to_last_s is None else f", last {self.release_to_last_s:.2f} s after release"
        return (f"{self.per_s:5.2f} pictures/s during the drag ({self.during} in {self.seconds:.1f} s), "
                f"{self.after} after release{tail}; {self.requests} requests sent")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _retarget(demo: Any, handler: str, old: str, new: str) -> None:
    """Move a handler's triggers from one event to another."""
    for fn in demo.fns.values():
        if fn.name == handler:
            fn.targets = [(block, new if event == old else event) for block, event in fn.targets]


def _unwire(demo: Any, handler: str) -> None:
    """Leave a handler only the trigger of Explore's hidden /generate button, never clicked in a page
    (a handler with no triggers at all would run on every change of its inputs, as gr.on without
    triggers does, and an event name no component sends did not stop it either)."""
    nowhere = next(fn.targets for fn in demo.fns.values() if fn.name == "generate_api")
    for fn in demo.fns.values():
        if fn.name == handler:
            fn.targets = list(nowhere)


def _as_release_only(demo: Any) -> None:
    """The baseline: the sliders redraw on .release only (render, with the nearest image, is there already)."""
    _unwire(demo, "render_moving")
    _retarget(demo, "slide", "input", "release")


def _as_nearest_every_move(demo: Any) -> None:
    """The wiring before the nearest image waited for the release: render (G(z) and the nearest image)
    on every .input."""
    _unwire(demo, "render_moving")
    _retarget(demo, "render", "release", "input")


WIRINGS = {"live": lambda demo: None, "nearest-every-move": _as_nearest_every_move, "release": _as_release_only}


def _launch(wiring: str) -> tuple[Any, str]:
    from gan_explorer.ui import build_demo, launch_options

    demo = build_demo()
    WIRINGS[wiring](demo)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            quiet=True, **launch_options())
    # The start's warm-up (MNIST read, the nearest-image index, 10,000 test digits embedded: ~15 s of a
    # core) must not overlap the idle drag: it made "idle" slower than "while training" once.
    for thread in threading.enumerate():
        if thread.name == "gan-explorer-warm-up":
            thread.join()
    return demo, url


def _drag(page: Any, seconds: float, step_ms: int) -> Drag:
    """Drag z[0] back and forth for `seconds` without releasing, then release and let it settle."""
    page.evaluate(COUNT_JS)
    joins: list[str] = []

    def count_joins(request: Any) -> None:
        if "/queue/join" in request.url:
            joins.append(request.url)

    page.on("request", count_joins)
    box = page.locator("#explore-z0 input[type=range]").bounding_box()
    y, positions = box["y"] + box["height"] / 2, [0.1 + 0.8 * i / 40 for i in range(41)]
    positions += positions[-2:0:-1]  # there and back: every move changes the value
    page.mouse.move(box["x"] + positions[0] * box["width"], y)
    page.mouse.down()
    start, moves = page.evaluate("performance.now()"), 0
    while page.evaluate("performance.now()") - start < 1000 * seconds:
        moves += 1
        page.mouse.move(box["x"] + positions[moves % len(positions)] * box["width"], y)
        page.wait_for_timeout(step_ms)
    released = page.evaluate("performance.now()")
    page.mouse.up()
    time.sleep(SETTLE_S)
    while page.evaluate(f"window.gxTimes.filter(t => t > performance.now() - {1000 * SETTLE_S}).length"):
        time.sleep(SETTLE_S)  # pictures still arriving
    times = page.evaluate("window.gxTimes")
    page.remove_listener("request", count_joins)
    during, after = [t for t in times if t <= released], [t for t in times if t > released]
    return Drag((released - start) / 1000, len(during), len(after), (after[-1] - released) / 1000 if after else None,
                len(joins))


def _explore(page: Any) -> None:
    page.get_by_role("tab", name="Explore").click()
    page.locator("#explore-reset").click()
    page.locator("#explore-image img").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)


def measure(browser: Any, wiring: str, seconds: float, step_ms: int) -> tuple[Drag, Drag]:
    """(a drag with nothing else running, a drag while a second page trains)."""
    demo, url = _launch(wiring)
    try:
        page, trainer_page = open_app(browser, url), open_app(browser, url)
        _explore(page)
        idle = _drag(page, seconds, step_ms)
        trainer_page.click("#train-start")
        trainer_page.locator("#train-stop").wait_for()
        time.sleep(5)  # past the run's start: data loaded, steps and charts streaming
        training = _drag(page, seconds, step_ms)
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
    args = parser.parse_args()
    from gan_explorer.ui import configure_torch_threads

    configure_torch_threads()  # as app.py does: the server keeps a core
    print(cpu_summary(), f"load average {os.getloadavg()}")
    results = {}
    with chromium() as browser:
        for name in args.wirings:
            results[name] = measure(browser, name, args.drag_s, args.step_ms)
            for when, drag in zip(("idle", "training"), results[name]):
                print(f"{name:8s} {when:9s} {drag}")
    print(f"load average {os.getloadavg()}")
    if "live" in results and "nearest-every-move" in results:
        for i, when in enumerate(("idle", "training")):
            live, before = results["live"][i], results["nearest-every-move"][i]
            print(f"{when:9s} live {live.per_s:.2f}/s vs nearest-every-move {before.per_s:.2f}/s: "
                  f"x{live.per_s / max(before.per_s, 1e-9):.2f}")
    if "live" not in results or "release" not in results:
        return
    for i, when in enumerate(("idle", "training")):
        live, release = results["live"][i], results["release"][i]
        line = (f"{when:9s} live {live.per_s:.2f}/s vs release-only {release.per_s:.2f}/s during the drag "
                f"(+{release.after} at release)")
        if release.release_to_last_s:  # the baseline's round trip bounds what any wiring can show
            rate = 1 / release.release_to_last_s
            line += f"; its round trip {release.release_to_last_s:.2f} s = {rate:.1f}/s; live / that = {live.per_s / rate:.2f}"
        print(line)

if __name__ == "__main__":
    main()
