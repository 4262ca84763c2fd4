"""The architecture registry: every (architecture, conditional) pair honours the G/D contract."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_explorer.config import ConfigError, TrainConfig
from gan_explorer.data import NUM_CLASSES
from gan_explorer.inits import INITS
from gan_explorer.models import ARCHITECTURE_KINDS, ARCHITECTURES, FewInputsLinear, build_models

IMAGE_ARCHITECTURES = sorted(name for name, kinds in ARCHITECTURE_KINDS.items() if "images" in kinds)
SMALL = {"dcgan_width": 8, "mlp_g_hidden": (32, 64), "mlp_d_hidden": (64, 32), "latent_dim": 16}


@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("architecture", IMAGE_ARCHITECTURES)
def test_generator_and_discriminator_shapes(architecture: str, conditional: bool) -> None:
    cfg = TrainConfig(architecture=architecture, conditional=conditional, **SMALL)
    generator, discriminator = build_models(cfg)
    labels = torch.arange(5) % NUM_CLASSES if conditional else None
    z = torch.randn(5, cfg.latent_dim)
    images = generator(z, labels)
    assert z.shape == (5, cfg.latent_dim)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert discriminator(images, labels).shape == (5,)
    assert generator.latent_dim == cfg.latent_dim
    assert generator.conditional is conditional and discriminator.conditional is conditional


@pytest.mark.parametrize("architecture", IMAGE_ARCHITECTURES)
def test_conditional_generator_uses_the_label(architecture: str) -> None:
    generator, _ = build_models(TrainConfig(architecture=architecture, conditional=True, **SMALL))
    generator.eval()
    z = torch.randn(1, generator.latent_dim).repeat(2, 1)
    images = generator(z, torch.tensor([3, 7]))
    assert not torch.allclose(images[0], images[1])


@pytest.mark.parametrize("architecture", IMAGE_ARCHITECTURES)
def test_wgan_gp_discriminator_has_no_batch_norm(architecture: str) -> None:
    # BatchNorm mixes samples of a batch, which makes the per-sample gradient penalty wrong.
    _, discriminator = build_models(TrainConfig(architecture=architecture, loss="wgan_gp", **SMALL))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules())


@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_dcgan_fully_connected_layer_adds_one_hidden_layer_to_each_network(loss: str) -> None:
    plain = build_models(TrainConfig(architecture="dcgan", loss=loss, **SMALL))
    with_fc = build_models(TrainConfig(architecture="dcgan", loss=loss, dcgan_fc=24, **SMALL))
    for before, after in zip(plain, with_fc):
        widths = [m.out_features for m in after.modules() if isinstance(m, nn.Linear)]
        assert 24 in widths and len(widths) == 1 + sum(isinstance(m, nn.Linear) for m in before.modules())
    generator, discriminator = with_fc
    images = generator(torch.randn(5, generator.latent_dim))
    assert images.shape == (5, 1, 28, 28) and discriminator(images).shape == (5,)
    if loss == "wgan_gp":
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules())


def test_dcgan_discriminator_keeps_batch_norm_for_other_losses() -> None:
    _, discriminator = build_models(TrainConfig(architecture="dcgan", loss="non_saturating", **SMALL))
    assert any(isinstance(m, nn.BatchNorm2d) for m in discriminator.modules())


def test_dcgan_init_draws_conv_weights_with_std_0_02() -> None:
    generator, _ = build_models(TrainConfig(architecture="dcgan", init="dcgan", dcgan_width=32))
    conv = next(m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d))
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.1)


def test_init_choice_changes_the_weights() -> None:
    weights = {}
    for init in INITS:
        torch.manual_seed(0)
        generator, _ = build_models(TrainConfig(architecture="mlp", init=init, **SMALL))
        weights[init] = generator.net[0].weight.detach().clone()
    assert not torch.equal(weights["dcgan"], weights["xavier"])
    assert not torch.equal(weights["dcgan"], weights["default"])


def test_minibatch_std_lets_the_mlp_discriminator_see_samples_that_look_alike() -> None:
    cfg = TrainConfig(architecture="mlp", mlp_minibatch_std=True, **SMALL)
    _, discriminator = build_models(cfg)
    discriminator.eval()
    varied = torch.rand(8, 1, 28, 28) * 2 - 1
    alike = varied[:1].repeat(8, 1, 1, 1)
    # Each image's own logit changes with the rest of its group: the spread is one of D's inputs.
    assert not torch.allclose(discriminator(varied)[0], discriminator(torch.cat([varied[:1], alike[1:]]))[0])
    spread = discriminator.net[:-1](alike.flatten(1))[:, -1]
    assert torch.all(spread < 1e-3)  # identical samples: no spread at all
    assert discriminator(varied[:5]).shape == (5,)  # a batch that 4 does not divide still works


def test_minibatch_std_is_refused_with_a_gradient_penalty() -> None:
    with pytest.raises(ConfigError, match="MLP D minibatch std"):
        TrainConfig(architecture="mlp", loss="wgan_gp", mlp_minibatch_std=True)


@pytest.mark.parametrize("settings", [{"architecture": "mlp", "init": "default"},
                                      {"architecture": "dcgan", "init": "dcgan", "dcgan_fc": 24},
                                      {"architecture": "dcgan", "init": "xavier", "conditional": True}])
def test_a_seeded_generator_gives_the_weights_that_seeding_torch_gave(settings: dict) -> None:
    """Runs seed their own generator now; a seed must still give the weights of the shipped runs,
    which seeded PyTorch's global generator and built the networks the usual way."""
    cfg = TrainConfig(**{**SMALL, **settings})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        expected = ARCHITECTURES[cfg.architecture](cfg)
        init = INITS[cfg.init]
        for network in expected if init is not None else ():
            network.apply(lambda m: init(m, None))
    built = build_models(cfg, torch.Generator().manual_seed(7))
    for mine, theirs in zip(built, expected, strict=True):
        assert all(torch.equal(a, b) for a, b in zip(mine.state_dict().values(), theirs.state_dict().values(),
                                                     strict=True))


def test_building_with_a_generator_leaves_the_global_random_state_alone() -> None:
    state = torch.get_rng_state()
    build_models(TrainConfig(architecture="mlp", **SMALL), torch.Generator().manual_seed(1))
    assert torch.equal(state, torch.get_rng_state())


def test_a_layer_that_reads_a_point_computes_what_nn_linear_does() -> None:
    """FewInputsLinear only lays the product out differently (MKL is slow at nn.Linear's weight gradient
    for two inputs): the same outputs and gradients, nn.Linear's weights and state dict."""
    rng = torch.Generator().manual_seed(0)
    few, plain = FewInputsLinear(2, 128), nn.Linear(2, 128)
    plain.load_state_dict(few.state_dict())
    x = torch.randn(512, 2, generator=rng)
    outputs = []
    for layer in (few, plain):
        inputs = x.clone().requires_grad_(True)
        out = layer(inputs)
        (out * torch.linspace(-1, 1, 128)).sum().backward()
        outputs.append((out, inputs.grad, layer.weight.grad, layer.bias.grad))
    for a, b in zip(*outputs):
        torch.testing.assert_close(a, b)
    assert few.weight.grad.shape == (128, 2) and set(few.state_dict()) == {"weight", "bias"}


def test_the_2d_networks_use_the_few_inputs_layer_where_they_read_a_point_or_a_short_z() -> None:
    generator, discriminator = build_models(TrainConfig(dataset="ring", architecture="mlp2d", latent_dim=2),
                                            torch.Generator().manual_seed(0))
    assert type(generator.net[0]) is FewInputsLinear and type(discriminator.net[0]) is FewInputsLinear
    assert all(type(m) is nn.Linear for m in [*generator.net[1:].modules(), *discriminator.net[1:].modules()]
               if isinstance(m, nn.Linear))
    _, mnist_discriminator = build_models(TrainConfig(architecture="mlp", **SMALL), torch.Generator().manual_seed(0))
    assert not any(isinstance(m, FewInputsLinear) for m in mnist_discriminator.modules())
