"""A shared server's memory is bounded per session, and a closed session's run and uploads are freed."""
from __future__ import annotations

import gc
import platform
import subprocess
import sys
import weakref
from types import SimpleNamespace

import pytest

from gan_explorer.checkpoints import Checkpoint
from gan_explorer.config import TrainConfig
from gan_explorer.data import MNISTTensors
from gan_explorer.models import build_models
from gan_explorer.sessions import MAX_UPLOADS, RunAlreadyGoing, Session
from gan_explorer.trainer import Trainer
from gan_explorer.ui.sessions import SessionRegistry

CONFIG = TrainConfig(architecture="mlp", mlp_g_hidden=[32], mlp_d_hidden=[32], latent_dim=8, batch_size=16)


def checkpoint() -> Checkpoint:
    return Checkpoint(CONFIG, *build_models(CONFIG))


def test_a_session_keeps_only_its_latest_uploads() -> None:
    session = Session()
    for i in range(MAX_UPLOADS + 3):
        session.checkpoints[f"upload {i} (uploaded)"] = checkpoint()
    assert list(session.checkpoints) == [f"upload {i} (uploaded)" for i in range(3, MAX_UPLOADS + 3)]
    session.checkpoints["upload 3 (uploaded)"] = checkpoint()  # uploaded again: now the newest
    assert list(session.checkpoints)[-1] == "upload 3 (uploaded)" and len(session.checkpoints) == MAX_UPLOADS


def test_a_session_is_plain_python_that_refuses_a_second_start_while_training(mnist: MNISTTensors) -> None:
    no_gradio = "import sys; sys.modules['gradio'] = None; import gan_explorer.sessions"
    assert subprocess.run([sys.executable, "-c", no_gradio], capture_output=True, check=False).returncode == 0
    session = Session()
    trainer = Trainer(CONFIG, "cpu", data=MNISTTensors(mnist.images[:256], mnist.labels[:256]))
    session.start_run(trainer, steps=100_000, quality_fn=None, quality_every=250)
    try:
        with pytest.raises(RunAlreadyGoing, match="already going"):
            session.start_run(trainer, steps=10, quality_fn=None, quality_every=250)
    finally:
        session.reset()
    assert not session.running and trainer.stopped


def test_a_closed_session_frees_its_run_and_its_uploads(mnist: MNISTTensors) -> None:
    registry, request = SessionRegistry(), SimpleNamespace(session_hash="student")
    session = registry.get(request)
    trainer = Trainer(CONFIG, "cpu", data=MNISTTensors(mnist.images[:256], mnist.labels[:256]))
    session.start_run(trainer, steps=100_000, quality_fn=None, quality_every=250)
    session.checkpoints["mine (uploaded)"] = checkpoint()
    watched = [weakref.ref(trainer), weakref.ref(session.checkpoints["mine (uploaded)"]), weakref.ref(session)]
    del trainer, session
    registry.close(request)
    gc.collect()
    assert len(registry) == 0
    assert [ref() is None for ref in watched] == [True, True, True]


def test_gradio_keeps_the_page_state_of_a_bounded_number_of_sessions(mnist_root) -> None:
    """Gradio keeps ~1.3 MB per session for an hour after its tab closes; the app caps how many."""
    import os

    from gan_explorer.ui import build_demo, launch_options
    from gan_explorer.ui.builder import SESSION_CAPACITY

    os.environ["GAN_EXPLORER_DATA"] = str(mnist_root)
    demo = build_demo()
    _, _url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True,
                             **launch_options())
    try:
        holder = demo.state_holder
        for i in range(SESSION_CAPACITY + 50):
            holder[f"visitor-{i}"]
        assert len(holder.session_data) == SESSION_CAPACITY <= 256
        assert "visitor-0" not in holder and f"visitor-{SESSION_CAPACITY + 49}" in holder
    finally:
        demo.close()


def test_the_allocator_keeps_fewer_arenas_where_the_c_library_is_glibc() -> None:
    from gan_explorer.memory import limit_allocator_arenas, return_freed_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt's arena cap is glibc's")
    assert limit_allocator_arenas()  # mallopt refuses (returns 0) an unknown parameter number
    return_freed_memory()
