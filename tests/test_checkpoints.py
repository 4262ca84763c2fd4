"""Checkpoints: an exact round trip, and a clear CheckpointError for anything that is not ours."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from gan_explorer import checkpoints
from gan_explorer.checkpoints import CheckpointError, load_checkpoint, save_checkpoint, sidecar_path
from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.trainer import Trainer

CONFIG = TrainConfig(architecture="dcgan", dcgan_width=8, latent_dim=16, batch_size=16, conditional=True)


@pytest.fixture(scope="module")
def trainer(mnist: MNISTTensors) -> Trainer:
    trainer = Trainer(CONFIG, "cpu", data=MNISTTensors(mnist.images[:256], mnist.labels[:256]))
    for _ in range(3):
        trainer.step()
    return trainer


@pytest.fixture()
def saved(trainer: Trainer, tmp_path: Path) -> Path:
    return save_checkpoint(trainer.to_checkpoint({"note": "unit test"}), tmp_path / "run.safetensors")


def test_round_trip_keeps_weights_config_step_history_and_info(trainer: Trainer, saved: Path) -> None:
    ckpt = load_checkpoint(saved)
    original = trainer.to_checkpoint()
    assert ckpt.config == CONFIG
    assert ckpt.step == 3
    assert ckpt.train_seconds == pytest.approx(trainer.train_seconds)
    assert ckpt.history == [m.to_dict() for m in trainer.history]
    assert ckpt.info == {"note": "unit test"}
    for loaded, kept in ((ckpt.generator, original.generator), (ckpt.discriminator, original.discriminator)):
        a, b = loaded.state_dict(), kept.state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_loaded_generator_draws_the_same_images(trainer: Trainer, saved: Path) -> None:
    loaded = load_checkpoint(saved).generator
    z, labels = torch.randn(8, CONFIG.latent_dim), torch.arange(8)
    with torch.no_grad():
        assert torch.equal(loaded(z, labels), trainer.snapshot()(z, labels))


def test_fp16_weights_halve_the_file_and_load_as_fp32_modules_drawing_nearly_the_same_images(
        trainer: Trainer, saved: Path, tmp_path: Path) -> None:
    half = save_checkpoint(trainer.to_checkpoint(), tmp_path / "half.safetensors", weights_dtype=torch.float16)
    with safe_open(str(half), framework="pt") as f:
        assert f.get_tensor("generator.project.0.weight").dtype == torch.float16
    assert half.stat().st_size < 0.6 * saved.stat().st_size
    loaded = load_checkpoint(half).generator
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    z, labels = torch.randn(8, CONFIG.latent_dim), torch.arange(8)
    with torch.no_grad():
        torch.testing.assert_close(loaded(z, labels), trainer.snapshot()(z, labels), atol=2e-3, rtol=0)


def test_sidecar_is_json_for_people_and_tools(saved: Path) -> None:
    sidecar = json.loads(sidecar_path(saved).read_text())
    assert sidecar["step"] == 3 and sidecar["config"]["latent_dim"] == 16
    assert {"torch", "gan_explorer", "safetensors"} <= set(sidecar["versions"])


def test_a_long_history_is_saved_evenly_thinned_with_first_and_last_step(trainer: Trainer, tmp_path: Path) -> None:
    ckpt = trainer.to_checkpoint()
    ckpt.history = [{"step": i, "d_loss": 1.0 / (i + 1)} for i in range(1, 10_001)]
    history = load_checkpoint(save_checkpoint(ckpt, tmp_path / "long.safetensors")).history
    steps = [record["step"] for record in history]
    assert len(history) <= checkpoints.MAX_SAVED_HISTORY + 1
    assert steps[0] == 1 and steps[-1] == 10_000
    assert len(set(b - a for a, b in zip(steps[:-2], steps[1:-1]))) == 1  # evenly spaced


def test_a_lone_safetensors_file_loads_with_its_history_without_its_sidecar(trainer: Trainer, saved: Path) -> None:
    sidecar_path(saved).unlink()
    ckpt = load_checkpoint(saved)
    assert ckpt.step == 3 and ckpt.history == [m.to_dict() for m in trainer.history]
    assert ckpt.info == {"note": "unit test"}


def test_save_leaves_no_temporary_files(saved: Path) -> None:
    assert sorted(p.name for p in saved.parent.iterdir()) == ["run.json", "run.safetensors"]


def test_saved_files_get_the_usual_permissions_not_the_temp_files_0600(saved: Path) -> None:
    assert saved.stat().st_mode & 0o777 == checkpoints.NEW_FILE_MODE
    assert sidecar_path(saved).stat().st_mode & 0o777 == checkpoints.NEW_FILE_MODE


def test_a_failed_save_keeps_the_old_checkpoint_and_no_temp_file(
        trainer: Trainer, saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = saved.read_bytes()

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")
    monkeypatch.setattr(checkpoints, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(trainer.to_checkpoint(), saved)
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["run.json", "run.safetensors"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No checkpoint file"):
        load_checkpoint(tmp_path / "absent.safetensors")


def test_truncated_file(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_checkpoint(saved)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.safetensors"
    path.write_bytes(torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(0),
                                   dtype=torch.uint8).numpy().tobytes())
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_checkpoint(path)


def test_foreign_safetensors_without_our_metadata(tmp_path: Path) -> None:
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(3)}, str(path))
    with pytest.raises(CheckpointError, match="not a GAN Explorer checkpoint"):
        load_checkpoint(path)


class _Tripwire:
    """Unpickling this creates a marker file, so the test can tell if the loader ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_pickle_file_is_rejected_without_being_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    for name in ("model.safetensors", "model.pt"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps({"generator": _Tripwire(marker)}))
        with pytest.raises(CheckpointError):
            load_checkpoint(path)
    assert not marker.exists()


def _rewrite_header(path: Path, **config_changes: object) -> None:
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    metadata["config"] = json.dumps({**json.loads(metadata["config"]), **config_changes})
    save_file(tensors, str(path), metadata=metadata)


def test_weights_that_do_not_match_the_config(saved: Path) -> None:
    _rewrite_header(saved, latent_dim=32)
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(saved)


def test_invalid_config_in_the_header(saved: Path) -> None:
    _rewrite_header(saved, g_lr=-1)
    with pytest.raises(CheckpointError, match="g_lr"):
        load_checkpoint(saved)


def test_broken_sidecar(saved: Path) -> None:
    sidecar_path(saved).write_text("{not json")
    with pytest.raises(CheckpointError, match="sidecar"):
        load_checkpoint(saved)


def test_the_shipped_catalogue_lists_gan_checkpoints_not_the_classifier() -> None:
    shipped = checkpoints.shipped_checkpoints()
    assert (checkpoints.SHIPPED_DIR / "mnist_classifier.safetensors").exists() and "mnist_classifier" not in shipped
    assert shipped["dcgan_conditional"] == checkpoints.SHIPPED_DIR / "dcgan_conditional.safetensors"
    first = checkpoints.load_shipped("dcgan_conditional")
    assert first is checkpoints.load_shipped("dcgan_conditional") and first.config.conditional  # loaded once
