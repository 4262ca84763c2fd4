"""The app as a user meets it: start-up time, slider round trips (idle and while training), memory.

Starts `python app.py` on a free localhost port and talks to it with gradio_client, so every
figure includes Gradio's queue, serialisation and HTTP, as a browser's would.

    python benchmarks/app_latency.py                 # all sections
    python benchmarks/app_latency.py --sessions 4    # memory with 4 sessions training at once

While one run trains alone and nobody uses the page, it borrows the server's core (gan_explorer/cores.py):
"training speed" compares its steps a second then with those while a student drags a slider (a request
every 0.125 s), and "first request after an idle pause" is the round trip that finds the core borrowed.
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from gradio_client import Client

from gan_explorer.device import cpu_summary

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, extra_env: dict[str, str]) -> tuple[subprocess.Popen, float]:
    """(process, seconds from launch until the page answers)."""
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_DISABLE_TELEMETRY": "1", "NO_PROXY": "127.0.0.1,localhost", **extra_env}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - start < 120:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process, time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the app did not answer within 120 s")


def _client(port: int) -> Client:
    return Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False)


def _default_model(client: Client) -> str:
    api = client.view_api(return_format="dict", print_info=False)
    params = api["named_endpoints"]["/generate"]["parameters"]
    return next(p for p in params if p["parameter_name"] == "model")["parameter_default"]


def round_trips(client: Client, model: str, n: int) -> list[float]:
    """Seconds per /generate call (a slider release does the same work through the same queue)."""
    times = []
    for i in range(n):
        start = time.perf_counter()
        client.predict(model=model, seed=i, digit=i % 10, z="", api_name="/generate")
        times.append(time.perf_counter() - start)
    return times


def _status(job: object) -> str:
    """The status line of the /train stream's latest update."""
    for output in reversed(job.outputs()):  # type: ignore[attr-defined]
        for value in output:
            if isinstance(value, str) and "<b>Step " in value:
                return value
    return ""


def _step(job: object) -> int:
    found = re.search(r"<b>Step ([\d,]+)</b>", _status(job))
    return int(found.group(1).replace(",", "")) if found else 0


def _threads(job: object) -> str:
    found = re.search(r"device (cpu \(\d+ threads?\))", _status(job))
    return found.group(1) if found else "?"


def steps_per_second(job: object, seconds: float) -> float:
    start_step, start = _step(job), time.perf_counter()
    time.sleep(seconds)
    return (_step(job) - start_step) / (time.perf_counter() - start)


def dragging(client: Client, model: str, stop: threading.Event) -> None:
    """A student dragging a slider: a picture request every 0.125 s until `stop`."""
    i = 0
    while not stop.wait(0.125):
        client.predict(model=model, seed=i, digit=i % 10, z="", api_name="/generate")
        i += 1


def training_speed(port: int, model: str, seconds: float) -> None:
    trainer_client, student = _client(port), _client(port)
    job = trainer_client.submit(steps=100000, api_name="/train")
    time.sleep(3.0)  # past the Start request's idle second
    alone = steps_per_second(job, seconds)
    threads_alone = _threads(job)
    stop = threading.Event()
    drag = threading.Thread(target=dragging, args=(student, model, stop))
    drag.start()
    busy = steps_per_second(job, seconds)
    threads_busy = _threads(job)
    stop.set()
    drag.join()
    print(f"training speed in the app: {alone:5.1f} steps/s with nobody using the page ({threads_alone}), "
          f"{busy:5.1f} while a student drags a slider ({threads_busy}): {alone / busy:.2f}x")
    firsts = []
    for i in range(10):
        time.sleep(1.5)  # idle: the run has borrowed the server's core again
        start = time.perf_counter()
        student.predict(model=model, seed=i, digit=i % 10, z="", api_name="/generate")
        firsts.append(time.perf_counter() - start)
    print(f"/generate, first request after an idle pause: {_summary(firsts)}")
    trainer_client.predict(api_name="/stop")
    job.cancel()


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {1000 * statistics.median(ordered):6.1f} ms   p95 {1000 * p95:6.1f} ms   (n={len(ordered)})"


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, MiB (from /proc)."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100, help="round trips per measurement")
    parser.add_argument("--sessions", type=int, default=4, help="sessions training at once for the memory figure")
    parser.add_argument("--speed-seconds", type=float, default=10.0, help="seconds per training-speed figure")
    parser.add_argument("--train-seconds", type=float, default=15.0, help="training time before measuring memory")
    args = parser.parse_args()

    port = _free_port()
    process, startup = start_app(port, {"GAN_EXPLORER_MAX_RUNS": str(args.sessions)})
    try:
        print(cpu_summary())
        print(f"app start to serving: {startup:.2f} s")
        client = _client(port)
        model = _default_model(client)
        round_trips(client, model, 5)  # warm-up
        print(f"/generate round trip, idle:          {_summary(round_trips(client, model, args.calls))}")

        trainer_client = _client(port)
        job = trainer_client.submit(steps=100000, api_name="/train")
        time.sleep(3.0)  # let the run get going
        print(f"/generate round trip, while training: {_summary(round_trips(client, model, args.calls))}")
        trainer_client.predict(api_name="/stop")
        job.cancel()

        training_speed(port, model, args.speed_seconds)
        print(f"resident memory, idle after one run: {rss_mib(process.pid):7.0f} MiB")
        clients = [_client(port) for _ in range(args.sessions)]
        jobs = [c.submit(steps=100000, api_name="/train") for c in clients]
        time.sleep(args.train_seconds)
        print(f"resident memory, {args.sessions} sessions training: {rss_mib(process.pid):7.0f} MiB")
        for c, j in zip(clients, jobs):
            c.predict(api_name="/stop")
            j.cancel()
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
