"""Replay: the run's grids kept in bounded memory, the timelapse GIF, and the metrics as CSV."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import torch
from PIL import Image

from gan_explorer import cli
from gan_explorer.export import history_csv, runs_csv
from gan_explorer.timelapse import GAP_PX, Timelapse, side_by_side_gif


def _images(step: int) -> torch.Tensor:
    """A batch whose pixels say which step drew it (the grid's mean grows with the step)."""
    return torch.full((4, 1, 28, 28), -1.0 + step / 1000)


def _train(timelapse: Timelapse, steps: int) -> None:
    """Keep the frames a run keeps: each one due, and the last step's when the run ends."""
    for step in range(steps + 1):
        if timelapse.due(step):
            timelapse.record(step, _images(step), nrow=2)
    timelapse.record(steps, _images(steps), nrow=2)


def test_a_long_run_keeps_bounded_evenly_spaced_frames_from_its_start() -> None:
    timelapse = Timelapse(every=5, max_frames=16)
    _train(timelapse, 1000)
    steps = [f.step for f in timelapse.frames]
    assert len(steps) <= 16 and steps[0] == 0 and steps[-1] == 1000
    assert len({b - a for a, b in zip(steps[:-1], steps[1:-1])}) == 1, steps  # evenly spaced, then the end
    assert timelapse.every > 5


def test_a_frame_is_found_by_step_and_shows_that_step() -> None:
    timelapse = Timelapse(every=10)
    _train(timelapse, 100)
    assert timelapse.at(57).step == 50 and timelapse.at(-3).step == 0 and timelapse.at(10**6).step == 100
    assert timelapse.at(50).grid.mean() < timelapse.at(100).grid.mean()


def test_recording_from_an_earlier_step_drops_the_frames_after_it() -> None:
    timelapse = Timelapse(every=10)
    _train(timelapse, 100)
    timelapse.record(40, _images(40), nrow=2)
    assert [f.step for f in timelapse.frames] == [0, 10, 20, 30, 40]


def test_the_gif_has_a_frame_per_kept_grid() -> None:
    timelapse = Timelapse(every=10)
    _train(timelapse, 50)
    gif = Image.open(io.BytesIO(timelapse.gif()))
    assert gif.format == "GIF" and gif.n_frames == 6


def test_a_comparisons_gif_shows_both_runs_grids_of_each_step_side_by_side() -> None:
    a, b = Timelapse(every=10), Timelapse(every=10)
    _train(a, 30)
    _train(b, 30)
    one = Image.open(io.BytesIO(a.gif()))
    both = Image.open(io.BytesIO(side_by_side_gif([a, b], ["A", "B"])))
    assert both.n_frames == one.n_frames == 4
    assert both.size == (2 * one.size[0] + 2 * GAP_PX, one.size[1])


def test_a_comparisons_csv_has_each_runs_rows_under_its_name() -> None:
    history = [{"step": s, "d_loss": 0.1 * s} for s in (1, 2)]
    rows = list(csv.DictReader(io.StringIO(runs_csv([("A", history, [{"step": 2, "fid": 30.0}]), ("B", history, [])]))))
    assert [(r["run"], r["step"]) for r in rows] == [("A", "1"), ("A", "2"), ("B", "1"), ("B", "2")]
    assert rows[1]["quality_fid"] == "30.0" and rows[3]["quality_fid"] == ""
    assert list(rows[0])[:2] == ["run", "step"]


def test_an_empty_timelapse_says_so() -> None:
    with pytest.raises(LookupError, match="no frames yet"):
        Timelapse().gif()
    with pytest.raises(ValueError):
        Timelapse(every=0)


def test_the_history_csv_has_a_row_per_step_and_quality_beside_its_step() -> None:
    history = [{"step": s, "d_loss": 0.1 * s, "g_loss": 1.0} for s in (1, 2, 3)]
    quality = [{"step": 2, "fid": 31.5, "class_histogram": [0.1] * 10}]
    rows = list(csv.DictReader(io.StringIO(history_csv(history, quality))))
    assert [r["step"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["quality_fid"] == "31.5" and rows[0]["quality_fid"] == ""
    assert "quality_class_histogram" not in rows[0]  # a list is not one number


def test_train_timelapse_saves_a_gif_from_noise_to_the_last_step(tmp_path: Path, mnist_root: Path) -> None:
    gif = tmp_path / "run.gif"
    code = cli.main(["train", "--architecture", "mlp", "--mlp-g-hidden", "32", "--mlp-d-hidden", "32",
                     "--latent-dim", "8", "--batch-size", "16", "--steps", "6", "--data-root", str(mnist_root),
                     "--no-download", "--out", str(tmp_path / "run.safetensors"), "--timelapse", str(gif)])
    assert code == 0
    assert Image.open(gif).n_frames == 7  # step 0 (the starting noise) to step 6
