"""The page's link handlers (ui/link_panel.py) called as Gradio calls them, without a server or a browser:
opening a link fills the controls, Copy link reads them, and run B's preset dropdown joins both when given."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import gradio as gr
import pytest

from gan_explorer.lessons import LESSONS
from gan_explorer.presets import PRESETS, preset
from gan_explorer.ui import link_panel
from gan_explorer.ui.link import FIRST_LESSON
from gan_explorer.ui.train_controls import build_settings, config_values

BASE = "https://teacher.example/space/?old=1"


def _page(with_compare: bool, with_lab: bool = False) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(handler name -> handler, the settings' controls, the 2-D lab or None) of a small page wired as
    builder.py wires the app."""
    from gan_explorer.ui import lab_tab
    from gan_explorer.ui.sessions import SessionRegistry

    lab = None
    with gr.Blocks() as demo:
        link, present = link_panel.build()
        notice = gr.Markdown(visible=False)
        with gr.Tabs() as tabs:
            with gr.Tab("Train", id="train"):
                lesson = gr.Dropdown(list(LESSONS), value=FIRST_LESSON)
                preset_box, settings, steps = build_settings()
                compare = gr.Dropdown(list(PRESETS), value=None) if with_compare else None
            with gr.Tab("Explore", id="explore"):
                gr.Markdown("z")
            if with_lab:
                with gr.Tab("2-D lab", id="lab"):
                    lab = lab_tab.build(SessionRegistry())
        opened = demo.load(lambda: None)
        link_panel.wire(demo, link, opened, present, notice, tabs, lesson, preset_box, settings, steps, compare,
                        *[lab] * with_lab)
    return {f.fn.__name__: f.fn for f in demo.fns.values() if f.fn is not None}, settings, lab


def _form(settings: dict[str, Any], name: str = "fast", **changes: Any) -> list[Any]:
    return list(config_values(preset(name, **changes), settings).values())


@pytest.mark.parametrize("with_compare", [False, True])
def test_copy_link_reads_the_page_and_run_b_when_the_page_has_it(with_compare: bool) -> None:
    handlers, settings, _ = _page(with_compare)
    run_b = ["dcgan"] if with_compare else []
    made = handlers["make_link"](BASE, "explore", FIRST_LESSON, "fast", 2000, True, *run_b, *_form(settings, seed=5))
    assert made.value == ("https://teacher.example/space/?seed=5&steps=2000" + "&compare=dcgan" * with_compare
                          + "&tab=explore&present=1")


def test_copy_link_refuses_a_form_value_by_its_label() -> None:
    handlers, settings, _ = _page(False)
    form = _form(settings)
    form[list(settings).index("d_lr")] = -1
    with pytest.raises(gr.Error, match="D learning rate"):
        handlers["make_link"](BASE, "train", FIRST_LESSON, "fast", 3000, False, *form)


@pytest.mark.parametrize("with_compare", [False, True])
def test_opening_a_link_fills_the_controls_and_run_b(with_compare: bool) -> None:
    handlers, settings, _ = _page(with_compare)
    query = {"preset": "dcgan", "seed": "5", "steps": "2000", "tab": "explore", "compare": "wgan-gp", "draw": "1"}
    _, notice, preset_box, *rest = handlers["open_link"]("?" + urlencode(query))
    form, (steps, tabs, *run_b) = rest[:len(settings)], rest[len(settings):]
    assert form == _form(settings, "dcgan", seed=5) and (preset_box, steps) == ("dcgan", 2000)
    assert tabs.selected == "explore" and run_b == (["wgan-gp"] if with_compare else [])
    assert "draw (unknown" in notice.value and notice.visible


def test_a_lab_link_fills_the_lab_and_run_b_opens_the_lab_and_leaves_the_train_form() -> None:
    handlers, settings, _ = _page(True, with_lab=True)
    for query in ({"tab": "lab", "preset": "ring-slow-d", "compare": "ring-wgan-gp"},
                  {"preset": "ring-slow-d", "compare": "ring-wgan-gp"}):  # the lab's preset opens the lab
        _, notice, preset_box, *rest = handlers["open_link"]("?" + urlencode(query))
        form, (steps, tabs, train_b, *lab) = rest[:len(settings)], rest[len(settings):]
        slow_d = preset("ring-slow-d")
        assert lab == ["ring-slow-d", slow_d.dataset, slow_d.loss, slow_d.g_optimizer, slow_d.d_optimizer,
                       slow_d.g_lr, slow_d.d_lr, "ring-wgan-gp"]
        assert tabs.selected == "lab" and not notice.visible
        assert all(isinstance(v, dict) for v in (preset_box, *form, steps, train_b))  # gr.skip(): Train keeps its own


def test_copy_link_on_the_lab_gives_the_labs_link() -> None:
    handlers, settings, _ = _page(True, with_lab=True)
    lab_form = ["ring", "grid", "hinge", "adam", "sgd", 0.002, 0.001, "ring-wgan-gp"]
    made = handlers["make_link"](BASE, "lab", FIRST_LESSON, "fast", 3000, False, None, *_form(settings), *lab_form)
    assert made.value == ("https://teacher.example/space/?preset=ring&dataset=grid&loss=hinge&d_optimizer=sgd"
                          "&g_lr=0.002&compare=ring-wgan-gp&tab=lab")
    lab_form[5] = -1
    with pytest.raises(gr.Error, match="G learning rate"):
        handlers["make_link"](BASE, "lab", FIRST_LESSON, "fast", 3000, False, None, *_form(settings), *lab_form)
