"""A checkpoint save killed at any moment (kill -9) leaves the path loading as ONE save, and the
next save sweeps up the temporary files the killed process left."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from gan_explorer.checkpoints import SIDECAR_KEY, Checkpoint, load_checkpoint, save_checkpoint, sidecar_path
from gan_explorer.config import TrainConfig
from gan_explorer.models import build_models

CONFIG = TrainConfig(architecture="mlp", mlp_g_hidden=[32], mlp_d_hidden=[32], latent_dim=8, batch_size=16)
KILLS = 8

# Saves step 1, 2, 3, ... to one path; each save's weights, history and train_seconds all say its step.
# A zygote imports torch once (an import took ~3 s a kill) and forks a saver for each line "FIRST" it
# reads: the saver prints "ready PID" and saves from step FIRST on until it is killed; the zygote then
# reaps it and prints "dead PID". The zygote computes nothing before forking, so each saver starts clean.
ZYGOTE = """
import os, sys, torch, torchvision  # torchvision: the first save's version record imports it
from gan_explorer.checkpoints import Checkpoint, save_checkpoint
from gan_explorer.config import TrainConfig
from gan_explorer.models import build_models

def save_from(step):
    config = TrainConfig.from_dict({config})
    generator, discriminator = build_models(config)
    print("ready", os.getpid(), flush=True)
    while True:
        with torch.no_grad():
            for p in (*generator.parameters(), *discriminator.parameters()):
                p.fill_(step)
        history = [{{"step": s, "d_loss": 0.0}} for s in range(1, step + 1)]
        save_checkpoint(Checkpoint(config, generator, discriminator, step, train_seconds=float(step),
                                   history=history, info={{"save": step}}), sys.argv[1])
        step += 1

for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            save_from(int(line))
        finally:
            os._exit(1)  # a saver never goes on to read the zygote's input
    os.waitpid(pid, 0)
    print("dead", pid, flush=True)
"""


def checkpoint_at(step: int) -> Checkpoint:
    generator, discriminator = build_models(CONFIG)
    with torch.no_grad():
        for p in (*generator.parameters(), *discriminator.parameters()):
            p.fill_(step)
    return Checkpoint(CONFIG, generator, discriminator, step, train_seconds=float(step),
                      history=[{"step": s, "d_loss": 0.0} for s in range(1, step + 1)], info={"save": step})


def assert_one_save(path: Path) -> int:
    ckpt = load_checkpoint(path)
    weights = {float(p.detach().unique()) for m in (ckpt.generator, ckpt.discriminator) for p in m.parameters()}
    assert weights == {float(ckpt.step)}, f"weights from saves {weights}, header says step {ckpt.step}"
    assert ckpt.train_seconds == ckpt.step and ckpt.info == {"save": ckpt.step}
    assert len(ckpt.history) == ckpt.step and ckpt.history[-1]["step"] == ckpt.step
    return ckpt.step


def test_a_save_killed_at_random_moments_always_loads_as_one_save(tmp_path: Path) -> None:
    path = tmp_path / "run.safetensors"
    rng = random.Random(0)
    first, orphans_seen, last_step = 1, 0, 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE.format(config=CONFIG.to_dict()), str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
    try:
        for _ in range(KILLS):
            zygote.stdin.write(f"{first}\n")
            zygote.stdin.flush()
            ready, pid = zygote.stdout.readline().split()
            assert ready == "ready"
            time.sleep(rng.uniform(0.05, 0.6))
            os.kill(int(pid), signal.SIGKILL)
            assert zygote.stdout.readline().split() == ["dead", pid]
            if not path.exists():
                continue  # killed before its first save finished
            orphans_seen += len(list(tmp_path.glob(".*.tmp")))
            last_step = assert_one_save(path)
            assert last_step >= first - 1
            first = last_step + 1
    finally:
        zygote.kill()
        zygote.wait(10)
    assert last_step > KILLS, "the saver hardly saved anything between kills"
    save_checkpoint(checkpoint_at(last_step + 1), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "run.safetensors"]
    assert assert_one_save(path) == last_step + 1
    print(f"{KILLS} kills, last step {last_step}, temporary files left by kills: {orphans_seen}")


def test_the_next_save_removes_temporary_files_of_dead_writers_but_not_of_live_ones(tmp_path: Path) -> None:
    path = tmp_path / "run.safetensors"
    orphans = [tmp_path / f".run.safetensors.{dead_pid()}.abc.tmp", tmp_path / ".run.json.xyz.tmp"]
    in_progress = [tmp_path / f".run.json.{os.getppid()}.abc.tmp",  # a live process's save
                   tmp_path / f".run.safetensors.bak.{dead_pid()}.abc.tmp"]  # another file's
    for p in (*orphans, *in_progress):
        p.write_bytes(b"partial")
    save_checkpoint(checkpoint_at(1), path)
    assert not any(p.exists() for p in orphans)
    assert all(p.exists() for p in in_progress)


def test_weights_beside_a_sidecar_of_another_save_load_as_the_weights_save(tmp_path: Path) -> None:
    path = save_checkpoint(checkpoint_at(3), tmp_path / "run.safetensors")
    other = save_checkpoint(checkpoint_at(5), tmp_path / "other.safetensors")
    sidecar_path(path).write_bytes(sidecar_path(other).read_bytes())
    assert assert_one_save(path) == 3


def test_an_old_file_without_the_embedded_copy_ignores_a_sidecar_of_another_step(tmp_path: Path) -> None:
    path = save_checkpoint(checkpoint_at(3), tmp_path / "run.safetensors")
    with safe_open(str(path), framework="pt") as f:
        metadata = {k: v for k, v in f.metadata().items() if k != SIDECAR_KEY}
    save_file(load_file(str(path)), str(path), metadata=metadata)  # as written before the copy existed
    assert len(load_checkpoint(path).history) == 3  # its own sidecar is still read
    sidecar = json.loads(sidecar_path(path).read_text())
    sidecar_path(path).write_text(json.dumps({**sidecar, "step": 5}))
    ckpt = load_checkpoint(path)
    assert ckpt.step == 3 and ckpt.history == []


@pytest.mark.parametrize("name", ["a*b", "run[1]"])
def test_temporary_files_are_found_for_names_with_glob_characters(tmp_path: Path, name: str) -> None:
    orphan = tmp_path / f".{name}.safetensors.{dead_pid()}.abc.tmp"
    orphan.write_bytes(b"partial")
    save_checkpoint(checkpoint_at(1), tmp_path / f"{name}.safetensors")
    assert not orphan.exists()


def dead_pid() -> str:
    """The pid of a process that has exited."""
    return subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
