"""The Train tab's settings form: labelled from the config's own labels, number boxes that step sensibly."""
from __future__ import annotations

import gradio as gr
import pytest

from gan_explorer.config import FIELD_TYPES, FORM_FIELDS, LABELS, TrainConfig
from gan_explorer.ui.train_controls import build_settings


@pytest.fixture(scope="module")
def settings() -> dict[str, gr.components.Component]:
    with gr.Blocks():
        return build_settings()[1]


def test_every_control_carries_its_settings_label(settings: dict[str, gr.components.Component]) -> None:
    # The same words in the form, in every error message (config.validate) and in the checkpoint's header errors.
    assert {name: control.label for name, control in settings.items()} == {name: LABELS[name] for name in FORM_FIELDS}


def test_float_number_boxes_step_by_a_fraction_not_by_one(settings: dict[str, gr.components.Component]) -> None:
    floats = {name: c for name, c in settings.items() if isinstance(c, gr.Number) and FIELD_TYPES[name] is float}
    # One click moves a tenth of the setting's usual scale at most (Gradio's default step is 1).
    defaults = TrainConfig()
    assert floats and all(control.step <= 0.1 * max(abs(getattr(defaults, name)), 1.0)
                          for name, control in floats.items()), {n: c.step for n, c in floats.items()}
    assert settings["g_lr"].step == settings["d_lr"].step == 1e-4  # 0.001 -> 0.0011 on the arrow, not 1.001
