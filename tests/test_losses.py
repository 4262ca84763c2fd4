"""Each loss against its textbook formula, and the direction its gradients push the logits."""
from __future__ import annotations

import math

import pytest
import torch

from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.losses import LOSSES, build_loss, clip_weights_, gradient_penalty, r1_penalty
from gan_explorer.trainer import Trainer

REAL = [2.0, -1.0, 0.5, 0.0]
FAKE = [-2.0, 0.3, 1.5, -0.4]


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


# The formulas written with probabilities, as in the papers, independent of the softplus code.
EXPECTED_D = {
    "minimax": -_mean([math.log(_sigmoid(r)) for r in REAL]) - _mean([math.log(1 - _sigmoid(f)) for f in FAKE]),
    "lsgan": 0.5 * (_mean([(r - 1) ** 2 for r in REAL]) + _mean([f ** 2 for f in FAKE])),
    "hinge": _mean([max(0, 1 - r) for r in REAL]) + _mean([max(0, 1 + f) for f in FAKE]),
    "wgan": _mean(FAKE) - _mean(REAL),
}
EXPECTED_D["non_saturating"] = EXPECTED_D["minimax"]
EXPECTED_D["wgan_gp"] = EXPECTED_D["wgan"]
EXPECTED_D["non_saturating_r1"] = EXPECTED_D["non_saturating"]  # the R1 penalty is added by penalty()
EXPECTED_G = {
    "minimax": _mean([math.log(1 - _sigmoid(f)) for f in FAKE]),
    "non_saturating": -_mean([math.log(_sigmoid(f)) for f in FAKE]),
    "lsgan": 0.5 * _mean([(f - 1) ** 2 for f in FAKE]),
    "hinge": -_mean(FAKE),
    "wgan": -_mean(FAKE),
    "wgan_gp": -_mean(FAKE),
    "non_saturating_r1": -_mean([math.log(_sigmoid(f)) for f in FAKE]),
}


def _loss(name: str, **settings: float):
    return build_loss(TrainConfig(loss=name, **settings))


def test_every_registered_loss_has_expected_values() -> None:
    assert set(EXPECTED_D) == set(LOSSES) == set(EXPECTED_G)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values_match_the_formula(name: str) -> None:
    loss = _loss(name)
    real, fake = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(EXPECTED_D[name], rel=1e-9)
    assert loss.generator_loss(fake).item() == pytest.approx(EXPECTED_G[name], rel=1e-9)


def _grads(name: str, real: list[float], fake: list[float], **settings: float):
    loss = _loss(name, **settings)
    real_t = torch.tensor(real, requires_grad=True)
    fake_t = torch.tensor(fake, requires_grad=True)
    loss.discriminator_loss(real_t, fake_t).backward()
    fake_g = torch.tensor(fake, requires_grad=True)
    loss.generator_loss(fake_g).backward()
    return real_t.grad, fake_t.grad, fake_g.grad


# Logits inside every loss's active region (hinge margins, lsgan targets 0 and 1).
ACTIVE_REAL, ACTIVE_FAKE = [-0.5, 0.2, 0.8], [0.1, 0.4, 0.7]


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_descent_pushes_real_up_and_fake_down_for_d_and_fake_up_for_g(name: str) -> None:
    d_real_grad, d_fake_grad, g_fake_grad = _grads(name, ACTIVE_REAL, ACTIVE_FAKE)
    # A descent step moves a logit against its gradient.
    assert (d_real_grad < 0).all(), "D should raise its score on real images"
    assert (d_fake_grad > 0).all(), "D should lower its score on fake images"
    assert (g_fake_grad < 0).all(), "G should raise D's score on its fakes"


def test_minimax_generator_gradient_vanishes_when_d_rejects_fakes_but_non_saturating_does_not() -> None:
    confident_fake = [-10.0, -9.0, -11.0]  # D(G(z)) ~ 1e-4: D wins early in training
    _, _, minimax = _grads("minimax", ACTIVE_REAL, confident_fake)
    _, _, non_saturating = _grads("non_saturating", ACTIVE_REAL, confident_fake)
    assert minimax.abs().max() < 1e-3
    assert non_saturating.abs().min() > 0.3
    assert (non_saturating < 0).all()


def test_label_smoothing_changes_only_the_real_target() -> None:
    plain_real, plain_fake, plain_g = _grads("non_saturating", REAL, FAKE)
    smooth_real, smooth_fake, smooth_g = _grads("non_saturating", REAL, FAKE, label_smoothing=0.1)
    assert not torch.allclose(plain_real, smooth_real)
    assert torch.equal(plain_fake, smooth_fake)
    assert torch.equal(plain_g, smooth_g)


def test_label_smoothing_makes_0_9_the_optimal_real_probability() -> None:
    logit_of_0_9 = math.log(0.9 / 0.1)
    real_grad, _, _ = _grads("non_saturating", [logit_of_0_9], [0.0], label_smoothing=0.1)
    assert real_grad.abs().item() < 1e-6
    unsmoothed_grad, _, _ = _grads("non_saturating", [logit_of_0_9], [0.0])
    assert unsmoothed_grad.item() < -0.05


@pytest.mark.parametrize("norm, expected", [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_gradient_penalty_of_a_linear_critic_is_its_slope_minus_one_squared(norm: float, expected: float) -> None:
    weight = torch.randn(1, 1, 28, 28)
    weight *= norm / weight.norm()

    def critic(x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return (x * weight).flatten(1).sum(1)

    real, fake = torch.randn(8, 1, 28, 28), torch.randn(8, 1, 28, 28)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(expected, abs=1e-5)


def test_clip_weights_bounds_every_parameter() -> None:
    module = torch.nn.Linear(10, 10)
    with torch.no_grad():
        module.weight.mul_(100)
    clip_weights_(module, 0.01)
    assert all(p.abs().max() <= 0.01 for p in module.parameters())


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_score_is_a_probability_only_for_the_bce_family(name: str) -> None:
    score = _loss(name).score(torch.tensor([5.0]))
    expected = _sigmoid(5.0) if name in ("minimax", "non_saturating", "non_saturating_r1") else 5.0
    assert score.item() == pytest.approx(expected)


def _linear_critic(norm: float):
    weight = torch.randn(1, 1, 28, 28)
    weight *= norm / weight.norm()
    return lambda x, labels=None: (x * weight).flatten(1).sum(1)


@pytest.mark.parametrize("norm", [0.0, 0.5, 2.0])
def test_r1_penalty_of_a_linear_critic_is_its_squared_slope(norm: float) -> None:
    real = torch.randn(8, 1, 28, 28)
    assert r1_penalty(_linear_critic(norm), real).item() == pytest.approx(norm ** 2, abs=1e-5)
    loss = _loss("non_saturating_r1", r1_gamma=4.0)
    assert loss.penalty(_linear_critic(norm), real, real, None, None).item() == pytest.approx(2.0 * norm ** 2, abs=1e-4)


def test_a_run_with_the_r1_penalty_trains_and_penalises_d(mnist: MNISTTensors) -> None:
    config = TrainConfig(architecture="dcgan", loss="non_saturating_r1", dcgan_width=8, latent_dim=16,
                         batch_size=16, r1_gamma=10.0)
    trainer = Trainer(config, "cpu", data=MNISTTensors(mnist.images[:256], mnist.labels[:256]))
    assert all(math.isfinite(m.d_loss) and math.isfinite(m.g_loss) for m in trainer.run(max_steps=3))
    real = trainer.sampler.sample(16)[0]
    assert trainer.loss.penalty(trainer.discriminator, real, real, None, None).item() > 0
