"""The `gan-explorer` command line: train -> sample -> info, and one clear line for bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_explorer import cli
from gan_explorer.checkpoints import load_checkpoint, sidecar_path
from gan_explorer.trainer import TrainingDiverged

TINY = ["--architecture", "mlp", "--mlp-g-hidden", "32,64", "--mlp-d-hidden", "64,32", "--latent-dim", "8",
        "--batch-size", "16", "--threads", "1"]  # one thread: fastest for tiny models on shared cores


@pytest.fixture(autouse=True, scope="module")
def restore_threads() -> Iterator[None]:
    """`train --threads` sets PyTorch's thread count for the whole process; put it back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _train(tmp_path: Path, mnist_root: Path, *flags: str, name: str = "run") -> tuple[int, Path]:
    out = tmp_path / f"{name}.safetensors"
    code = cli.main(["train", *TINY, "--steps", "3", "--data-root", str(mnist_root), "--no-download",
                     "--out", str(out), *flags])
    return code, out


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory, mnist_root: Path) -> Path:
    code, out = _train(tmp_path_factory.mktemp("cli"), mnist_root, "--no-conditional")
    assert code == 0
    return out


@pytest.fixture(scope="module")
def conditional_checkpoint(tmp_path_factory: pytest.TempPathFactory, mnist_root: Path) -> Path:
    code, out = _train(tmp_path_factory.mktemp("cli"), mnist_root, "--conditional")
    assert code == 0
    return out


def _assert_one_clear_error(capsys: pytest.CaptureFixture, code: int, *words: str) -> None:
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "error:" in err and all(word in err for word in words), err


# ---------------------------------------------------------------- train

def test_train_writes_a_checkpoint_sidecar_and_grid(tmp_path: Path, mnist_root: Path) -> None:
    grid = tmp_path / "grid.png"
    code, out = _train(tmp_path, mnist_root, "--grid", str(grid), "--seed", "5")
    assert code == 0
    ckpt = load_checkpoint(out)
    assert ckpt.step == 3 and len(ckpt.history) == 3 and ckpt.config.seed == 5
    assert ckpt.info["outcome"] == "finished" and ckpt.info["preset"] == "fast"
    assert ckpt.info["command"].startswith("gan-explorer train ") and "--seed 5" in ckpt.info["command"]
    assert json.loads(sidecar_path(out).read_text())["step"] == 3
    assert Image.open(grid).size[0] > 10 * 28


def test_checkpoint_every_saves_intermediate_checkpoints(tmp_path: Path, mnist_root: Path) -> None:
    code, out = _train(tmp_path, mnist_root, "--steps", "5", "--checkpoint-every", "2")
    assert code == 0
    saved = sorted(p.name for p in tmp_path.glob("*.safetensors"))
    assert saved == ["run-step0000002.safetensors", "run-step0000004.safetensors", "run.safetensors"]
    assert load_checkpoint(tmp_path / "run-step0000004.safetensors").step == 4


def test_explicit_flags_override_the_preset(tmp_path: Path, mnist_root: Path) -> None:
    code, out = _train(tmp_path, mnist_root, "--preset", "mlp-classic", "--g-lr", "3e-4", "--mlp-dropout", "0")
    config = load_checkpoint(out).config
    assert code == 0
    assert (config.architecture, config.g_lr, config.mlp_dropout, config.latent_dim) == ("mlp", 3e-4, 0.0, 8)
    assert config.d_lr == 2e-4  # from the preset


def test_epochs_limit(tmp_path: Path, mnist_root: Path) -> None:
    out = tmp_path / "e.safetensors"
    code = cli.main(["train", *TINY, "--epochs", "0.001", "--data-root", str(mnist_root), "--no-download",
                     "--out", str(out)])
    assert code == 0 and load_checkpoint(out).step == 4  # 60 images at 16 per step


def test_time_limit_stops_before_the_step_limit(tmp_path: Path, mnist_root: Path) -> None:
    code, out = _train(tmp_path, mnist_root, "--steps", "100000", "--max-seconds", "0.5")
    ckpt = load_checkpoint(out)
    assert code == 0 and 0 < ckpt.step < 100_000 and ckpt.train_seconds >= 0.5
    assert ckpt.info["threads"] == 1


def test_ctrl_c_still_saves_the_run(tmp_path: Path, mnist_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(trainer, *_) -> None:
        trainer.step()
        trainer.step()
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "_run_with_progress", interrupted)
    code, out = _train(tmp_path, mnist_root)
    assert code == cli.EXIT_INTERRUPTED
    ckpt = load_checkpoint(out)
    assert ckpt.step == 2 and ckpt.info["outcome"] == "interrupted"


def test_divergence_is_one_clear_line(tmp_path: Path, mnist_root: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture) -> None:
    def diverge(*args: object) -> None:
        raise TrainingDiverged("Training diverged at step 7")
    monkeypatch.setattr(cli, "_run_with_progress", diverge)
    code, _ = _train(tmp_path, mnist_root)
    _assert_one_clear_error(capsys, code, "diverged at step 7")


@pytest.mark.parametrize("flags, words", [
    (["--g-lr", "0"], ["--g-lr", "G learning rate"]),
    (["--g-lr", "nan"], ["--g-lr", "G learning rate"]),
    (["--batch-size", "5000"], ["--batch-size", "Batch size"]),
    (["--mlp-g-hidden", "64,x"], ["--mlp-g-hidden", "comma-separated"]),
    (["--loss", "gan"], ["--loss", "invalid choice"]),
    (["--steps", "0"], ["--steps", "at least 1"]),
    (["--steps", "many"], ["--steps", "at least 1"]),
    (["--max-seconds", "-5"], ["--max-seconds", "greater than 0"]),
    (["--preset", "slow"], ["--preset"]),
    (["--device", "cuda"], ["cuda"]),
])
def test_bad_train_settings_give_one_clear_line(tmp_path: Path, mnist_root: Path, capsys: pytest.CaptureFixture,
                                                flags: list[str], words: list[str]) -> None:
    if flags == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, out = _train(tmp_path, mnist_root, *flags)
    _assert_one_clear_error(capsys, code, *words)
    assert not out.exists()


def test_missing_mnist_gives_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["train", "--steps", "1", "--data-root", str(tmp_path), "--no-download",
                     "--out", str(tmp_path / "a.safetensors")])
    _assert_one_clear_error(capsys, code, str(tmp_path), "GAN_EXPLORER_DATA")


@pytest.mark.parametrize("out, words", [("a.txt", [".safetensors"]), ("folder", ["folder"])])
def test_bad_output_path_is_rejected_before_training(tmp_path: Path, mnist_root: Path,
                                                     capsys: pytest.CaptureFixture, out: str,
                                                     words: list[str]) -> None:
    (tmp_path / "folder").mkdir()
    code = cli.main(["train", "--steps", "1", "--data-root", str(mnist_root), "--out", str(tmp_path / out)])
    _assert_one_clear_error(capsys, code, *words)


# ---------------------------------------------------------------- sample

def test_sample_npy_has_the_documented_shape_dtype_and_range(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.npy"
    assert cli.main(["sample", "--checkpoint", str(checkpoint), "--n", "7", "--out", str(out)]) == 0
    samples = np.load(out)
    assert samples.shape == (7, 28, 28) and samples.dtype == np.float32
    assert samples.min() >= -1 and samples.max() <= 1 and samples.std() > 0


def test_sample_seed_makes_it_reproducible(checkpoint: Path, tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.npy" for name in ("a", "b", "c")]
    for path, seed in zip(paths, ("1", "1", "2")):
        cli.main(["sample", "--checkpoint", str(checkpoint), "--n", "4", "--seed", seed, "--out", str(path)])
    a, b, c = (np.load(p) for p in paths)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_sample_png_is_a_grid(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "s.png"
    assert cli.main(["sample", "--checkpoint", str(checkpoint), "--n", "16", "--out", str(out)]) == 0
    width, height = Image.open(out).size
    assert width == height and width >= 4 * 28


def test_conditional_sample_with_and_without_label(conditional_checkpoint: Path, tmp_path: Path) -> None:
    one, all_digits = tmp_path / "seven.npy", tmp_path / "all.npy"
    args = ["sample", "--checkpoint", str(conditional_checkpoint), "--n", "20", "--seed", "0"]
    assert cli.main([*args, "--label", "7", "--out", str(one)]) == 0
    assert cli.main([*args, "--out", str(all_digits)]) == 0
    # Same noise, so image 7 of the evenly spread batch is the one that had label 7.
    assert np.array_equal(np.load(one)[7], np.load(all_digits)[7])
    assert not np.array_equal(np.load(one)[0], np.load(all_digits)[0])


def test_label_on_an_unconditional_model_is_a_clear_error(checkpoint: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["sample", "--checkpoint", str(checkpoint), "--label", "3", "--out", str(tmp_path / "x.npy")])
    _assert_one_clear_error(capsys, code, "--label", "conditional")


def test_label_out_of_range_is_a_clear_error(conditional_checkpoint: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["sample", "--checkpoint", str(conditional_checkpoint), "--label", "10",
                     "--out", str(tmp_path / "x.npy")])
    _assert_one_clear_error(capsys, code, "--label", "0 to 9")


@pytest.mark.parametrize("content, words", [(None, ["No checkpoint file"]),
                                            (b"\x00garbage" * 50, ["not a readable safetensors"])])
def test_sample_from_a_bad_checkpoint_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                       content: bytes | None, words: list[str]) -> None:
    path = tmp_path / "bad.safetensors"
    if content is not None:
        path.write_bytes(content)
    code = cli.main(["sample", "--checkpoint", str(path), "--out", str(tmp_path / "x.png")])
    _assert_one_clear_error(capsys, code, *words)


def test_sample_output_suffix_must_be_npy_or_png(checkpoint: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["sample", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "x.jpg")])
    _assert_one_clear_error(capsys, code, ".npy", ".png")


# ---------------------------------------------------------------- info and entry points

def test_info_prints_config_progress_sizes_and_versions(checkpoint: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["info", "--checkpoint", str(checkpoint)]) == 0
    out = capsys.readouterr().out
    for expected in ("step: 3", "architecture: mlp", "parameters: generator", "torch:", "outcome: finished",
                     "D(G(z))"):
        assert expected in out


def test_info_on_a_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["info", "--checkpoint", str(tmp_path / "none.safetensors")])
    _assert_one_clear_error(capsys, code, "none.safetensors")


def test_unknown_command_and_help(capsys: pytest.CaptureFixture) -> None:
    _assert_one_clear_error(capsys, cli.main(["fly"]), "fly")
    assert cli.main(["train", "--help"]) == 0
    assert "--max-seconds" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "gan_explorer", "--version"], check=True, capture_output=True,
                            text=True, timeout=120)
    assert "gan-explorer" in result.stdout
