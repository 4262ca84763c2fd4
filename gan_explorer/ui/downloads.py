"""Files the app hands to the browser (an interpolation's GIF, a saved checkpoint) live in Gradio's cache.

Gradio tracks a file an output returns from inside its cache without copying it, and its
`delete_cache` (set in builder.py) deletes it once it is old enough: so these files follow the
same age limit as every picture the app shows, and the server's disk use stays bounded. A file
written anywhere else would be copied into the cache and the original left behind for ever.
They go in one flat folder, so that no empty folders pile up when the files are deleted.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from ..checkpoints import Checkpoint, atomic_write, save_checkpoint, sidecar_path
from ..sessions import Session

FOLDER = "gan-explorer"


def download_folder() -> Path:
    """Read each time: GRADIO_TEMP_DIR may be set after import (Gradio reads it the same way)."""
    return Path(get_upload_folder()) / FOLDER


def write_download(name: str, suffix: str, data: bytes) -> Path:
    """`data` as NAME-<content hash>SUFFIX: the same bytes asked for again reuse the file."""
    path = download_folder() / f"{name}-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    try:
        os.utime(path)  # delete_cache ages files by ctime: a file handed out again must not go now
    except FileNotFoundError:
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    return path


def save_checkpoint_download(checkpoint: Checkpoint, name: str) -> list[Path]:
    """Weights and sidecar under a name of their own (another session may save the same step)."""
    path = save_checkpoint(checkpoint, download_folder() / f"{name}-{secrets.token_hex(4)}")
    return [path, sidecar_path(path)]


def save_runs(session: Session) -> list[str]:
    """Write the session's run (each run of a comparison, named run-A-..., run-B-...) as .safetensors + .json
    into Gradio's cache and return the paths for download."""
    if session.trainer is None:
        raise gr.Error("There is no run to save yet: press Start or Step first.")
    # The quality checks go into the sidecar, so loading the run draws its quality and digits again.
    paths = [path for tag, checkpoint in session.to_checkpoints({"source": "GAN Explorer app"})
             for path in save_checkpoint_download(checkpoint, f"{f'run-{tag}-' if tag else ''}gan-"
                                                  f"{checkpoint.config.architecture}-step{checkpoint.step}")]
    return [str(p) for p in paths]
