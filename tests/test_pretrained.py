"""The shipped checkpoints: each loads, is small, carries its model card, and clears the quality bar."""
from __future__ import annotations

import json

import pytest

from gan_explorer.checkpoints import SHIPPED_DIR, load_checkpoint
from gan_explorer.cli import main
from gan_explorer.metrics import evaluate_generator, quality_bar_failures

PRETRAINED = ["dcgan_conditional", "dcgan", "dcgan_wgan_gp", "mlp"]
MAX_BYTES = 5 * 2**20


@pytest.fixture(scope="module")
def evaluations(mnist_root) -> dict:
    """`evaluate --n 2000 --seed 0` of every shipped checkpoint, run once for all tests here."""
    return {name: evaluate_generator(load_checkpoint(SHIPPED_DIR / f"{name}.safetensors").generator,
                                     n=2000, seed=0, data_root=mnist_root) for name in PRETRAINED}


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_checkpoint_meets_the_quality_bar_on_2000_samples(name, evaluations):
    assert quality_bar_failures(evaluations[name]) == []


@pytest.mark.parametrize("name", PRETRAINED)
def test_model_card_metrics_are_what_evaluate_measures(name, evaluations):
    card = load_checkpoint(SHIPPED_DIR / f"{name}.safetensors").info
    measured = evaluations[name]
    for key in ("fid", "inception_score", "precision", "recall", "min_share", "max_share"):
        assert card["metrics"][key] == pytest.approx(measured[key], rel=1e-3, abs=1e-4), key
    assert card["meets_quality_bar"] == (quality_bar_failures(measured) == [])


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_checkpoint_is_small_and_has_a_model_card(name):
    path = SHIPPED_DIR / f"{name}.safetensors"
    assert path.stat().st_size + path.with_suffix(".json").stat().st_size < MAX_BYTES
    card = load_checkpoint(path).info
    assert card["command"].startswith("gan-explorer train ")
    assert card["hardware"] and card["train_seconds"] > 0


def test_evaluate_command_prints_every_metric_as_json(capsys, mnist_root):
    checkpoint = SHIPPED_DIR / "dcgan_conditional.safetensors"
    code = main(["evaluate", "--checkpoint", str(checkpoint), "--n", "500", "--data-root", str(mnist_root)])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"fid", "inception_score", "precision", "recall", "class_histogram", "kl_to_uniform",
            "warning", "floor", "label_accuracy", "quality_bar_failures"} <= set(result)
    assert result["n"] == 500 and result["floor"]["fid"] > 0


def test_evaluate_command_reports_a_missing_checkpoint_in_one_line(capsys, tmp_path):
    assert main(["evaluate", "--checkpoint", str(tmp_path / "nope.safetensors")]) == 2
    assert "No checkpoint file" in capsys.readouterr().err
