"""What a class sees when an input is refused (playwright, real Chromium): nothing else on the page changes.

Own page per test (a fresh session each). Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import marks, open_app  # tests/ is on sys.path (pytest's default import mode)

OUTPUTS = ["#train-status", "#train-grid", "#chart-losses", "#chart-scores", "#chart-grads"]

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(browser: sync_api.Browser, app_url: str) -> Iterator[sync_api.Page]:
    page = open_app(browser, app_url)
    yield page
    page.close()


def _toasts(page: sync_api.Page) -> list[str]:
    return page.locator(".toast-body").all_inner_texts()


def _marked_error(page: sync_api.Page) -> list[str]:
    """Outputs Gradio marked with its red "Error" badge."""
    return [s for s in OUTPUTS if page.locator(f"{s} .error").count()]


def test_a_damaged_upload_is_refused_and_leaves_the_grid_and_charts_as_they_were(
        page: sync_api.Page, tmp_path: Path, artifacts_dir: Path) -> None:
    page.click("#train-step")
    page.wait_for_selector("#train-grid img", timeout=60_000)
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('Step 1')")
    grid = page.locator("#train-grid img").get_attribute("src")
    title = page.locator("#chart-losses .gtitle").text_content()
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    page.get_by_text("Checkpoints: save this run").click()
    with page.expect_file_chooser() as chooser:
        page.click("#train-upload")
    chooser.value.set_files(str(damaged))
    page.wait_for_selector(".toast-body", timeout=30_000)
    time.sleep(1.0)  # let any late output update land
    page.screenshot(path=str(artifacts_dir / "refused-upload.png"))
    assert any("not a readable safetensors file" in t for t in _toasts(page)), _toasts(page)
    assert _marked_error(page) == []
    assert page.locator("#train-grid img").get_attribute("src") == grid
    assert page.locator("#chart-losses .gtitle").text_content() == title


def test_an_invalid_live_learning_rate_is_refused_and_the_field_returns_to_the_value_in_force(
        page: sync_api.Page) -> None:
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('training')",
                           timeout=60_000)
    field = page.get_by_label("D learning rate")
    in_force = field.input_value()
    try:
        field.fill("5")
        field.press("Tab")  # blur: the live settings apply
        page.wait_for_function("document.querySelector('#train-status').innerText !== ''")
        deadline = time.monotonic() + 15
        while field.input_value() != in_force and time.monotonic() < deadline:
            time.sleep(0.1)
        assert field.input_value() == in_force, "the refused value stayed in the field"
        assert any("d_lr" in t or "D learning rate" in t for t in _toasts(page)), _toasts(page)
        assert f"D {float(in_force):g}" in page.locator("#train-status").inner_text()
    finally:
        page.click("#train-stop")


def test_live_run_before_any_training_is_refused_once_and_clears_explores_picture(page: sync_api.Page) -> None:
    page.get_by_role("tab", name="Explore").click()
    page.wait_for_selector("#explore-image img", timeout=30_000)  # the shipped model's picture
    page.locator("#explore-model input").click()
    page.get_by_role("option", name="Live run (latest snapshot)").click()
    page.wait_for_selector(".toast-body", timeout=30_000)
    time.sleep(1.5)  # a second message would arrive by now
    messages = [t for t in _toasts(page) if "no live run yet" in t]
    assert len(messages) == 1, _toasts(page)
    assert page.locator("#explore-image img").count() == 0, "the previous model's picture stayed under Live run"


def test_a_run_that_diverges_is_stopped_and_its_charts_stay_readable(page: sync_api.Page,
                                                                     artifacts_dir: Path) -> None:
    for label in ("G learning rate", "D learning rate"):
        page.get_by_label(label).fill("1")
    page.click("#train-start")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('Diverged')",
                           timeout=90_000)
    time.sleep(1.5)  # the stream's last update
    page.screenshot(path=str(artifacts_dir / "diverged-run.png"))
    status = page.locator("#train-status").inner_text()
    assert "The run was stopped" in status and "learning rate" in status
    assert _marked_error(page) == [], "the grid and charts that show what went wrong were covered"
