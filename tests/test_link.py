"""Links to the page (ui/link.py, no browser): the page's state written as a URL and read back."""
from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from gan_explorer.config import FORM_FIELDS, TrainConfig
from gan_explorer.lessons import LESSONS
from gan_explorer.presets import DEFAULT_PRESET, preset
from gan_explorer.ui.link import FIRST_LESSON, LinkState, page_state, query_of, read_link, write_link

BASE = "https://teacher.example/space/"
TABS = ("train", "explore", "interpolate", "tsne", "draw")
# A valid value other than the default preset's, for every TrainConfig field.
CHANGED: dict[str, Any] = {
    "architecture": "mlp", "loss": "wgan_gp", "latent_dim": 100, "conditional": False, "init": "xavier",
    "dcgan_width": 48, "dcgan_fc": 64, "mlp_g_hidden": (128, 256), "mlp_d_hidden": (300,), "mlp_dropout": 0.25,
    "mlp_minibatch_std": True, "batch_size": 128, "g_optimizer": "rmsprop", "d_optimizer": "sgd", "g_lr": 3.5e-05,
    "d_lr": 0.0004, "beta1": 0.0, "beta2": 0.9, "momentum": 0.9, "n_critic": 5, "lr_decay_every": 500,
    "lr_decay_gamma": 0.8, "label_smoothing": 0.1, "gp_weight": 5.0, "clip_value": 0.02, "r1_gamma": 0.5,
    "ema_decay": 0.0, "seed": 7, "precision": "fp32"}


def _form(config: TrainConfig) -> dict[str, Any]:
    """The Train tab's controls as a browser sends them: widths as text, whole floats as JSON integers."""
    form = config.to_dict()
    for name in ("mlp_g_hidden", "mlp_d_hidden"):
        form[name] = ", ".join(map(str, form[name]))
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in form.items()}


def _reopened(link: str) -> tuple[LinkState, str]:
    """The link read as the page reads it: its query as the browser's address gives it."""
    return read_link(query_of("?" + urlsplit(link).query), TABS)


def _link(config: TrainConfig, **page: Any) -> str:
    values = {"lesson": FIRST_LESSON, "preset_name": DEFAULT_PRESET, "steps": 3000, "tab": "train",
              "present": False, **page}
    return write_link(BASE, page_state(settings=_form(config), **values))


def test_every_setting_has_a_changed_value_here() -> None:
    assert set(CHANGED) == set(FORM_FIELDS)
    start = preset(DEFAULT_PRESET)
    assert all(getattr(start, name) != value for name, value in CHANGED.items())


@pytest.mark.parametrize("name", sorted(FORM_FIELDS))
def test_each_setting_goes_into_the_link_alone_and_comes_back(name: str) -> None:
    config = preset(DEFAULT_PRESET).replace(**{name: CHANGED[name]})
    link = _link(config)
    assert [k for k, _ in parse_qsl(urlsplit(link).query)] == [name]
    state, notice = _reopened(link)
    assert notice == "" and state.config() == config


def test_the_page_as_it_opens_is_the_bare_link() -> None:
    assert _link(preset(DEFAULT_PRESET)) == BASE


def test_many_settings_a_preset_steps_tab_and_layout_come_back_together() -> None:
    config = preset("wgan-gp", d_lr=0.0004, mlp_g_hidden=(64, 32), conditional=True)
    link = _link(config, preset_name="wgan-gp", steps=2000, tab="explore", present=True, compare="dcgan")
    query = dict(parse_qsl(urlsplit(link).query))
    assert query == {"preset": "wgan-gp", "conditional": "true", "mlp_g_hidden": "64,32", "d_lr": "0.0004",
                     "steps": "2000", "compare": "dcgan", "tab": "explore", "present": "1"}
    state, notice = _reopened(link)
    assert notice == "" and state.config() == config
    assert (state.steps, state.tab, state.present, state.compare) == (2000, "explore", True, "dcgan")


def test_a_form_that_holds_a_lessons_run_links_the_lesson() -> None:
    lesson = LESSONS["mode-collapse"]
    link = _link(preset(lesson.runs[0]), lesson=lesson.name, preset_name=lesson.runs[0], tab=lesson.tab,
                 compare=lesson.runs[1])
    assert link == f"{BASE}?lesson=mode-collapse"
    state, _ = _reopened(link)
    assert state.lesson == "mode-collapse" and state.config() is None  # the lesson's own runs fill the form


def test_a_pair_lesson_whose_run_b_was_changed_links_run_a_and_the_new_run_b() -> None:
    lesson = LESSONS["mode-collapse"]
    for rival in ("", "fast"):  # Compare set back to none, or to another preset: the lesson would undo it
        link = _link(preset(lesson.runs[0]), lesson=lesson.name, preset_name=lesson.runs[0], compare=rival)
        state, _ = _reopened(link)
        assert state.lesson == "" and state.config() == preset(lesson.runs[0]) and state.compare == rival


def test_a_lesson_whose_form_was_changed_links_the_settings_instead() -> None:
    lesson = LESSONS["mode-collapse"]
    config = preset(lesson.runs[0], g_lr=0.0005)
    link = _link(config, lesson=lesson.name, preset_name=lesson.runs[0])
    state, _ = _reopened(link)
    assert state.lesson == "" and state.preset == lesson.runs[0] and state.config() == config


def test_a_lesson_on_another_tab_links_the_tab_only_when_it_differs() -> None:
    lesson = LESSONS["smooth-latent-space"]  # no run of its own: it opens Interpolate
    assert _link(preset(DEFAULT_PRESET), lesson=lesson.name, tab="interpolate") == f"{BASE}?lesson={lesson.name}"
    assert _link(preset(DEFAULT_PRESET), lesson=lesson.name, tab="train").endswith("&tab=train")


def test_a_lesson_and_settings_together_put_the_settings_on_the_lessons_run() -> None:
    lesson = LESSONS["mode-collapse"]
    state, notice = read_link({"lesson": lesson.name, "seed": "3"}, TABS)
    assert notice == "" and state.config() == preset(lesson.runs[0], seed=3)


def test_the_link_keeps_the_browsers_address_and_drops_its_old_query() -> None:
    link = write_link("http://127.0.0.1:7860/?lesson=x#top", LinkState(present=True))
    assert link == "http://127.0.0.1:7860/?present=1"


@pytest.mark.parametrize(("query", "named"), [
    ({"d_lr": "5"}, "D learning rate must be a number greater than 0 and at most 1"),
    ({"d_lr": "fast"}, "D learning rate must be a number"),
    ({"batch_size": "12.5"}, "Batch size must be a whole number from 1 to 4096"),
    ({"loss": "hinge-ish"}, "Loss must be one of"),
    ({"conditional": "maybe"}, "must be true or false"),
    ({"mlp_g_hidden": "256,x"}, "MLP G hidden widths must be 1 to 8 layer widths"),
    ({"dcgan_fc": "4096"}, "parameters, more than the 10,000,000"),
    ({"seed": "[" * 5000}, "Seed must be a whole number"),
    ({"steps": "0"}, "Train for (generator steps) must be a whole number from 1"),
    ({"preset": "turbo"}, "unknown preset; the presets are fast,"),
    ({"compare": "turbo"}, "unknown preset; the presets are fast,"),
    ({"tab": "settings"}, "unknown tab; the tabs are train, explore, interpolate, tsne, draw"),
])
def test_a_bad_value_is_named_with_what_it_accepts_and_the_rest_still_applies(query: dict[str, str],
                                                                                named: str) -> None:
    name, text = next(iter(query.items()))
    state, notice = read_link({"g_lr": "0.0003", **query, "present": "1"}, TABS)
    assert f"{name}={text[:20]}" in notice and named in notice and "\n" not in notice
    assert state.present and state.config() == preset(DEFAULT_PRESET, g_lr=0.0003)
    assert name not in state.settings and dataclasses.replace(state, settings={"g_lr": 0.0003}) == \
        LinkState(present=True, settings={"g_lr": 0.0003})


def test_settings_that_are_valid_alone_but_not_together_keep_the_first() -> None:
    # minibatch std mixes a batch's samples, which breaks WGAN-GP's per-sample penalty
    state, notice = read_link({"loss": "wgan_gp", "mlp_minibatch_std": "true"}, TABS)
    assert state.settings == {"loss": "wgan_gp"} and "mlp_minibatch_std=true" in notice


def test_the_form_is_refused_by_name_when_a_setting_is_not_valid() -> None:
    form = _form(preset(DEFAULT_PRESET)) | {"d_lr": -1}
    with pytest.raises(ValueError, match="D learning rate"):
        page_state(lesson="", preset_name="fast", settings=form, steps=3000, tab="train", present=False)


# ---------------------------------------------------------------- the 2-D lab's link (ui/lab_link.py)

LAB_TABS = (*TABS, "lab")


def test_a_2d_preset_and_run_b_fill_the_lab_and_leave_the_train_form() -> None:
    state, notice = read_link({"tab": "lab", "preset": "ring-slow-d", "compare": "ring-wgan-gp"}, LAB_TABS)
    assert notice == "" and state.config() is None and state.lab_config() == preset("ring-slow-d")
    assert (state.tab, state.compare) == ("lab", "ring-wgan-gp")


def test_the_labs_form_and_run_b_go_into_the_link_and_come_back() -> None:
    from gan_explorer.ui.lab_link import lab_page_state

    state = lab_page_state(lesson=FIRST_LESSON, preset_name="ring", form=["grid", "hinge", "rmsprop", "adam", 0.002, 0.001],
                           compare="ring-wgan-gp", present=True)
    link = write_link(BASE, state)
    assert link == (f"{BASE}?preset=ring&dataset=grid&loss=hinge&g_optimizer=rmsprop&g_lr=0.002&compare=ring-wgan-gp"
                    "&tab=lab&present=1")
    reopened, notice = read_link(query_of("?" + urlsplit(link).query), LAB_TABS)
    assert notice == "" and reopened.lab_config() == preset("ring", dataset="grid", loss="hinge", g_optimizer="rmsprop",
                                                                  g_lr=0.002)


def test_a_lab_holding_a_lab_lessons_runs_links_the_lesson_and_otherwise_its_preset() -> None:
    from gan_explorer.ui.lab_form import FORM
    from gan_explorer.ui.lab_link import lab_page_state

    lesson, slow_d = LESSONS["mode-collapse-2d"], preset("ring-slow-d")
    form = [getattr(slow_d, name) for name in FORM]
    assert write_link(BASE, lab_page_state(lesson=lesson.name, preset_name="ring-slow-d", form=form,
                                           compare="ring-wgan-gp", present=False)) == f"{BASE}?lesson=mode-collapse-2d"
    alone = lab_page_state(lesson=lesson.name, preset_name="ring-slow-d", form=form, compare="No comparison",
                           present=False)
    assert write_link(BASE, alone) == f"{BASE}?preset=ring-slow-d&tab=lab"
    state, _ = read_link({"lesson": lesson.name}, LAB_TABS)
    assert state.on_lab and state.config() is None and state.lab_config() is None  # the lesson's runs fill the lab


@pytest.mark.parametrize(("query", "named"), [
    ({"preset": "ring", "dataset": "spiral"}, "dataset=spiral (Dataset must be one of"),
    ({"preset": "ring", "dataset": "mnist"}, "dataset=mnist (Architecture mlp2d cannot learn mnist"),
])
def test_a_bad_lab_setting_is_named_and_the_lab_still_opens_its_preset(query: dict[str, str], named: str) -> None:
    state, notice = read_link(query, LAB_TABS)
    assert named in notice and state.lab_config() == preset("ring")


def test_the_labs_form_is_refused_by_name_when_a_setting_is_not_valid() -> None:
    from gan_explorer.ui.lab_link import lab_page_state

    with pytest.raises(ValueError, match="G learning rate"):
        lab_page_state(lesson="", preset_name="ring", form=["ring", "hinge", "adam", "adam", -1, 0.001], compare="", present=False)
