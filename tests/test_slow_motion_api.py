"""/d_step and /g_step through gradio_client, against a real launched server (MNIST needed)."""
from __future__ import annotations

import os
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

STATUS = 4  # the live view's status line
pytestmark = pytest.mark.timeout(180)


def _client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


def test_d_step_then_g_step_start_a_run_and_say_what_moved(app_url: str) -> None:
    client = _client(app_url)
    status = client.predict(api_name="/d_step")[STATUS]
    assert "<b>Step 0</b>" in status  # a D step is not a generator step
    assert "D step: D(x) 0." in status and "D(G(z)) 0." in status and " → " in status, status
    status = client.predict(api_name="/g_step")[STATUS]
    assert "<b>Step 1</b>" in status
    assert "G step: D(G(z)) 0." in status and "D(x)" not in status.split("G step:")[1], status


def test_half_steps_are_refused_while_the_run_trains(app_url: str) -> None:
    client = _client(app_url)
    job = client.submit(steps=100_000, api_name="/train")
    deadline = time.monotonic() + 60
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        for name, button in (("/d_step", "D step"), ("/g_step", "G step")):
            with pytest.raises(AppError, match=f"press Pause first, then {button}"):
                client.predict(api_name=name)
        client.predict(api_name="/pause")
        paused_at = client.predict(api_name="/g_step")[STATUS]  # paused: the run's own trainer steps
        assert "G step: D(G(z))" in paused_at and "paused" in paused_at
    finally:
        client.predict(api_name="/stop")
