"""Slow motion: one D update or one G update alone, and the probe that shows what it moved."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from gan_explorer.slow_motion import Probe, describe
from gan_explorer.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")  # the trainers come from conftest's make_trainer


def _weights(network: torch.nn.Module, buffers: bool = False) -> dict[str, torch.Tensor]:
    """The learned weights; with `buffers`, BatchNorm's running statistics too (which any forward
    pass in train mode moves, as in a full step: a D update runs G to make its fakes)."""
    state = network.state_dict() if buffers else dict(network.named_parameters())
    return {k: v.detach().clone() for k, v in state.items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_d_step_moves_d_outputs_apart_and_leaves_g_alone(make_trainer: Callable[..., Trainer]) -> None:
    trainer = make_trainer(architecture="dcgan", seed=0, d_lr=2e-3)
    g_before = _weights(trainer.generator)
    before, after = trainer.d_step()
    assert after.d_real > before.d_real and after.gap > before.gap
    assert trainer.probe() == after  # the probe reads the same batch every time
    assert _same(g_before, _weights(trainer.generator))
    assert trainer.step_count == 0 and trainer.history == []  # a D step is not a generator step


def test_g_step_raises_d_of_g_and_leaves_d_alone(make_trainer: Callable[..., Trainer]) -> None:
    trainer = make_trainer(architecture="dcgan", seed=0, g_lr=2e-3)
    trainer.step()
    d_before = _weights(trainer.discriminator)
    before, after = trainer.g_step()
    assert after.d_fake > before.d_fake
    assert after.d_real == pytest.approx(before.d_real, abs=1e-6)  # D did not change: nor did D(x)
    assert _same(d_before, _weights(trainer.discriminator))
    assert trainer.step_count == 2 and len(trainer.history) == 1  # counted as a step, charted as none


@pytest.mark.parametrize("settings", [{"mlp_dropout": 0.3}, {"architecture": "dcgan", "conditional": True},
                                      {"ema_decay": 0.9}])
def test_probe_does_not_change_training(make_trainer: Callable[..., Trainer], settings: dict[str, object]) -> None:
    """Dropout (run-owned generator), BatchNorm running statistics and train mode are as they were."""
    probed, plain = make_trainer(**settings), make_trainer(**settings)
    for trainer in (probed, plain):
        trainer.step()
    probed.probe()
    assert probed.generator.training and probed.discriminator.training
    after_probe, unprobed = probed.step(), plain.step()
    for name in ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "d_grad_norm"):
        assert getattr(after_probe, name) == getattr(unprobed, name), name
    assert _same(_weights(probed.generator, buffers=True), _weights(plain.generator, buffers=True))
    assert _same(_weights(probed.discriminator, buffers=True), _weights(plain.discriminator, buffers=True))
    assert torch.equal(probed.sample_fixed(), plain.sample_fixed())


def test_half_steps_follow_the_loss_score(make_trainer: Callable[..., Trainer]) -> None:
    """Probabilities for the BCE losses; open-ended critic values otherwise (negative ones allowed)."""
    bce = make_trainer(architecture="dcgan").probe()
    assert 0 < bce.d_real < 1 and 0 < bce.d_fake < 1
    before, after = make_trainer(architecture="dcgan", loss="wgan_gp", seed=1).d_step()
    assert after.gap > before.gap and before.d_real < 0


def test_g_step_counts_as_a_generator_step_for_the_schedule(make_trainer: Callable[..., Trainer]) -> None:
    trainer = make_trainer(lr_decay_every=1, lr_decay_gamma=0.5, g_lr=1e-3)
    trainer.g_step()
    assert trainer.g_optimizer.param_groups[0]["lr"] == pytest.approx(5e-4)


def test_half_steps_refused_on_a_stopped_run(make_trainer: Callable[..., Trainer]) -> None:
    trainer = make_trainer()
    trainer.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        trainer.d_step()
    with pytest.raises(RuntimeError, match="stopped"):
        trainer.g_step()


def test_describe_says_what_moved() -> None:
    line = describe("d", Probe(0.61, 0.42), Probe(0.68, 0.35))
    assert line == "D step: D(x) 0.610 → 0.680, D(G(z)) 0.420 → 0.350 — D got better at telling them apart"
    assert describe("g", Probe(0.6, 0.35), Probe(0.6, 0.41)).endswith("towards what D calls real")
    assert "did not" in describe("g", Probe(0.6, 0.41), Probe(0.6, 0.35))
    assert "-1.5 → 2" in describe("d", Probe(-1.5, 0), Probe(2, 0), probabilities=False)
