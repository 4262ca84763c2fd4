"""Every endpoint answers every bad value with a message that names the problem, and logs no traceback.

A corpus of bad values is sent to every parameter of every named endpoint the API page lists, the
others at their advertised defaults: each call gives a valid result or a clear gr.Error (never Gradio's
opaque "upstream Gradio app has raised an exception", never our "Something went wrong" for a bug), the
server log stays free of tracebacks, and the server still answers afterwards.
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # the client must not reach 127.0.0.1 via a proxy

pytestmark = pytest.mark.timeout(600)

BAD_VALUES: list[Any] = [-1, 0, math.nan, math.inf, 1e12, "abc", [1, 2], {"a": 1}, "", None]
OPAQUE = ("upstream Gradio app has raised an exception", "Something went wrong")
# Calls that would start real work if their value is accepted are kept small (the corpus must fit in CI):
# /train trains one step and is stopped, t-SNE embeds the fewest samples.
SMALL = {"/train": {"steps": 1}, "/lab_start": {"steps": 1}, "/tsne": {"n": 100}}
STOPS = {"/train": "/stop", "/lab_start": "/lab_stop"}  # a run started by a valid value is ended at once
TRAIN_WAIT_S = 60


LIVE_SESSION = "bad-input-live-run"


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False, analytics_enabled=False)


@pytest.fixture(scope="module")
def endpoints(client: Client) -> dict[str, list[dict[str, Any]]]:
    """Endpoint -> its parameters as the API page advertises them (name, label, default)."""
    api = client.view_api(return_format="dict", print_info=False)
    return {name: info["parameters"] for name, info in api["named_endpoints"].items()}


@pytest.fixture(scope="module")
def raw(app_url: str, endpoints: dict[str, list[dict[str, Any]]]) -> Iterator[Any]:
    """call(api_name, **kwargs) -> (event, data) through Gradio's HTTP API. Raw HTTP, because
    gradio_client cannot send NaN or infinity (JSON has no such numbers, but Python's parser takes
    them, as Gradio's server does). Each call has a session that nothing has changed: a new one after
    any call that was not refused (a session's messages share one stream), the same one while its calls
    are refused (a refusal leaves the session as it was; a new session per call took a third of this
    module's time, in Gradio's per-session copy of the page's state). /update_settings' session has
    a live run instead, so that it checks what it is sent."""
    sessions = (f"bad-input-{i}" for i in itertools.count())
    untouched = next(sessions)
    with httpx.Client(base_url=app_url.rstrip("/") + "/gradio_api", timeout=TRAIN_WAIT_S) as http:
        def send(api_name: str, session: str, **kwargs: Any) -> tuple[str, Any]:
            params = endpoints[api_name]
            values = {p["parameter_name"]: p["parameter_default"] for p in params} | kwargs
            body = json.dumps({"data": [values[p["parameter_name"]] for p in params], "session_hash": session})
            posted = http.post(f"/call{api_name}", content=body, headers={"content-type": "application/json"})
            if posted.status_code != 200:
                return "refused", posted.text
            return _first_event(http, f"/call{api_name}/{posted.json()['event_id']}")

        def call(api_name: str, **kwargs: Any) -> tuple[str, Any]:
            nonlocal untouched
            session = LIVE_SESSION if api_name == "/update_settings" else untouched
            event = "sent"
            try:
                event, data = send(api_name, session, **kwargs)
                return event, data
            finally:
                if api_name in STOPS and event != "error":  # only its first update was read: end the run
                    send(STOPS[api_name], session)  # (a refusal started none: it left the session as it was)
                if session == untouched and event != "error":  # a Stop of nothing changes nothing
                    untouched = next(sessions)

        send("/step", LIVE_SESSION)
        yield call


def _first_event(http: httpx.Client, path: str) -> tuple[str, Any]:
    """The first result, error or streamed update of an event (a /train stream is not read further)."""
    with http.stream("GET", path) as response:
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event in ("complete", "error", "generating"):
                return event, json.loads(line[len("data: "):])
    return "closed", None


def _problem(event: str, data: Any) -> str | None:
    """None for a valid result or a clear message; otherwise what went wrong."""
    if event in ("complete", "generating"):
        return None
    message = (data or {}).get("error") if isinstance(data, dict) else data
    if event != "error" or not message or any(words in str(message) for words in OPAQUE):
        return f"{event}: {str(data)[:200]}"
    return None


@pytest.fixture
def quiet_log(capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test if the server printed or logged a traceback while it ran."""
    caplog.set_level(logging.WARNING)
    yield
    err = capfd.readouterr().err
    assert "Traceback" not in err, err[-3000:]
    traced = [r for r in caplog.records if r.exc_info]
    assert not traced, [r.getMessage() for r in traced]


ENDPOINTS_WITH_PARAMETERS = ["/train", "/step", "/d_step", "/g_step", "/update_settings", "/generate", "/interpolate",
                             "/tsne", "/load_checkpoint", "/load_shipped", "/invert", "/directions", "/lesson", "/replay",
                             "/lab_start", "/lab_stop", "/lab_step", "/lab_d_step", "/lab_g_step"]


def test_the_corpus_covers_every_endpoint_with_parameters(endpoints: dict[str, list[dict[str, Any]]]) -> None:
    assert sorted(name for name, params in endpoints.items() if params) == sorted(ENDPOINTS_WITH_PARAMETERS)


@pytest.mark.parametrize("api_name", ENDPOINTS_WITH_PARAMETERS)
def test_every_bad_value_of_every_parameter_gets_a_clear_message(
        raw: Any, endpoints: dict[str, list[dict[str, Any]]], api_name: str, quiet_log: None) -> None:
    failures = []
    for param in endpoints[api_name]:
        for value in BAD_VALUES:
            problem = _problem(*raw(api_name, **{**SMALL.get(api_name, {}), param["parameter_name"]: value}))
            if problem:
                failures.append(f"{param['parameter_name']}={value!r}: {problem}")
    assert not failures, "\n".join(failures)
    assert raw("/generate")[0] == "complete", "the server no longer answers"


@pytest.mark.parametrize("api_name", ["/train", "/step", "/d_step", "/g_step", "/pause", "/stop", "/reset",
                                      "/update_settings", "/save_checkpoint", "/generate", "/interpolate", "/tsne",
                                      "/load_checkpoint", "/load_shipped", "/invert", "/directions", "/lesson",
                                      "/replay"])
def test_every_endpoint_works_with_the_defaults_the_api_page_advertises(
        client: Client, api_name: str, quiet_log: None) -> None:
    """As gradio_client calls them when given no arguments (it fills in the advertised defaults)."""
    try:
        if api_name == "/train":  # a 3,000-step stream: its first update is enough
            job = client.submit(api_name=api_name)
            deadline = time.monotonic() + TRAIN_WAIT_S
            while not job.done() and not job.outputs() and time.monotonic() < deadline:
                time.sleep(0.05)
            if job.done() and not job.outputs():
                job.result()  # a refusal raises its AppError here
            assert job.outputs(), f"/train sent no update in {TRAIN_WAIT_S} s"
        else:
            client.predict(api_name=api_name)
    except AppError as e:  # a refusal is fine when it says what to do (e.g. "upload a file first")
        assert str(e).strip() and not any(words in str(e) for words in OPAQUE), str(e)
    finally:
        if api_name == "/train":
            client.predict(api_name="/stop")


def test_no_parameter_is_advertised_without_a_name(endpoints: dict[str, list[dict[str, Any]]]) -> None:
    unnamed = [(name, p["parameter_name"]) for name, params in endpoints.items() for p in params
               if p["label"].startswith("parameter_")]
    assert not unnamed


def test_generate_with_its_advertised_defaults_draws_an_image(client: Client) -> None:
    assert os.path.isfile(client.predict(api_name="/generate"))


@pytest.mark.parametrize(("api_name", "kwargs", "label"), [
    ("/step", {"g_lr": math.nan}, "G learning rate"),
    ("/step", {"n_critic": "abc"}, "n_critic (D steps per G step)"),
    ("/step", {"architecture": ["dcgan"]}, "Architecture"),
    ("/train", {"steps": math.inf}, "Train for (generator steps)"),
    ("/generate", {"seed": math.nan}, "Seed (gives z)"),
    ("/generate", {"digit": 11}, "Digit (conditional models)"),
    ("/interpolate", {"end_seed": ""}, "End seed"),
    ("/interpolate", {"steps": 1e12}, "Steps (endpoints included)"),
    ("/tsne", {"n_real": -1}, "Real MNIST digits mixed in"),
    ("/load_checkpoint", {"upload": {"a": 1}}, "Upload a checkpoint"),
    # 1 GB of networks asked for in the Train form: refused before anything is built (config's size cap).
    ("/step", {"architecture": "mlp", "mlp_g_hidden": "8192, 8192, 8192"}, "MLP G hidden widths"),
])
def test_a_bad_value_is_refused_naming_the_control_as_the_page_labels_it(
        raw: Any, api_name: str, kwargs: dict[str, Any], label: str) -> None:
    event, data = raw(api_name, **{**SMALL.get(api_name, {}), **kwargs})
    assert event == "error" and label in str(data["error"]), data
