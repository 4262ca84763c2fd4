"""A model's size is capped where its config is checked, and a checkpoint's declared tensors are checked
against its config before any network is built: a few hundred bytes cannot make the server allocate
gigabytes (a 268-byte header asking for MLP widths of 8192 x 3 used to build 1 GB of networks)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from gan_explorer import checkpoints
from gan_explorer.checkpoints import FORMAT, CheckpointError, load_checkpoint
from gan_explorer.config import (
    LABELS,
    MAX_HIDDEN_LAYERS,
    MAX_NETWORK_PARAMETERS,
    ConfigError,
    TrainConfig,
    network_shapes,
)
from gan_explorer.models import build_models
from gan_explorer.presets import PRESETS, preset

HUGE = (8192, 8192, 8192)


@pytest.mark.parametrize(("changes", "label"), [
    ({"architecture": "mlp", "mlp_g_hidden": HUGE}, LABELS["mlp_g_hidden"]),
    ({"architecture": "mlp", "mlp_d_hidden": HUGE}, LABELS["mlp_d_hidden"]),
    ({"architecture": "dcgan", "dcgan_width": 512, "dcgan_fc": 4096}, LABELS["dcgan_fc"]),
    ({"architecture": "mlp", "mlp_g_hidden": (64,) * (MAX_HIDDEN_LAYERS + 1)}, LABELS["mlp_g_hidden"]),
])
def test_a_too_big_model_is_refused_naming_the_setting_that_sizes_it(changes: dict, label: str) -> None:
    with pytest.raises(ConfigError, match="parameters|layer widths") as info:
        TrainConfig(**changes)
    assert label in str(info.value)


def test_the_mlp_g_widths_refusal_does_not_blame_d() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(architecture="mlp", mlp_g_hidden=HUGE)
    assert "generator" in str(info.value) and LABELS["mlp_d_hidden"] not in str(info.value)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_well_under_the_cap(name: str) -> None:
    for network in build_models(preset(name)):
        assert sum(p.numel() for p in network.parameters()) * 5 < MAX_NETWORK_PARAMETERS


def test_network_shapes_match_the_built_networks() -> None:
    cfg = preset("mlp-classic")
    generator, discriminator = build_models(cfg)
    built = {f"{prefix}.{k}": tuple(v.shape) for prefix, module in (("generator", generator),
                                                                   ("discriminator", discriminator))
             for k, v in module.state_dict().items()}
    assert network_shapes(cfg) == built


@pytest.fixture
def nothing_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("load_checkpoint built networks for a file it should have refused")
    monkeypatch.setattr(checkpoints, "build_models", refuse)


def test_a_tiny_file_asking_for_huge_networks_is_refused_before_building_them(
        tmp_path: Path, nothing_is_built: None) -> None:
    config = TrainConfig(architecture="mlp").to_dict() | {"mlp_g_hidden": list(HUGE), "mlp_d_hidden": list(HUGE)}
    path = tmp_path / "huge.safetensors"
    save_file({"x": torch.zeros(1)}, str(path), metadata={"format": FORMAT, "format_version": "1",
                                                         "config": json.dumps(config)})
    assert path.stat().st_size < 1000
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match="parameters") as info:
        load_checkpoint(path)
    assert time.perf_counter() - start < 1.0
    assert LABELS["mlp_g_hidden"] in str(info.value)


def test_declared_shapes_that_do_not_match_the_config_are_refused_before_building(
        tmp_path: Path, nothing_is_built: None) -> None:
    cfg = TrainConfig(architecture="mlp", mlp_g_hidden=(8,), mlp_d_hidden=(8,))
    tensors = {key: torch.zeros(shape) for key, shape in network_shapes(cfg).items()}
    tensors["generator.net.0.weight"] = torch.zeros(3, 3)  # the config needs (8, 64)
    path = tmp_path / "mismatch.safetensors"
    save_file(tensors, str(path), metadata={"format": FORMAT, "format_version": "1",
                                            "config": json.dumps(cfg.to_dict())})
    with pytest.raises(CheckpointError, match=r"do not match.*generator\.net\.0\.weight is \(3, 3\), not \(8, 64\)"):
        load_checkpoint(path)
