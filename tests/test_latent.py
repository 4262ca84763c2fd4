"""Latent-space helpers: seeds, sliders, lerp/slerp, and generate() input checks."""
from __future__ import annotations

import math

import pytest
import torch

from gan_explorer.config import TrainConfig
from gan_explorer.data import NUM_CLASSES
from gan_explorer.latent import (
    MAX_SLIDERS,
    fixed_noise,
    generate,
    interpolate,
    interpolation_frames,
    latent_from_seed,
    lerp,
    sample,
    slerp,
    with_slider_values,
)
from gan_explorer.models import build_models

LATENT_DIM = 16


@pytest.fixture(scope="module", params=["mlp", "dcgan"])
def architecture(request: pytest.FixtureRequest) -> str:
    return request.param


def _generator(architecture: str, conditional: bool):
    torch.manual_seed(0)
    cfg = TrainConfig(architecture=architecture, conditional=conditional, latent_dim=LATENT_DIM,
                      dcgan_width=8, mlp_g_hidden=(32, 64))
    return build_models(cfg)[0]


def test_sample_draws_from_its_own_generator_never_the_global_rng() -> None:
    state = torch.random.get_rng_state()
    z, labels = sample(5, LATENT_DIM, 7)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert z.shape == (5, LATENT_DIM) and labels is None
    assert torch.equal(z, torch.randn(5, LATENT_DIM, generator=torch.Generator().manual_seed(7)))
    rng = torch.Generator().manual_seed(7)
    first, second = sample(2, LATENT_DIM, rng)[0], sample(3, LATENT_DIM, rng)[0]
    assert torch.equal(torch.cat([first, second]), z)  # a caller's generator goes on where it left off


def test_sample_gives_a_conditional_model_every_digit_in_turn_or_the_one_asked_for() -> None:
    _, labels = sample(25, LATENT_DIM, 0, conditional=True)
    assert labels.tolist() == [i % NUM_CLASSES for i in range(25)]
    _, labels = sample(4, LATENT_DIM, 0, conditional=True, digit=3)
    assert labels.tolist() == [3, 3, 3, 3]


def test_fixed_noise_depends_on_the_runs_settings_only() -> None:
    config = TrainConfig(latent_dim=LATENT_DIM, conditional=True, seed=5)
    z, labels = fixed_noise(config, 20)
    assert z.shape == (20, LATENT_DIM) and labels.tolist() == [i % NUM_CLASSES for i in range(20)]
    torch.manual_seed(99)
    assert torch.equal(fixed_noise(config, 20)[0], z)
    assert not torch.equal(fixed_noise(config.replace(seed=6), 20)[0], z)
    assert fixed_noise(config.replace(conditional=False), 20)[1] is None


def test_latent_from_seed_is_deterministic_and_ignores_global_rng() -> None:
    a = latent_from_seed(7, LATENT_DIM)
    torch.manual_seed(123)
    torch.randn(5)
    assert torch.equal(a, latent_from_seed(7, LATENT_DIM))
    assert a.shape == (LATENT_DIM,)
    assert not torch.equal(a, latent_from_seed(8, LATENT_DIM))


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_latent_from_seed_rejects_seeds_that_are_not_whole_non_negative_numbers(seed) -> None:
    with pytest.raises(ValueError, match="seed must be a whole number"):
        latent_from_seed(seed, LATENT_DIM)


def test_with_slider_values_changes_only_the_first_k_dims() -> None:
    z = latent_from_seed(0, LATENT_DIM)
    edited = with_slider_values(z, [1.5, -2.0, 0.25])
    assert edited[:3].tolist() == [1.5, -2.0, 0.25]
    assert torch.equal(edited[3:], z[3:])
    assert not torch.equal(edited, z) and torch.equal(z, latent_from_seed(0, LATENT_DIM))  # z itself untouched


@pytest.mark.parametrize("values, message", [
    ([0.0] * (MAX_SLIDERS + 1), "at most"),
    ([0.0, math.nan], "finite"),
    ([math.inf], "finite"),
    ([0.5, None], "finite"),
])
def test_with_slider_values_rejects_bad_values(values: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        with_slider_values(latent_from_seed(0, 32), values)


def test_slerp_hits_both_endpoints() -> None:
    z0, z1 = latent_from_seed(0, LATENT_DIM), latent_from_seed(1, LATENT_DIM)
    path = slerp(z0, z1, 9)
    assert path.shape == (9, LATENT_DIM)
    torch.testing.assert_close(path[0], z0)
    torch.testing.assert_close(path[-1], z1)


def test_slerp_keeps_the_norm_between_equal_norm_endpoints() -> None:
    z0 = latent_from_seed(0, LATENT_DIM)
    z1 = latent_from_seed(1, LATENT_DIM)
    z1 = z1 * z0.norm() / z1.norm()
    norms = slerp(z0, z1, 11).norm(dim=1)
    torch.testing.assert_close(norms, torch.full_like(norms, z0.norm().item()))
    assert lerp(z0, z1, 11).norm(dim=1)[5] < 0.95 * z0.norm()  # the shortcut slerp avoids


def test_slerp_of_parallel_vectors_falls_back_to_lerp() -> None:
    z0 = latent_from_seed(0, LATENT_DIM)
    path = slerp(z0, 2 * z0, 5)
    assert torch.isfinite(path).all()
    torch.testing.assert_close(path, lerp(z0, 2 * z0, 5))


def test_lerp_midpoint_is_the_average() -> None:
    z0, z1 = latent_from_seed(0, LATENT_DIM), latent_from_seed(1, LATENT_DIM)
    torch.testing.assert_close(lerp(z0, z1, 3)[1], (z0 + z1) / 2)


@pytest.mark.parametrize("steps, method, message", [
    (1, "slerp", "steps must be a whole number from 2 to 64"),
    (65, "linear", "steps must be a whole number from 2 to 64"),
    (8, "cubic", "Unknown interpolation method 'cubic'"),
])
def test_interpolate_rejects_bad_steps_and_methods(steps: int, method: str, message: str) -> None:
    z0, z1 = latent_from_seed(0, LATENT_DIM), latent_from_seed(1, LATENT_DIM)
    with pytest.raises(ValueError, match=message):
        interpolate(z0, z1, steps, method)


def test_generate_returns_cpu_images_in_range_and_leaves_g_in_eval(architecture: str) -> None:
    generator = _generator(architecture, conditional=False).train()
    one = generate(generator, latent_from_seed(0, LATENT_DIM))
    batch = generate(generator, torch.stack([latent_from_seed(s, LATENT_DIM) for s in range(4)]))
    assert one.shape == (1, 1, 28, 28) and batch.shape == (4, 1, 28, 28)
    assert batch.device.type == "cpu" and batch.min() >= -1 and batch.max() <= 1
    assert not generator.training
    torch.testing.assert_close(one[0], batch[0])  # eval mode: an image depends only on its own z


def test_generate_checks_latent_size(architecture: str) -> None:
    with pytest.raises(ValueError, match=f"latent_dim={LATENT_DIM}"):
        generate(_generator(architecture, conditional=False), torch.zeros(LATENT_DIM + 1))


def test_generate_conditional_label_changes_the_image_and_broadcasts(architecture: str) -> None:
    generator = _generator(architecture, conditional=True)
    z = torch.stack([latent_from_seed(s, LATENT_DIM) for s in range(3)])
    threes = generate(generator, z, 3)
    torch.testing.assert_close(threes, generate(generator, z, torch.tensor([3, 3, 3])))
    assert not torch.allclose(threes, generate(generator, z, 8))


@pytest.mark.parametrize("conditional, labels, message", [
    (True, None, "conditional: choose which digit"),
    (True, 10, "from 0 to 9"),
    (True, -1, "from 0 to 9"),
    (True, torch.tensor([1, 2]), "2 labels for 3 latent vectors"),
    (False, 3, "unconditional"),
])
def test_generate_rejects_labels_that_do_not_fit_the_model(conditional: bool, labels, message: str) -> None:
    generator = _generator("mlp", conditional)
    with pytest.raises(ValueError, match=message):
        generate(generator, torch.zeros(3, LATENT_DIM), labels)


def test_interpolation_frames_start_and_end_at_the_endpoint_images(architecture: str) -> None:
    generator = _generator(architecture, conditional=False)
    z0, z1 = latent_from_seed(0, LATENT_DIM), latent_from_seed(1, LATENT_DIM)
    frames = interpolation_frames(generator, z0, z1, 6, method="linear")
    assert frames.shape == (6, 1, 28, 28)
    torch.testing.assert_close(frames[0], generate(generator, z0)[0])
    torch.testing.assert_close(frames[-1], generate(generator, z1)[0])


def test_conditional_interpolation_morphs_from_one_digit_to_another(architecture: str) -> None:
    generator = _generator(architecture, conditional=True)
    table = generator.label_embedding.weight.detach().clone()
    z = latent_from_seed(0, LATENT_DIM)
    frames = interpolation_frames(generator, z, z, 5, labels0=3, labels1=8)
    torch.testing.assert_close(frames[0], generate(generator, z, 3)[0])
    torch.testing.assert_close(frames[-1], generate(generator, z, 8)[0])
    assert not torch.allclose(frames[2], frames[0]) and not torch.allclose(frames[2], frames[-1])
    assert torch.equal(generator.label_embedding.weight, table)  # the shared G is left as it was
    fixed = interpolation_frames(generator, z, z, 5, labels0=3)  # no second label: the digit stays 3
    torch.testing.assert_close(fixed, generate(generator, z, 3).expand(5, -1, -1, -1))


def test_conditional_interpolation_rejects_a_digit_outside_0_to_9() -> None:
    z = latent_from_seed(0, LATENT_DIM)
    with pytest.raises(ValueError, match="from 0 to 9"):
        interpolation_frames(_generator("mlp", conditional=True), z, z, 5, labels0=3, labels1=12)
