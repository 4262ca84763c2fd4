"""A class on one server: N students explore (/generate, /interpolate) while M others train (/train).

Starts `python app.py` on a free localhost port (loopback only) and drives it with gradio_client.
Bounded in time and count; stops by itself. Reports requests served, errors, p50/p95 latency per
endpoint, the SERVER's CPU milliseconds per request of each endpoint (read from /proc/PID/stat
of the server while only that endpoint is called, so this script's own CPU does not count), the
longest silence of each training stream, and the server's RSS before, at peak and after the class.

    python benchmarks/classroom_load.py                              # 30 students, 2 training, 60 s
    python benchmarks/classroom_load.py --students 5 --seconds 8     # the CI form (tests/test_classroom_load.py)
    python benchmarks/classroom_load.py --json out.json              # also write the figures as JSON
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

from gradio_client import Client

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's gan_explorer for the in-process part, as the server uses
MODELS = ["dcgan (shipped)", "mlp (shipped)", "dcgan_conditional (shipped)", "dcgan_wgan_gp (shipped)"]
METHODS = ["spherical (slerp)", "linear"]
ENDPOINTS = ("/generate", "/interpolate")
MAX_REQUESTS_PER_STUDENT = 5_000
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_DISABLE_TELEMETRY": "1", "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("SPACE_ID", None)  # loopback only
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the app did not answer within 120 s; see {log}")


def server_cpu_s(pid: int) -> float:
    """utime + stime of the whole server process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def client(port: int) -> Client:
    return Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False, download_files=False)


def call(c: Client, endpoint: str, rng: random.Random) -> None:
    model = rng.choice(MODELS)
    if endpoint == "/generate":
        c.predict(model=model, seed=rng.randrange(10**6), digit=rng.randrange(10), z="", api_name=endpoint)
    else:
        c.predict(model=model, start_seed=rng.randrange(10**6), end_seed=rng.randrange(10**6),
                  start_digit=rng.randrange(10), end_digit=rng.randrange(10), steps=rng.choice([8, 16, 32]),
                  method=rng.choice(METHODS), api_name=endpoint)


def cpu_per_request(port: int, pid: int, endpoint: str | None, seconds: float, workers: int = 4) -> tuple[float, int]:
    """(server CPU seconds, requests) over `seconds` of only `endpoint` (None: no requests, the idle rate)."""
    clients = [client(port) for _ in range(workers)] if endpoint else []
    counts = [0] * len(clients)
    start_cpu, deadline = server_cpu_s(pid), time.monotonic() + seconds

    def loop(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < deadline:
            call(clients[i], endpoint, rng)
            counts[i] += 1
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if not threads:
        time.sleep(seconds)
    used = server_cpu_s(pid) - start_cpu
    for c in clients:
        c.close()
    return used, sum(counts)


class Trainer(threading.Thread):
    """A student training: streams /train and records when each update arrives."""

    def __init__(self, port: int, steps: int) -> None:
        super().__init__(daemon=True)
        self.client, self.steps, self.arrivals, self.error = client(port), steps, [], None

    def run(self) -> None:
        try:
            for _ in self.client.submit(steps=self.steps, api_name="/train"):
                self.arrivals.append(time.monotonic())
        except Exception as e:
            self.error = f"/train: {type(e).__name__}: {e}"

    def longest_gap(self, start: float, end: float) -> float:
        times = [start, *[t for t in self.arrivals if start <= t <= end], end]
        return max(b - a for a, b in zip(times, times[1:]))

    def stop(self) -> None:
        self.client.predict(api_name="/stop")
        self.join(30)
        self.client.close()


def student(port: int, seed: int, deadline: float, latencies: dict[str, list[float]], errors: list[str]) -> None:
    rng, c = random.Random(seed), client(port)
    try:
        for _ in range(MAX_REQUESTS_PER_STUDENT):
            if time.monotonic() >= deadline:
                break
            endpoint = "/generate" if rng.random() < 0.7 else "/interpolate"
            start = time.monotonic()
            try:
                call(c, endpoint, rng)
                latencies[endpoint].append(time.monotonic() - start)
            except Exception as e:
                errors.append(f"{endpoint}: {type(e).__name__}: {e}")
            time.sleep(rng.uniform(0, 0.5))  # a student looks at the picture before the next move
    finally:
        c.close()


def run_class(port: int, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    trainers = [Trainer(port, steps=10**6) for _ in range(args.trainers)]
    for t in trainers:
        t.start()
    wait_until = time.monotonic() + 60
    while any(not t.arrivals and t.error is None for t in trainers) and time.monotonic() < wait_until:
        time.sleep(0.1)
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = [t.error for t in trainers if t.error]
    peak, done = [rss_mb(pid)], threading.Event()

    def sample_rss() -> None:
        while not done.wait(0.5):
            peak.append(rss_mb(pid))
    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    start = time.monotonic()
    students = [threading.Thread(target=student, args=(port, i, start + args.seconds, latencies, errors))
                for i in range(args.students)]
    for s in students:
        s.start()
    for s in students:
        s.join(args.seconds + 120)
    end = time.monotonic()
    gaps = [round(t.longest_gap(start, end), 2) for t in trainers]
    updates = [sum(start <= a <= end for a in t.arrivals) for t in trainers]
    for t in trainers:
        t.stop()
        if t.error:
            errors.append(t.error)
    done.set()
    sampler.join()
    return {"seconds": round(end - start, 1), "latencies": latencies, "errors": errors,
            "train_longest_gap_s": gaps, "train_updates": updates, "rss_peak_mb": round(max(peak))}


def nearest_comparison(samples: int) -> dict[str, Any]:
    """The Explore tab's nearest-image search, exact and indexed, in this process on one thread."""
    import torch

    from gan_explorer.checkpoints import SHIPPED_DIR, load_checkpoint
    from gan_explorer.data import default_data_root, load_mnist
    from gan_explorer.nearest import TrainingImages, nearest_training_image

    torch.set_num_threads(1)
    index = TrainingImages.build(load_mnist(default_data_root()))
    generator = load_checkpoint(SHIPPED_DIR / "dcgan.safetensors").generator
    with torch.no_grad():
        images = generator(torch.randn(samples, generator.latent_dim, generator=torch.Generator().manual_seed(0)))
    result: dict[str, Any] = {}
    for name, exact in (("exact", True), ("indexed", False)):
        start = time.perf_counter()
        result[name] = [nearest_training_image(image, index, exact=exact)[1] for image in images]
        result[f"{name}_ms"] = round((time.perf_counter() - start) / samples * 1e3, 2)
    result["same_image"] = sum(a == b for a, b in zip(result.pop("exact"), result.pop("indexed")))
    result["samples"] = samples
    return result


def server_cpu(port: int, pid: int, window: float) -> dict[str, Any]:
    """The server's CPU ms per request of each endpoint, less its idle rate over the same window."""
    idle_cpu, _ = cpu_per_request(port, pid, None, window)
    per_request = {}
    for endpoint in ENDPOINTS:
        used, count = cpu_per_request(port, pid, endpoint, window)
        per_request[endpoint] = round((used - idle_cpu) / max(count, 1) * 1e3, 1)
    return {"server_cpu_ms_per_request": per_request, "server_idle_cpu_ms_per_s": round(idle_cpu / window * 1e3, 1)}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [0])[0]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the class explores")
    parser.add_argument("--cpu-window", type=float, default=10.0,
                        help="seconds per endpoint for CPU/request (0 skips it)")
    parser.add_argument("--after", type=float, default=10.0, help="seconds after the class before the last RSS")
    parser.add_argument("--nearest-samples", type=int, default=200, help="0 skips the nearest-search comparison")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--nice", type=int, default=0,
                        help="run the simulated students at this lower priority (os.nice, after the server "
                             "starts): a real class's browsers run on their own machines, not the server's cores")
    args = parser.parse_args(argv)
    port = _free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"classroom_load-{port}.log"
    server = start_server(port, log)
    os.nice(args.nice)  # this process only: the server started above keeps its priority
    report: dict[str, Any] = {"students_nice": args.nice}
    try:
        warm = client(port)
        for endpoint in ENDPOINTS:  # loads the shipped checkpoints once
            for i, _ in enumerate(MODELS):
                call(warm, endpoint, random.Random(i))
        warm.close()
        time.sleep(2)
        report["rss_before_mb"] = round(rss_mb(server.pid))
        if args.cpu_window > 0:
            report.update(server_cpu(port, server.pid, args.cpu_window))
        result = run_class(port, server.pid, args)
        latencies = result.pop("latencies")
        report.update(result)
        report["served"] = {e: len(latencies[e]) for e in ENDPOINTS}
        report["p50_s"] = {e: round(percentile(latencies[e], 50), 3) for e in ENDPOINTS}
        report["p95_s"] = {e: round(percentile(latencies[e], 95), 3) for e in ENDPOINTS}
        time.sleep(args.after)  # the students' and trainers' clients are closed: their sessions unload
        report["rss_after_mb"] = round(rss_mb(server.pid))
        report["server_alive"] = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    if args.nearest_samples:
        report["nearest"] = nearest_comparison(args.nearest_samples)
    from gan_explorer.device import cpu_summary
    report["cpu"] = cpu_summary()
    report["errors"] = report.get("errors", [])
    report["error_count"] = len(report["errors"])
    report["errors"] = report["errors"][:10]
    print(json.dumps({**report, "students": args.students, "trainers": args.trainers}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
