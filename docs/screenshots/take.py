"""Take the README's lesson screenshots: the app as a class sees it, one picture per lesson.

Starts the app on a free local port, opens each lesson's link in headless Chromium
(`?lesson=NAME&present=1`), presses Start (or Interpolate, for the lesson that explores a shipped
model), lets it train for --seconds, and saves docs/screenshots/NAME.png.

    GAN_EXPLORER_DATA=../shared/data python docs/screenshots/take.py --seconds 60

Run it on a quiet machine: the pictures show what a run reaches in that time.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browsing import chromium, open_app  # noqa: E402

from gan_explorer.lessons import LESSONS  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app did not answer at {url} within {seconds:.0f} s")


def shoot(browser, url: str, name: str, seconds: float, size: tuple[int, int]) -> Path:
    lesson = LESSONS[name]
    page = open_app(browser, f"{url}?lesson={name}&present=1", *size)
    page.wait_for_timeout(1500)  # the link's lesson fills the form on load
    button = "#interpolate-run" if lesson.checkpoint else "#train-start"
    page.click(button)
    page.wait_for_timeout(int(seconds * 1000) if not lesson.checkpoint else 5000)
    out = HERE / f"{name}.png"
    page.screenshot(path=str(out), full_page=False)
    if not lesson.checkpoint:
        page.click("#train-stop")
    page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training time before each picture")
    parser.add_argument("--lesson", action="append", choices=list(LESSONS), help="only these lessons")
    parser.add_argument("--size", default="1600x900", help="browser window, WIDTHxHEIGHT")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    port = free_port()
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT,
                              env={**os.environ, "GRADIO_SERVER_PORT": str(port)})
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url)
        with chromium() as browser:
            for name in args.lesson or LESSONS:
                print(name, "->", shoot(browser, url, name, args.seconds, size), flush=True)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
