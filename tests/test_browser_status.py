"""What a class sees when an input is refused (playwright, real Chromium): nothing else on the page changes.

Own page per test (a fresh session each). Needs Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import click_while_streaming, marks, open_app, wait_until_settled  # tests/ is on sys.path

OUTPUTS = ["#train-status", "#train-grid", "#chart-losses", "#chart-scores", "#chart-grads"]
STATUS = "document.querySelector('#train-status')?.innerText"
# The grid's picture and the loss chart's title (null while either is being replaced).
SHOWN_JS = ("() => [document.querySelector('#train-grid img')?.getAttribute('src') ?? null,"
            " document.querySelector('#chart-losses .gtitle')?.textContent ?? null]")
# How long a test watches for something that must not happen (a second message, a changed output).
QUIET_S = 2.0

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(browser: sync_api.Browser, app_url: str) -> Iterator[sync_api.Page]:
    page = open_app(browser, app_url)
    yield page
    page.close()


def _toasts(page: sync_api.Page) -> list[str]:
    return page.locator(".toast-body").all_inner_texts()


def _wait_for_toast(page: sync_api.Page, pattern: str) -> None:
    """Until a toast's text matches `pattern` (a JS regular expression)."""
    page.wait_for_function("p => [...document.querySelectorAll('.toast-body')].some(t => new RegExp(p).test(t.innerText))",
                           arg=pattern)


def _marked_error(page: sync_api.Page) -> list[str]:
    """Outputs Gradio marked with its red "Error" badge."""
    return [s for s in OUTPUTS if page.locator(f"{s} .error").count()]


def test_a_damaged_upload_is_refused_and_leaves_the_grid_and_charts_as_they_were(
        page: sync_api.Page, tmp_path: Path, artifacts_dir: Path) -> None:
    page.click("#train-step")
    page.wait_for_function(f"{STATUS}?.includes('Step 1')")
    grid, title = wait_until_settled(page, SHOWN_JS)  # the step's last output has landed
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    page.get_by_text("Save or export this run").click()
    with page.expect_file_chooser() as chooser:
        page.click("#train-upload")
    chooser.value.set_files(str(damaged))
    _wait_for_toast(page, "not a readable safetensors file")
    time.sleep(QUIET_S)  # an output the refusal changed by mistake would have landed by now
    page.screenshot(path=str(artifacts_dir / "refused-upload.png"))
    assert any("not a readable safetensors file" in t for t in _toasts(page)), _toasts(page)
    assert _marked_error(page) == []
    assert page.evaluate(SHOWN_JS) == [grid, title]


def test_an_invalid_live_learning_rate_is_refused_and_the_field_returns_to_the_value_in_force(
        page: sync_api.Page) -> None:
    page.click("#train-start")
    page.wait_for_function(f"{STATUS}?.includes('training')")
    field = page.get_by_label("D learning rate")
    in_force = field.input_value()
    try:
        field.fill("5")
        field.press("Tab")  # blur: the live settings apply
        _wait_for_toast(page, "d_lr|D learning rate")
        try:
            page.wait_for_function("v => document.querySelector('#train-d_lr input')?.value === v", arg=in_force)
        except sync_api.TimeoutError:
            raise AssertionError(f"the refused value stayed in the field: {field.input_value()}") from None
        assert f"D {float(in_force):g}" in page.locator("#train-status").inner_text()
    finally:
        click_while_streaming(page, "#train-stop")


def test_live_run_before_any_training_is_refused_once_and_clears_explores_picture(page: sync_api.Page) -> None:
    page.get_by_role("tab", name="Explore").click()
    page.wait_for_selector("#explore-image img")  # the shipped model's picture
    page.locator("#explore-model input").click()
    page.get_by_role("option", name="Live run (latest snapshot)").click()
    _wait_for_toast(page, "no live run yet")
    time.sleep(QUIET_S)  # a second message would arrive by now
    messages = [t for t in _toasts(page) if "no live run yet" in t]
    assert len(messages) == 1, _toasts(page)
    assert page.locator("#explore-image img").count() == 0, "the previous model's picture stayed under Live run"


def test_a_run_that_diverges_is_stopped_and_its_charts_stay_readable(page: sync_api.Page,
                                                                     artifacts_dir: Path) -> None:
    for label in ("G learning rate", "D learning rate"):
        page.get_by_label(label).fill("1")
    page.click("#train-start")
    page.wait_for_function(f"{STATUS}?.includes('Diverged')", timeout=120_000)
    status = wait_until_settled(page, f"() => {STATUS}")  # the stream's last update has landed
    page.screenshot(path=str(artifacts_dir / "diverged-run.png"))
    assert "The run was stopped" in status and "learning rate" in status
    assert _marked_error(page) == [], "the grid and charts that show what went wrong were covered"
