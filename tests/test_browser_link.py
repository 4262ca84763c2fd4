"""A link reproduces the page (playwright, Debian's chromium): a link's settings and tab fill the form and
open the tab; Copy link gives a link that, opened in a new page, restores the same form and tab; the
button is readable in both layouts and the presentation layout still hides the settings.

Screenshots go to test-artifacts/ (link-1280x720.png, link-present-1920x1080.png, ...): look at them
after a layout change.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import marks, open_app  # tests/ is on sys.path

from gan_explorer.config import LABELS
from gan_explorer.ui.train_controls import STEPS_LABEL

pytestmark = marks(240)
sync_api = pytest.importorskip("playwright.sync_api")

LINK = "?preset=dcgan&loss=wgan_gp&d_lr=0.0004&steps=2000&tab=explore"
# Every setting's control as the page shows it (a checkbox's tick, else its text), the preset, the steps
# and the open tab.
FORM_JS = """([names, steps]) => {
  const shown = (e) => { if (!e) return null; const box = e.querySelector('input[type=checkbox]');
    return box ? box.checked : (e.querySelector('input, textarea')?.value ?? null); };
  const form = Object.fromEntries(names.map(n => [n, shown(document.getElementById(`train-${n}`))]));
  form.preset = shown(document.getElementById('train-preset'));
  form.steps = [...document.querySelectorAll('label')].find(l => l.textContent.includes(steps))
    ?.closest('.block')?.querySelector('input')?.value ?? null;
  form.tab = document.querySelector('[role=tab][aria-selected=true]')?.dataset.tabId ?? null;
  return form;
}"""
SETTINGS = sorted(LABELS)


def _form(page: sync_api.Page) -> dict[str, Any]:
    return page.evaluate(FORM_JS, [SETTINGS, STEPS_LABEL])


def _opened(browser: sync_api.Browser, url: str, width: int = 1280, height: int = 720) -> sync_api.Page:
    """A page at `url` once the link's last part (the tab it names) has been applied."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    # the app is drawn: the Train tab shows, or the link has already opened another tab (then #train-start
    # stays hidden, and waiting for it to show timed out)
    page.wait_for_function("(() => { const tab = document.querySelector('[role=tab][aria-selected=true]');"
                           " return tab && (tab.dataset.tabId !== 'train'"
                           " || document.querySelector('#train-start')?.checkVisibility()); })()")
    return page


def _copy_link(page: sync_api.Page) -> str:
    page.click("#gx-copy-link")
    page.wait_for_function("document.getElementById('gx-link-copied')?.textContent === 'Link copied'")
    return page.locator("#gx-link-box input, #gx-link-box textarea").first.input_value()


def test_a_link_fills_the_form_opens_the_tab_and_copy_link_gives_it_back(browser: sync_api.Browser,
                                                                          app_url: str) -> None:
    page = _opened(browser, app_url + LINK + "&seed=zz")
    try:
        page.wait_for_function("document.querySelector('[role=tab][aria-selected=true]')?.dataset.tabId === 'explore'")
        notice = page.locator("#gx-link-notice")
        notice.wait_for()
        assert "seed=zz" in notice.inner_text() and "Seed must be a whole number" in notice.inner_text()
        form = _form(page)
        assert (form["preset"], form["loss"], form["d_lr"], form["steps"]) == ("dcgan", "wgan_gp", "0.0004", "2000")
        assert form["seed"] == "0" and form["architecture"] == "dcgan"  # the bad seed left the preset's

        link = _copy_link(page)
        assert link == app_url.rstrip("/") + "/" + LINK  # the bad seed is not in it; the rest, in order
        assert page.evaluate("navigator.clipboard.readText()") == link
        again = _opened(browser, link)
        try:
            again.wait_for_function("document.querySelector('[role=tab][aria-selected=true]')?.dataset.tabId"
                                    " === 'explore' && document.querySelector('#train-d_lr input')?.value === '0.0004'")
            assert _form(again) == form and not again.locator("#gx-link-notice").is_visible()
        finally:
            again.context.close()
    finally:
        page.context.close()


def test_a_changed_setting_and_the_layout_go_into_the_link(browser: sync_api.Browser, app_url: str) -> None:
    page = _opened(browser, app_url)
    try:
        box = page.locator("#train-g_lr input")
        box.fill("0.0003")
        box.blur()
        page.locator("#gx-present input").click()
        page.wait_for_function("document.body.classList.contains('gx-present')")
        assert _copy_link(page) == app_url.rstrip("/") + "/?g_lr=0.0003&present=1"
    finally:
        page.context.close()


def test_a_lesson_still_as_it_was_chosen_links_the_lesson(browser: sync_api.Browser, app_url: str) -> None:
    page = _opened(browser, app_url + "?lesson=smooth-latent-space")
    try:
        page.wait_for_function("document.querySelector('[role=tab][aria-selected=true]')?.dataset.tabId"
                               " === 'interpolate'")
        assert _copy_link(page) == app_url.rstrip("/") + "/?lesson=smooth-latent-space"
    finally:
        page.context.close()


def test_a_blocked_clipboard_leaves_the_link_selected_in_its_box(browser: sync_api.Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        # as on a plain http:// address other than localhost, where browsers give no clipboard
        context.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('blocked'));")
        page = context.new_page()
        page.goto(app_url + "?tab=draw")
        page.wait_for_function("document.querySelector('[role=tab][aria-selected=true]')?.dataset.tabId === 'draw'")
        page.click("#gx-copy-link")
        page.wait_for_function("document.getElementById('gx-link-copied')?.textContent.includes('Ctrl+C')")
        box = page.locator("#gx-link-box input, #gx-link-box textarea").first
        assert box.input_value() == app_url.rstrip("/") + "/?tab=draw"
        assert box.evaluate("e => e.readOnly && document.activeElement === e && e.selectionStart === 0"
                            " && e.selectionEnd === e.value.length")
    finally:
        context.close()


def _readable(page: sync_api.Page, selector: str) -> None:
    """`selector` lies inside the window, its text whole, and nothing of the page's own lies over it."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"], selector
    assert page.locator(selector).evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    middle = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('[id]')?.id",
                           [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert middle == selector.lstrip("#"), f"{middle} lies over {selector}"


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_copy_link_is_readable_in_both_layouts_and_presenting_still_hides_the_settings(
        browser: sync_api.Browser, app_url: str, artifacts_dir: Path, width: int, height: int) -> None:
    page = open_app(browser, app_url, width, height)
    try:
        _copy_link_shown(page)
        _readable(page, "#gx-copy-link")
        page.screenshot(path=str(artifacts_dir / f"link-{width}x{height}.png"))
        page.locator("#gx-present input").click()
        page.wait_for_function("document.body.classList.contains('gx-present')")
        _readable(page, "#gx-copy-link")
        for hidden in ("#gx-header", "#train-settings", "#train-lesson", "#train-checkpoints"):
            assert not page.locator(hidden).is_visible(), f"{hidden} shows in the presentation layout"
        link, toolbar = page.locator("#gx-link-box").bounding_box(), page.locator("#gx-toolbar").bounding_box()
        assert link["x"] + link["width"] <= toolbar["x"] or link["y"] >= toolbar["y"] + toolbar["height"]
        page.screenshot(path=str(artifacts_dir / f"link-present-{width}x{height}.png"))
    finally:
        page.close()


def _copy_link_shown(page: sync_api.Page) -> None:
    """Press Copy link (the clipboard may be refused here: the box shows the link all the same)."""
    page.click("#gx-copy-link")
    page.wait_for_function("document.getElementById('gx-link-copied')?.textContent")
    page.locator("#gx-link-box").wait_for()
