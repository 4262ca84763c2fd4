"""Deploying where a class runs it: a Space (all interfaces, `demo` at module level, LFS for weights),
a container's real CPU count, a first start's visible MNIST download, and no silent slow precision."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gradio as gr
import pytest
import torch

from gan_explorer import device
from gan_explorer.config import PRECISIONS
from gan_explorer.data import DOWNLOAD_BYTES, download_fraction
from gan_explorer.ui.preparation import Preparation

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on `port` (from /proc/net/tcp, state 0A = LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_app_on_a_space_serves_on_all_interfaces(mnist_root: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SPACE_ID": "teacher/gan-explorer", "GRADIO_SERVER_PORT": str(port),
           "GAN_EXPLORER_DATA": str(mnist_root), "GRADIO_ANALYTICS_ENABLED": "False",
           "NO_PROXY": "127.0.0.1,localhost,0.0.0.0"}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            assert process.poll() is None, "app.py exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("app.py did not serve within 150 s")
        assert _listening_addresses(port) == {"0.0.0.0"}
    finally:
        process.terminate()
        process.wait(20)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_app_module_exposes_demo_for_reload_mode(mnist_root: Path) -> None:
    # os._exit: the app's warm-up thread may still be reading MNIST, and tearing torch down under it
    # aborts the process (a server never exits this early; this check does).
    check = "import os, app, gradio; assert isinstance(app.demo, gradio.Blocks); print('demo ok', flush=True); os._exit(0)"
    result = subprocess.run([sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True, timeout=150,
                            env={**os.environ, "GAN_EXPLORER_DATA": str(mnist_root)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "demo ok" in result.stdout


def test_usable_cpus_follows_the_containers_cgroup_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu_max = tmp_path / "cpu.max"
    monkeypatch.setattr(device, "CGROUP_V2_CPU_MAX", cpu_max)
    affinity = len(os.sched_getaffinity(0))
    cpu_max.write_text("max 100000\n")
    assert device.usable_cpus() == affinity
    cpu_max.write_text("100000 100000\n")  # one core's worth of quota on a bigger host
    assert device.usable_cpus() == 1
    cpu_max.write_text("50000 100000\n")  # half a core still trains with one thread
    assert device.usable_cpus() == 1


def test_bf16_is_flagged_only_where_this_cpu_emulates_it(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = torch.device("cpu")
    monkeypatch.setattr(device, "native_bf16", lambda: False)
    assert "12 times slower" in device.precision_warning("bf16", cpu)
    assert device.precision_warning("auto", cpu) is None
    assert device.autocast_dtype("auto", cpu) is None  # auto never picks emulated bf16
    monkeypatch.setattr(device, "native_bf16", lambda: True)
    assert device.precision_warning("bf16", cpu) is None
    assert device.autocast_dtype("auto", cpu) is torch.bfloat16


def test_the_precision_choices_say_what_each_does_on_this_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = torch.device("cpu")
    monkeypatch.setattr(device, "native_bf16", lambda: False)
    labels = {value: label for label, value in device.precision_choices(cpu)}
    assert set(labels) == set(PRECISIONS)
    assert labels["auto"] == "auto: fp32 here" and "12x slower" in labels["bf16"]
    monkeypatch.setattr(device, "native_bf16", lambda: True)
    labels = {value: label for label, value in device.precision_choices(cpu)}
    assert labels["auto"] == "auto: bf16 here" and labels["bf16"] == "bf16"


def test_the_train_form_offers_the_precisions_with_what_they_do_here() -> None:
    from gan_explorer.ui.train_controls import build_settings

    with gr.Blocks():
        _, controls, _ = build_settings()
    assert controls["precision"].choices == [tuple(c) for c in device.precision_choices(device.resolve_device())]


def test_cpu_summary_names_the_capability_and_bf16_support() -> None:
    summary = device.cpu_summary()
    assert torch.backends.cpu.get_cpu_capability() in summary
    assert re.search(r"bf16 (native|emulated)", summary)


def test_a_first_starts_banner_says_how_far_the_mnist_download_has_got(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"\0" * (DOWNLOAD_BYTES["train-images-idx3-ubyte.gz"] // 2))
    assert 0.4 < download_fraction(tmp_path) < 0.45
    preparation = Preparation(tmp_path)
    assert re.search(r"downloading MNIST, 4\d% of 11\.6 MB", preparation.banner())
    preparation.start(lambda: None)
    assert preparation.done.wait(5)
    assert preparation.banner() is None  # ready: the banner hides


def test_a_failed_preparation_is_said_on_the_page(tmp_path: Path) -> None:
    def fail() -> None:
        raise RuntimeError("no internet")

    preparation = Preparation(tmp_path)
    preparation.start(fail)
    assert preparation.done.wait(5)
    assert preparation.banner() == "MNIST could not be prepared: no internet"


def test_an_unpacked_mnist_counts_as_fully_downloaded(mnist_root: Path) -> None:
    assert download_fraction(mnist_root) == 1.0


def test_space_front_matter_and_lfs_attributes_let_the_hub_take_the_repository() -> None:
    front = (REPO / "README.md").read_text().split("---")[1]
    for key in ("short_description", "license", "tags", "suggested_hardware"):
        assert re.search(rf"^{key}:", front, re.MULTILINE), key
    short = re.search(r"^short_description: (.*)$", front, re.MULTILINE).group(1).strip().strip('"')
    assert len(short) <= 60  # the Hub's limit
    attributes = (REPO / ".gitattributes").read_text()
    assert re.search(r"^\*\.safetensors filter=lfs diff=lfs merge=lfs -text$", attributes, re.MULTILINE)
