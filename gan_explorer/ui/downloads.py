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

from gradio.utils import get_upload_folder

from ..checkpoints import Checkpoint, atomic_write, save_checkpoint, sidecar_path

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
