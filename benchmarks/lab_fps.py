"""The 2-D lab's frame rate in Chromium, and the training's steps per second beside it (issue 18's
target: >= 5 frames/s at 1280 x 720 while training runs >= 200 steps/s on one thread).

The app runs in this process (as tests/conftest.py launches it); Chromium (tests/browsing.py) opens the
lab by its link, presses Start and counts the plane's frames the page actually painted (a new
"step N" title seen by requestAnimationFrame) over --seconds, alone and with run B beside it. The steps
come from the run's own counter over the same window; the server's cost per frame is the time spent
measuring each plane and building its numbers in Python (by Start's stream or the planes' route). `--profile` adds a CPU profile of the page (Chrome's
Profiler through a CDP session) split by where the time went: Plotly's bundle, Gradio's, the page's
own scripts, and the browser's native work (style, layout, paint, garbage collection). The lab's runs
train in a process of their own (process_run.py); `--in-thread` trains them in the session's thread
instead, the baseline to alternate with.

    python benchmarks/lab_fps.py --seconds 8 --profile
    python benchmarks/lab_fps.py --seconds 10 --compare '' --in-thread
"""
from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's gan_explorer, and tests/browsing.py

from browsing import chromium

import gan_explorer
from gan_explorer.device import cpu_summary
from gan_explorer.run_control import live_runs

WARM_UP_S = 20.0  # the app's start-up preparation (MNIST, the judge, the shipped models) has finished
TITLE = "document.querySelector('{} .gx-plane-title')"
COUNT_FRAMES = """([selector, seconds]) => new Promise(resolve => {
  const seen = []; const start = performance.now(); let last = null;
  const tick = () => {
    const t = document.querySelector(selector + ' .gx-plane-title');
    const text = t ? t.textContent : null;
    if (text && text !== last) { seen.push(text); last = text; }
    if (performance.now() - start < seconds * 1000) requestAnimationFrame(tick); else resolve(seen);
  };
  tick();
})"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PlaneClock:
    """Times the server's Python per plane frame (plane.measure, then the numbers the page gets), by
    whichever path asked: Start's stream or the planes' route."""

    def __init__(self) -> None:
        from gan_explorer import plane
        from gan_explorer.ui import plane_view
        self.patched = [(plane, "measure", plane.measure), (plane_view, "frame_data", plane_view.frame_data)]
        self.seconds: list[float] = []
        for module, name, original in self.patched:
            setattr(module, name, self._timed(original))

    def _timed(self, original: Any) -> Any:
        def timed(*args: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args)
            finally:
                self.seconds.append(time.perf_counter() - start)
        return timed

    def frames(self) -> int:
        return len(self.seconds) // 2

    def mean_ms(self) -> float:
        return 1000 * sum(self.seconds) / max(1, self.frames())

    def restore(self) -> None:
        for module, name, original in self.patched:
            setattr(module, name, original)


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds so far (user + system, from /proc) of the training process (a run of points trains
    in a child: process_run.py) and the session's thread that watches it (or trains, for other runs),
    this process's other threads (the server: Gradio, the frames) and every Chromium process."""
    tick = os.sysconf("SC_CLK_TCK")
    training = {t.native_id for t in threading.enumerate() if t.name == "gan-explorer-train"}
    spent: dict[str, float] = defaultdict(float)

    def seconds(stat: str) -> float:
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick
    tasks = [*Path("/proc/self/task").iterdir(), *_training_processes()]
    for task in tasks:
        with contextlib.suppress(OSError):
            group = "training thread" if int(task.name) in training else "server's other threads"
            if task.parent.name == "proc":  # a process of its own (process_run.py): the run's steps
                group = "training process"
            spent[group] += seconds((task / "stat").read_text())
            if group != "server's other threads":  # its time ready to run but waiting for a core
                spent[f"{group}'s wait for a core"] += int((task / "schedstat").read_text().split()[1]) / 1e9
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and "chrom" in (proc / "comm").read_text():
                spent["Chromium"] += seconds((proc / "stat").read_text())
    return spent


def _parent(proc: Path) -> int:
    return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _training_processes() -> list[Path]:
    """The forkserver's children (forkserver.py): the runs training in processes of their own."""
    processes = [p for p in Path("/proc").iterdir() if p.name.isdigit()]
    servers = set()
    for proc in processes:
        with contextlib.suppress(OSError):
            if _parent(proc) == os.getpid() and b"gan_explorer.forkserver" in (proc / "cmdline").read_bytes():
                servers.add(int(proc.name))
    found = []
    for proc in processes:
        with contextlib.suppress(OSError):
            if _parent(proc) in servers:
                found.append(proc)
    return found


def _where(url: str) -> str:
    if "PlotlyPlot" in url:
        return "plotly.js"
    return "gradio (svelte, its client)" if "/assets/" in url else "page scripts"


def _profile_split(profile: dict[str, Any]) -> dict[str, float]:
    """Milliseconds of the page's main thread by where they went, from a CDP Profiler profile. A
    built-in function (setAttribute, getBoundingClientRect) counts for the script that called it."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parents = {child: n["id"] for n in profile["nodes"] for child in n.get("children", [])}
    natives = {"(idle)": "idle", "(program)": "native (style, layout, paint)",
               "(garbage collector)": "garbage collection"}
    spent: dict[str, float] = defaultdict(float)
    for node_id, delta in zip(profile["samples"][1:], profile["timeDeltas"][1:]):
        name, where, walk = nodes[node_id]["callFrame"].get("functionName", ""), None, node_id
        while walk is not None and where is None:
            url = nodes[walk]["callFrame"].get("url", "")
            where = _where(url) if url else None
            walk = parents.get(walk)
        spent[where or natives.get(name, "other")] += delta / 1000
    return dict(sorted(spent.items(), key=lambda kv: -kv[1]))


def _hot_functions(profile: dict[str, Any], top: int = 12) -> list[tuple[str, float]]:
    nodes = {n["id"]: n for n in profile["nodes"]}
    spent: dict[str, float] = defaultdict(float)
    for node_id, delta in zip(profile["samples"][1:], profile["timeDeltas"][1:]):
        frame = nodes[node_id]["callFrame"]
        url = frame.get("url", "").rsplit("/", 1)[-1]
        spent[f"{frame.get('functionName') or '(anonymous)'} {url}:{frame.get('lineNumber', 0)}"] += delta / 1000
    return sorted(spent.items(), key=lambda kv: -kv[1])[:top]


def scenario(browser: Any, url: str, query: str, seconds: float, size: tuple[int, int], profile: bool) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(120_000)
    clock = PlaneClock()
    try:
        page.goto(f"{url}?{query}")
        page.wait_for_selector("#lab-start")
        page.locator("#lab-steps input").fill("1000000")
        before = {id(run) for run in live_runs()}
        page.evaluate("document.querySelector('#lab-start').click()")
        title = f"({TITLE.format('#lab-plane')}?.textContent ?? '')"
        page.wait_for_function(f"{title}.startsWith('step ') && !{title}.endsWith(' 0')")
        runs = [run for run in live_runs() if id(run) not in before]
        time.sleep(1.0)  # past the first frames' one-off costs
        cdp = page.context.new_cdp_session(page) if profile else None
        if cdp is not None:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 500})
            cdp.send("Profiler.start")
        clock.seconds.clear()
        steps0, cpu0, t0 = [run.step_count for run in runs], _cpu_seconds(), time.perf_counter()
        frames = page.evaluate(COUNT_FRAMES, ["#lab-plane", seconds])
        elapsed = time.perf_counter() - t0
        steps = [(run.step_count - s) / elapsed for run, s in zip(runs, steps0)]
        cpu = {k: (v - cpu0.get(k, 0.0)) / elapsed for k, v in _cpu_seconds().items()}
        load = os.getloadavg()[0]
        print(f"{query}: {len(frames) / seconds:.1f} frames/s painted at {size[0]}x{size[1]}; "
              f"steps/s {' + '.join(f'{s:.0f}' for s in steps)}; server's plane {clock.mean_ms():.1f} ms "
              f"x {clock.frames() / elapsed:.1f}/s; load average {load:.2f}", flush=True)
        print("  cores busy: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()), flush=True)
        if cdp is not None:
            result = cdp.send("Profiler.stop")["profile"]
            split = _profile_split(result)
            total = sum(split.values())
            print("  page main thread: " + ", ".join(f"{k} {v / 1000:.2f} s ({100 * v / total:.0f}%)"
                                                    for k, v in split.items()))
            for name, ms in _hot_functions(result):
                print(f"    {ms:7.0f} ms  {name}")
        page.evaluate("document.querySelector('#lab-stop').click()")
        page.wait_for_timeout(1500)
    finally:
        clock.restore()
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="counting window of each scenario")
    parser.add_argument("--preset", default="ring-slow-d")
    parser.add_argument("--compare", default="ring-wgan-gp", help="run B of the second scenario ('' for none)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--profile", action="store_true", help="a CPU profile of the page per scenario")
    parser.add_argument("--in-thread", action="store_true",
                        help="train in the session's thread, as before process_run.py (the baseline)")
    args = parser.parse_args()
    from gan_explorer import sessions
    from gan_explorer.ui import build_demo, configure_torch_threads, launch_options

    if args.in_thread:
        sessions.can_train_apart = lambda trainers: False

    configure_torch_threads()  # as app.py does
    demo = build_demo()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            quiet=True, **launch_options())
    time.sleep(WARM_UP_S)
    print(cpu_summary(), f"| load average {os.getloadavg()[0]:.2f} | {Path(gan_explorer.__file__).parent}",
          "| training in the session's thread" if args.in_thread else "| training apart", flush=True)
    size = tuple(int(v) for v in args.size.split("x"))
    queries = [f"tab=lab&preset={args.preset}"] + ([f"tab=lab&preset={args.preset}&compare={args.compare}"]
                                                   if args.compare else [])
    try:
        with chromium() as browser:
            for query in queries:
                scenario(browser, url, query, args.seconds, size, args.profile)  # type: ignore[arg-type]
    finally:
        demo.close()


if __name__ == "__main__":
    main()
