"""The 2-D lab's engine: datasets drawn from a run's own generator, the 2-D networks in the registry,
every loss through the same Trainer, the mixtures' mode coverage, and the diagnosis and lessons on it."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from gan_explorer import cli, plane
from gan_explorer.config import ConfigError, TrainConfig
from gan_explorer.datasets import DATASETS, POINTS, own_points, ring
from gan_explorer.diagnosis import RunState, diagnose
from gan_explorer.lesson_runner import run_lesson
from gan_explorer.lessons import LESSONS, RunRecord
from gan_explorer.losses import LOSSES
from gan_explorer.modes import MODE_MIN_SHARE, area_ratio, filled_cells, mode_coverage
from gan_explorer.presets import preset, presets_of
from gan_explorer.trainer import Trainer

PLANE_SETS = [name for name, d in DATASETS.items() if d.kind == POINTS]
OWN = (0.5, 1.0, -1.0, 0.0)
SMALL = dict(architecture="mlp2d", latent_dim=2, mlp_g_hidden=(16,), mlp_d_hidden=(16,), mlp_dropout=0.0,
             batch_size=64, points=OWN)


pytestmark = pytest.mark.usefixtures("one_thread")


def _trainer(**settings: object) -> Trainer:
    return Trainer(TrainConfig(**{"dataset": "ring", **SMALL, **settings}), "cpu")


# ---------------------------------------------------------------- datasets


@pytest.mark.parametrize("name", PLANE_SETS)
def test_a_2d_dataset_draws_points_of_its_shape_from_the_runs_seed_alone(name: str) -> None:
    def batch(seed: int) -> torch.Tensor:
        return _trainer(dataset=name, seed=seed).sampler.sample(100)[0]

    torch.manual_seed(0)
    first = batch(1)
    torch.manual_seed(99)  # the global generator changes nothing
    assert first.shape == (100, *DATASETS[name].shape) == (100, 2)
    assert torch.equal(first, batch(1)) and not torch.equal(first, batch(2))
    assert torch.isfinite(first).all()


def test_the_ring_puts_equal_shares_of_its_points_around_8_centres_of_radius_2() -> None:
    points, component = _trainer(seed=0).sampler.sample(8000)
    assert torch.bincount(component, minlength=8).min() > 800
    assert (points.norm(dim=1) - 2).abs().mean() < 0.2


def test_your_own_points_are_the_centres_of_the_data() -> None:
    points, component = _trainer(dataset="points").sampler.sample(2000)
    centres = torch.tensor(OWN).view(-1, 2)
    assert torch.allclose(torch.stack([points[component == k].mean(0) for k in range(2)]), centres, atol=0.02)


@pytest.mark.parametrize(("settings", "field", "words"), [
    (dict(dataset="ring", architecture="dcgan"), "architecture", "cannot learn ring"),
    (dict(dataset="mnist", architecture="mlp2d"), "architecture", "cannot learn mnist"),
    (dict(dataset="ring", architecture="mlp2d", conditional=True), "conditional", "has none"),
    (dict(dataset="points", architecture="mlp2d"), "points", "at least one x, y pair"),
    (dict(dataset="points", architecture="mlp2d", points=(1.0, 2.0, 3.0)), "points", "pairs"),
    (dict(dataset="points", architecture="mlp2d", points=(1.0, 9.0)), "points", "from -3 to 3"),
    (dict(dataset="no-such-set"), "dataset", "must be one of"),
])
def test_a_dataset_and_architecture_that_do_not_fit_are_refused_by_name(settings, field: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        TrainConfig(**settings)
    assert info.value.field == field


def test_own_points_typed_as_text_become_numbers() -> None:
    cfg = TrainConfig.from_dict({"dataset": "points", "architecture": "mlp2d", "points": "0.5, 1, -1, 0"})
    assert cfg.points == OWN and TrainConfig.from_dict(cfg.to_dict()) == cfg


# ---------------------------------------------------------------- the engine


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_2d_run_trains_through_every_loss_and_half_steps(loss: str) -> None:
    trainer = _trainer(loss=loss)
    steps = list(trainer.run(max_steps=3))
    trainer.d_step()
    trainer.g_step()
    assert all(math.isfinite(v) for m in steps for v in m.to_dict().values())
    assert trainer.sample_fixed().shape == (100, 2) and trainer.step_count == 4


def test_a_live_learning_rate_change_reaches_a_2d_runs_optimisers() -> None:
    trainer = _trainer()
    trainer.step()
    trainer.update(g_lr=5e-4, d_lr=3e-4)
    assert trainer.step().g_lr == 5e-4 and trainer.d_optimizer.param_groups[0]["lr"] == 3e-4


def test_the_2d_presets_are_points_and_the_image_presets_are_not() -> None:
    plane = presets_of(POINTS)
    assert {"ring", "ring-slow-d", "ring-wgan-gp"} <= set(plane) and "fast" not in plane
    assert all(preset(name).architecture == "mlp2d" for name in plane)


# ---------------------------------------------------------------- mode coverage


def test_modes_covered_counts_the_modes_enough_points_lie_within_3_sigma_of() -> None:
    mixture = ring()
    means = torch.tensor(mixture.means)
    everywhere = means.repeat(50, 1)
    assert mode_coverage(everywhere, means, mixture.sigma) == {
        "modes": 8, "modes_covered": 8, "high_quality_share": 1.0, "mode_shares": [1 / 8] * 8}
    # three modes, and a few stray points on a fourth: too few to count it
    n = 1000
    strays = max(1, int(MODE_MIN_SHARE * n) - 1)
    three = torch.cat([means[:3].repeat((n - strays) // 3 + 1, 1)[:n - strays], means[3:4].repeat(strays, 1)])
    assert mode_coverage(three, means, mixture.sigma)["modes_covered"] == 3
    off = means + 4 * mixture.sigma  # just outside 3σ of every mode
    result = mode_coverage(off, means, mixture.sigma)
    assert result["modes_covered"] == 0 and result["high_quality_share"] == 0.0


def test_a_drawn_stroke_is_one_mode_and_a_g_drawing_it_whole_covers_it() -> None:
    stroke = [(-2.0 + 0.1 * i, 0.0) for i in range(20)]  # points 0.1 apart: their 3σ discs overlap
    dot = [(1.5, 1.5)]
    drawing = own_points([c for point in stroke + dot for c in point])
    means = torch.tensor(drawing.means)
    whole = torch.cat([torch.tensor(stroke).repeat(10, 1), torch.tensor(dot).repeat(40, 1)])
    assert mode_coverage(whole, means, drawing.sigma)["modes"] == 2
    assert mode_coverage(whole, means, drawing.sigma)["modes_covered"] == 2
    only_the_stroke = torch.tensor(stroke).repeat(10, 1)
    assert mode_coverage(only_the_stroke, means, drawing.sigma)["modes_covered"] == 1
    one_stroke = {"step": 100, **mode_coverage(only_the_stroke, means[:20], drawing.sigma)}
    assert diagnose(RunState([], [one_stroke], False, "non_saturating")).message.startswith("Healthy: 1 mode covered")


def test_the_area_g_fills_tells_a_crowd_from_points_spread_like_the_data() -> None:
    bounds = DATASETS["ring"].bounds
    data = ring().draw(2500, torch.Generator().manual_seed(0))[0]
    again = ring().draw(2500, torch.Generator().manual_seed(1))[0]
    crowd = torch.tensor([-2.0, 1.0]) + 0.2 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(2))
    everywhere = 6 * torch.rand(2500, 2, generator=torch.Generator().manual_seed(3)) - 3
    assert 0.9 <= area_ratio(again, data, bounds) <= 1.1
    assert area_ratio(crowd, data, bounds) < 0.5 < 2 < area_ratio(everywhere, data, bounds)
    far_off = torch.full((2500, 2), 50.0)  # off the plane: all in its corner cell
    assert filled_cells(far_off, bounds) == 1


def test_the_ring_dataset_measures_its_own_samples() -> None:
    trainer = _trainer()
    quality = DATASETS["ring"].quality(trainer.snapshot(), trainer.config)
    assert quality["modes"] == 8 and 0 <= quality["modes_covered"] <= 8
    assert DATASETS["moons"].quality(trainer.snapshot(), trainer.config) == {}
    assert DATASETS["mnist"].quality(trainer.snapshot(), trainer.config) is None


def test_the_diagnosis_names_the_modes_a_2d_run_covers() -> None:
    def finding(covered: int, share: float) -> str:
        check = {"step": 500, "modes": 8, "modes_covered": covered, "high_quality_share": share}
        return diagnose(RunState([], [check], False, "non_saturating")).message

    assert finding(3, 0.6).startswith("Mode collapse: 3 of 8 modes covered")
    assert finding(8, 0.7).startswith("Healthy: all 8 modes covered")
    assert finding(0, 0.0).startswith("Still learning")
    assert diagnose(RunState([], [{"step": 1}], False, "hinge")).kind == "unmeasured"


def test_the_diagnosis_calls_a_crowd_off_the_modes_a_collapse_and_points_spread_like_the_data_still_learning() -> None:
    def finding(covered: int, area: float) -> str:
        check = {"step": 300, "modes": 8, "modes_covered": covered, "high_quality_share": 0.0, "area_ratio": area}
        return diagnose(RunState([], [check], False, "non_saturating")).message

    # run A of mode-collapse-2d: a crowd between two modes, on none of them
    assert finding(0, 0.3) == ("Mode collapse: G's points crowd into 30% of the area the data fill; "
                               "0 of 8 modes covered (0% of points within 3σ of a mode)")
    # a healthy run's first check: 2 modes reached, its points spread over the ring
    assert finding(2, 1.3) == ("Still learning: G's points spread as wide as the data, 2 of 8 modes covered "
                               "so far (0% of points within 3σ of a mode)")
    assert finding(8, 1.6).startswith("Healthy")


# ---------------------------------------------------------------- the lessons, on real runs


def test_mode_collapse_2d_shows_on_real_runs_a_collapses_and_b_covers_all_8() -> None:
    result = run_lesson(LESSONS["mode-collapse-2d"], max_steps=100)
    a, b = (run.quality[-1] for run in result.runs)
    assert result.passed, (a, b)
    assert a["modes_covered"] <= 2 and b["modes_covered"] == 8
    assert a["area_ratio"] < 1 < b["area_ratio"]
    assert result.runs[0].finding_kind == "mode_collapse" and result.runs[1].finding_kind == "healthy"


def test_the_mode_collapse_2d_check_stays_silent_when_b_has_not_covered_the_ring() -> None:
    def run(name: str, covered: int) -> RunRecord:
        check = {"step": 100, "modes": 8, "modes_covered": covered, "high_quality_share": 0.5}
        return RunRecord(name, preset(name), [], [check], 100)

    check = LESSONS["mode-collapse-2d"].check
    assert check((run("ring-slow-d", 1), run("ring-wgan-gp", 8))) == 100
    assert check((run("ring-slow-d", 1), run("ring-wgan-gp", 7))) is None
    assert check((run("ring-slow-d", 4), run("ring-wgan-gp", 8))) is None


def test_gan_explorer_lab_measures_each_seed_with_the_settings_given(capsys: pytest.CaptureFixture) -> None:
    # --dataset grid is read by the runs: they are measured against the grid's 25 modes, not the ring's 8
    assert cli.main(["lab", "--preset", "ring", "--steps", "3", "--seeds", "0,1", "--dataset", "grid",
                     "--batch-size", "32", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in runs] == [0, 1] and all(r["steps"] == 3 and r["modes"] == 25 for r in runs)
    assert runs[0]["settings"] == {"dataset": "grid", "batch_size": 32}


def test_gan_explorer_lab_refuses_a_bad_setting_in_one_line(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["lab", "--steps", "3", "--batch-size", "0"]) == 2
    err = capsys.readouterr().err
    assert "--batch-size" in err and "Traceback" not in err


def test_a_lab_run_saved_with_out_is_measured_by_evaluate_as_the_lab_measured_it(
        tmp_path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "ring.safetensors"
    assert cli.main(["lab", "--preset", "ring", "--steps", "40", "--out", str(out), "--json"]) == 0
    (lab,) = json.loads(capsys.readouterr().out)
    assert cli.main(["evaluate", "--checkpoint", str(out)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["dataset"] == "ring" and evaluated["step"] == 40 and evaluated["samples"] == 2500
    assert {k: evaluated[k] for k in ("modes", "modes_covered", "high_quality_share", "mode_shares")} == \
        {k: lab[k] for k in ("modes", "modes_covered", "high_quality_share", "mode_shares")}
    assert cli.main(["evaluate", "--checkpoint", str(out), "--n", "500", "--seed", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == 500


def test_a_lab_checkpoint_samples_points_and_refuses_a_picture(tmp_path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "ring.safetensors"
    assert cli.main(["lab", "--preset", "ring", "--steps", "5", "--out", str(out)]) == 0
    assert cli.main(["sample", "--checkpoint", str(out), "--out", str(tmp_path / "p.npy"), "--n", "7"]) == 0
    assert np.load(tmp_path / "p.npy").shape == (7, 2)
    capsys.readouterr()
    assert cli.main(["sample", "--checkpoint", str(out), "--out", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert "learned points (ring), not images" in err and "Traceback" not in err
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("argv, words", [
    (["lab", "--seeds", "0,1", "--out", "x.safetensors"], ["--out saves one run", "--seeds 0"]),
    (["train", "--dataset", "ring", "--architecture", "mlp2d", "--no-conditional", "--steps", "2", "--out", "x.safetensors"],
     ["--dataset", "ring is a set of points", "gan-explorer lab"])])
def test_a_2d_run_asked_of_the_wrong_command_is_one_clear_line(
        tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, argv: list[str], words: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert all(word in err for word in words) and "Traceback" not in err, err
    assert not list(tmp_path.iterdir())  # nothing trained, nothing written


# ---------------------------------------------------------------- the plane (plane.py)


def test_the_plane_draws_each_layer_asked_for_and_only_those() -> None:
    trainer = _trainer(latent_dim=2)
    view = plane.measure(trainer)
    assert view.real.shape == view.fake.shape == (plane.POINTS_SHOWN, 2)
    assert view.score.shape == (plane.RESOLUTION, plane.RESOLUTION) and ((0 <= view.score) & (view.score <= 1)).all()
    assert view.arrows.shape == (plane.ARROWS, 4) and view.mesh.shape == (2 * plane.MESH_LINES, plane.MESH_LINES, 2)
    frame = plane.frame_data(view)
    assert frame["layers"] == list(plane.LAYERS) and frame["step"] == trainer.step_count
    assert len(frame["score"]) == plane.RESOLUTION ** 2 and len(frame["real"]) == len(frame["fake"]) == 2 * plane.POINTS_SHOWN
    assert len(frame["arrows"]) == 4 * plane.ARROWS and len(frame["mesh"]) == 2 * plane.MESH_LINES
    only = plane.frame_data(view, ["gradients", "real"])
    assert only["layers"] == ["real", "gradients"] and not {"score", "fake", "mesh"} & set(only)
    json.loads(json.dumps(only, allow_nan=False))  # what the page gets: plain JSON


def test_a_diverged_gs_points_reach_the_page_as_gaps_in_plain_json() -> None:
    view = plane.measure(_trainer(latent_dim=2))
    broken = dataclasses.replace(view, fake=np.full_like(view.fake, np.nan), score=np.full_like(view.score, np.inf))
    frame = json.loads(json.dumps(plane.frame_data(broken), allow_nan=False))
    assert set(frame["fake"]) == set(frame["score"]) == {None} and None not in frame["real"]


def test_measuring_a_frame_leaves_the_run_as_it_was() -> None:
    """measure() reads G and D in place (no copies): their weights, gradients and training mode stay."""
    trainer = _trainer(latent_dim=2)
    trainer.step()
    networks = (trainer.generator, trainer.discriminator)
    before = [{k: v.clone() for k, v in n.state_dict().items()} for n in networks]
    grads = [[p.grad for p in n.parameters()] for n in networks]
    plane.measure(trainer)
    for network, weights, grad in zip(networks, before, grads):
        assert network.training
        assert all(torch.equal(weights[k], v) for k, v in network.state_dict().items())
        assert all(p.grad is g for p, g in zip(network.parameters(), grad))


def test_the_arrows_point_where_gs_loss_falls() -> None:
    """A small move of each fake point along its arrow lowers G's loss: the arrows are -dL_G/dx."""
    trainer = _trainer()
    view = plane.measure(trainer)
    points, move = torch.tensor(view.arrows[:, :2]), torch.tensor(view.arrows[:, 2:])
    discriminator, loss = trainer.discriminator.eval(), trainer.loss
    with torch.no_grad():
        before = loss.generator_loss(discriminator(points))
        after = loss.generator_loss(discriminator(points + 1e-3 * move / move.norm(dim=1, keepdim=True)))
    assert after < before


def test_a_1d_noise_draws_its_manifold_as_one_line() -> None:
    view = plane.measure(_trainer(latent_dim=1, loss="wgan_gp"))
    assert view.mesh.shape[0] == 1 and not view.probabilities
