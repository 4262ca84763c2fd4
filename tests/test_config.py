"""TrainConfig validation: every bad value is a ConfigError whose message names the setting."""
from __future__ import annotations

import re

import pytest

from gan_explorer.config import LABELS, ConfigError, TrainConfig
from gan_explorer.models import build_models
from gan_explorer.presets import PRESETS, preset

BAD_VALUES = [
    ("g_lr", 0.0), ("g_lr", -1e-3), ("d_lr", float("nan")), ("d_lr", float("inf")), ("g_lr", 2.0),
    ("batch_size", 0), ("batch_size", 5000), ("latent_dim", 0), ("latent_dim", 600),
    ("loss", "gan"), ("architecture", "resnet"), ("init", "zeros"), ("g_optimizer", "adagrad"),
    ("n_critic", 0), ("n_critic", 101), ("label_smoothing", 0.7), ("beta1", 1.0), ("mlp_dropout", -0.1),
    ("lr_decay_gamma", 0.0), ("clip_value", 0.0), ("seed", -1), ("dcgan_width", 2), ("dcgan_fc", -1), ("dcgan_fc", 5000),
    ("mlp_g_hidden", ()), ("mlp_d_hidden", (256, 0)),
    # wrong types
    ("latent_dim", "64"), ("latent_dim", 64.0), ("batch_size", True), ("g_lr", "0.001"),
    ("conditional", "yes"), ("conditional", 1), ("mlp_g_hidden", (256, "512")), ("mlp_g_hidden", 256),
    ("seed", None), ("loss", None),
]


@pytest.mark.parametrize("name, value", BAD_VALUES)
def test_bad_value_raises_config_error_naming_the_setting(name: str, value: object) -> None:
    with pytest.raises(ConfigError, match=re.escape(LABELS[name])) as info:  # as the app labels it
        TrainConfig(**{name: value})
    assert info.value.field == name


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_unknown_choice_message_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="non_saturating") as info:
        TrainConfig(loss="gan")
    assert "wgan_gp" in str(info.value)


def test_replace_validates_and_rejects_unknown_settings() -> None:
    cfg = TrainConfig()
    assert cfg.replace(g_lr=1e-3).g_lr == 1e-3
    with pytest.raises(ConfigError, match="G learning rate"):
        cfg.replace(g_lr=0)
    with pytest.raises(ConfigError, match="learning_rate"):
        cfg.replace(learning_rate=1e-3)


def test_dict_round_trip_keeps_every_field() -> None:
    cfg = TrainConfig(architecture="mlp", mlp_g_hidden=(64, 128), conditional=True, seed=7)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_from_dict_rejects_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="colour"):
        TrainConfig.from_dict({**TrainConfig().to_dict(), "colour": "red"})


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_valid_and_builds(name: str) -> None:
    cfg = preset(name)
    for key, value in PRESETS[name].items():
        assert getattr(cfg, key) == value
    generator, _ = build_models(cfg)
    assert generator.latent_dim == cfg.latent_dim


def test_preset_overrides_win_and_are_validated() -> None:
    assert preset("mlp-classic", latent_dim=16).latent_dim == 16
    with pytest.raises(ConfigError, match="Batch size"):
        preset("fast", batch_size=0)


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(ConfigError, match="dcgan-classic"):
        preset("slow")
