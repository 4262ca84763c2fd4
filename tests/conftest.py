"""Shared fixtures. MNIST comes from $GAN_EXPLORER_DATA (CI sets it to ../shared/data)."""
from __future__ import annotations

import gc
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from browsing import ModuleBrowser, chromium, open_app
from machine_share import ALONE, machine_share

from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors, default_data_root, load_mnist
from gan_explorer.datasets import DATASETS
from gan_explorer.forkserver import Forkserver
from gan_explorer.metrics import DigitReference, Judge, default_judge, digit_reference
from gan_explorer.models import ARCHITECTURE_KINDS
from gan_explorer.trainer import Trainer, live_runs

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers share the cores: a worker's app must not borrow the other's core for its training
    # (cores.py), as two OpenMP thread pools on two busy cores can make a step ten times as long.
    os.environ.setdefault("GAN_EXPLORER_TORCH_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
THREAD_JOIN_S = 30.0


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """A dataset root that holds MNIST; the sibling ../shared/data is used when the env var is unset."""
    candidates = [default_data_root(), REPO.parent / "shared" / "data"]
    for root in candidates:
        if (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
            return root
    pytest.fail(f"MNIST not found in any of {[str(c) for c in candidates]}; set GAN_EXPLORER_DATA.")


@pytest.fixture(scope="session")
def mnist(mnist_root: Path) -> MNISTTensors:
    return load_mnist(mnist_root, train=True, download=False)


@pytest.fixture(scope="session")
def mnist_test(mnist_root: Path) -> MNISTTensors:
    return load_mnist(mnist_root, train=False, download=False)


@pytest.fixture(scope="session")
def judge() -> Judge:
    """The app's quality judge (the shipped classifier and its statistics): loaded once, only read."""
    return default_judge()


@pytest.fixture(scope="session")
def reference(judge: Judge, mnist_test: MNISTTensors) -> DigitReference:
    """Per-digit feature statistics of MNIST's test digits, as the app's quality checks use them: computed
    once for the modules that check real runs (diagnosis, lessons; ~4 s each)."""
    return digit_reference(judge, mnist_test)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def lab(browser: Any, app_url: str) -> Iterator[Any]:
    """A page of the app at 1280 x 720 with the 2-D lab tab open."""
    page = open_app(browser, app_url, width=1280, height=720)
    page.get_by_role("tab", name="2-D lab").click()
    page.wait_for_selector("#lab-start")
    yield page
    page.close()


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    """One headless Chromium (tests/browsing.py) for the whole run: launching one took ~1.6 s per module."""
    pytest.importorskip("playwright.sync_api")
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def browser(_chromium: Any) -> Iterator[ModuleBrowser]:
    """The shared Chromium for one test module; whatever pages the module opened are closed when it ends,
    as closing a browser of its own did (a page left open would keep its session and run alive)."""
    with ModuleBrowser(_chromium) as browser:
        yield browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _app_server(mnist_root: Path) -> Iterator[str]:
    """The app launched once in this process on a free localhost port, as app.py launches it, for every
    module that uses app_url: building, launching and warming up one took ~7 s per module (20 modules)."""
    from gan_explorer.ui import build_demo, launch_options

    os.environ["GAN_EXPLORER_DATA"] = str(mnist_root)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # the client must not reach 127.0.0.1 via a proxy
    demo = build_demo()  # with torch's threads configured (app_url), as app.py builds it
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            quiet=True, **launch_options())
    yield url
    demo.close()
    _stop_runs_left_behind()


@pytest.fixture(scope="module")
def app_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The shared app's URL for one module. While the module runs, torch's threads are as app.py
    configures them before it builds the app (the server keeps a core; threads started from then on
    compute on the server's share); when it ends, every run its sessions left is stopped, so none
    trains through later modules."""
    from gan_explorer.ui import configure_torch_threads

    threads = torch.get_num_threads()
    configure_torch_threads()
    yield request.getfixturevalue("_app_server")
    _stop_runs_left_behind()
    torch.set_num_threads(threads)


def live_trainers() -> list[Trainer]:
    """Every run in this process that has not been stopped (the tests run the app in-process)."""
    return [run for run in live_runs() if isinstance(run, Trainer)]


def _stop_runs_left_behind() -> None:
    """Sessions of a closed app may still hold runs (idle or training in their thread); stop them,
    so they neither use the CPU nor count as live runs in the next module's tests."""
    gc.collect()
    for trainer in live_trainers():
        trainer.stop()
    # Let the app's own threads (training, quality checks, warm-up) finish their step: torch torn down
    # under a thread still computing aborts the process ("terminate called without an active exception").
    for thread in threading.enumerate():
        if thread.name.startswith("gan-explorer-"):
            thread.join(THREAD_JOIN_S)


# Tiny networks for the Trainer's tests (make_trainer): fast on one thread.
TINY = {"mlp_g_hidden": (32, 64), "mlp_d_hidden": (64, 32), "dcgan_width": 8, "latent_dim": 16, "batch_size": 16}


@pytest.fixture(scope="session")
def forkserver() -> Iterator[Forkserver]:
    """One forkserver for the lab's runs of this test process, as the app has one (builder.py)."""
    server = Forkserver()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def small_data(mnist: MNISTTensors) -> MNISTTensors:
    """The first 512 MNIST images: enough for a few steps of a small batch."""
    return MNISTTensors(mnist.images[:512], mnist.labels[:512])


@pytest.fixture()
def make_trainer(small_data: MNISTTensors) -> Callable[..., Trainer]:
    """make(**settings): a CPU Trainer of TINY networks (an MLP unless told) on small_data, on the first
    dataset of a kind its architecture learns (MNIST for image networks, points for mlp2d) unless told."""
    def make(**settings: object) -> Trainer:
        settings = {"architecture": "mlp", **TINY, **settings}
        kinds = ARCHITECTURE_KINDS[settings["architecture"]]
        settings.setdefault("dataset", next(name for name, d in DATASETS.items() if d.kind in kinds))
        return Trainer(TrainConfig(**settings), "cpu", data=small_data)
    return make


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One PyTorch thread, as the app's server runs G: many small ops on two threads crawled (14x slower)
    on a busy 2-core machine (inversion, directions)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Whatever a test left running (a warm-up started by build_demo() without an app, a run),
    stopped and joined before the interpreter tears torch down under it."""
    _stop_runs_left_behind()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Each test (set-up, reruns and tear-down included) holds the machine: alone when it measures a rate
    or a lag, shared otherwise (machine_share.py)."""
    with machine_share(alone=item.get_closest_marker(ALONE) is not None):
        return (yield)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Why each rerun test failed first: -rR only names them (pytest-rerunfailures keeps their reports)."""
    reports = terminalreporter.stats.get("rerun", [])
    if reports:
        terminalreporter.section("why the reruns failed first")
    for report in reports:
        crash = getattr(report.longrepr, "reprcrash", None)
        why = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1]
        terminalreporter.write_line(f"{report.nodeid} ({report.when}, {_test_line(report.longrepr)}): {why[:400]}")


def _test_line(longrepr: Any) -> str:
    """The last place in tests/ of a failure's traceback: the wait that timed out, not playwright's frame."""
    entries = getattr(getattr(longrepr, "reprtraceback", None), "reprentries", [])
    places = [f"{Path(e.reprfileloc.path).name}:{e.reprfileloc.lineno}" for e in entries
              if getattr(e, "reprfileloc", None) and "tests" in Path(e.reprfileloc.path).parts]
    return places[-1] if places else "?"
