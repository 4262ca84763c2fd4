"""Discovered directions (SeFa, GANSpace): orthonormal, and they move G more than a random direction."""
from __future__ import annotations

import pytest
import torch

from gan_explorer.checkpoints import SHIPPED_DIR, load_checkpoint
from gan_explorer.directions import (
    METHODS,
    PREVIEW_STEPS,
    find_directions,
    first_layer,
    mean_change,
    moved,
    preview_strips,
)
from gan_explorer.latent import generate

SHIPPED = ("dcgan", "dcgan_conditional", "dcgan_wgan_gp", "mlp")
RANDOM_DIRECTIONS = 16
pytestmark = pytest.mark.usefixtures("one_thread")


def _generator(name: str):
    return load_checkpoint(SHIPPED_DIR / f"{name}.safetensors").generator


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("name", SHIPPED)
def test_directions_are_orthonormal_and_the_top_one_moves_g_more_than_a_random_one(name: str, method: str) -> None:
    generator = _generator(name)
    directions = find_directions(generator, method, 5)
    assert directions.shape == (5, generator.latent_dim)
    assert torch.allclose(directions @ directions.T, torch.eye(5), atol=1e-5)
    random = torch.randn(RANDOM_DIRECTIONS, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    ratio = float(mean_change(generator, directions[:1], seed=1)[0]
                  / mean_change(generator, random / random.norm(dim=1, keepdim=True), seed=1).mean())
    print(f"{name} {method}: top direction / random direction = {ratio:.2f}")
    assert ratio > 1.2, f"{name} {method}: the top direction moves G only {ratio:.2f}x a random one"


def test_sefa_reads_only_the_z_columns_of_a_conditional_model() -> None:
    generator = _generator("dcgan_conditional")
    layer = first_layer(generator)
    assert layer.in_features == generator.latent_dim + 10
    top = find_directions(generator, "sefa", 1)[0]
    weight = layer.weight.detach()[:, :generator.latent_dim]
    # The top right-singular vector is the unit z move that moves the first layer's output the most.
    others = torch.randn(200, generator.latent_dim)
    assert (weight @ top).norm() >= (weight @ (others / others.norm(dim=1, keepdim=True)).T).norm(dim=0).max()


def test_ganspace_comes_from_its_own_seed() -> None:
    generator, state = _generator("mlp"), torch.random.get_rng_state()
    runs = [find_directions(generator, "ganspace", 3, seed=s) for s in (1, 1, 2)]
    assert torch.equal(torch.random.get_rng_state(), state), "GANSpace drew from the global RNG"
    assert torch.equal(runs[0], runs[1]) and not torch.equal(runs[0], runs[2])


def test_a_preview_strip_walks_from_minus_to_plus_three_sigma() -> None:
    generator = _generator("mlp")
    z, directions = torch.randn(generator.latent_dim), find_directions(generator, "sefa", 2)
    strips = preview_strips(generator, z, directions)
    assert strips.shape == (2 * PREVIEW_STEPS, 1, 28, 28)
    assert torch.allclose(strips[PREVIEW_STEPS // 2], generate(generator, z)[0], atol=1e-5)  # the middle is z itself
    assert torch.allclose(strips[-1], generate(generator, moved(z, directions, [0.0, 3.0]))[0], atol=1e-5)


@pytest.mark.parametrize("method, k", [("pca", 3), ("sefa", 0), ("sefa", 1000)])
def test_bad_choices_are_refused(method: str, k: int) -> None:
    with pytest.raises(ValueError):
        find_directions(_generator("mlp"), method, k)
