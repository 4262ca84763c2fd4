"""What every tab shares: turning library errors into gr.Error, and finding the generator to sample from."""
from __future__ import annotations

import functools
import hashlib
import inspect
import io
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData
from PIL import Image
from safetensors import SafetensorError, safe_open

from ..checkpoints import FORMAT, SHIPPED_DIR, SUFFIX, Checkpoint, CheckpointError, load_checkpoint
from ..config import ConfigError
from ..data import DataNotFoundError
from ..models import Generator
from ..trainer import TrainingDiverged
from .sessions import Session

log = logging.getLogger(__name__)

LIVE_RUN = "Live run (latest snapshot)"
SHIPPED_SUFFIX = " (shipped)"
UPLOADED_SUFFIX = " (uploaded)"
USER_ERRORS = (ConfigError, CheckpointError, DataNotFoundError, TrainingDiverged, ValueError)

F = TypeVar("F", bound=Callable[..., Any])

from gradio.events import Dependency

class WriteOnceImage(gr.Image):
    """gr.Image whose pictures are written to Gradio's cache once each, atomically.

    Gradio 6.31 names a picture's cache file by the hash of its bytes but rewrites that file in place
    on every send. When the same picture goes out again (an unchanged nearest image, a repeated grid)
    while the browser is still fetching it, the browser gets a truncated file and the server logs
    h11's "Too little data for declared Content-Length" (about 1 in 30 fetches when provoked).
    """

    def get_block_name(self) -> str:
        return "image"  # the browser draws it with Gradio's own image component

    def postprocess(self, value: Any) -> ImageData | None:
        if not (isinstance(value, np.ndarray) and value.dtype == np.uint8):
            return super().postprocess(value)
        buffer = io.BytesIO()
        Image.fromarray(value).save(buffer, format=self.format)
        data = buffer.getvalue()
        folder = Path(self.GRADIO_CACHE) / hashlib.sha256(data).hexdigest()
        path = folder / f"image.{self.format}"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            fd, staging = tempfile.mkstemp(dir=folder, prefix=".image.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(staging, path)
        return ImageData(path=str(path), orig_name=path.name)
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


def _as_gr_error(e: Exception) -> gr.Error:
    """The page's message for `e`. Gradio would also print a traceback for every gr.Error; a user's
    bad input is not worth one in the server log, and a bug's traceback is logged here once."""
    if isinstance(e, gr.Error):
        e.print_exception = False
        return e
    if isinstance(e, USER_ERRORS):
        if type(e) is ValueError:  # the library's input checks raise it, but so can a bug: keep a trace
            log.warning("ValueError shown to the user", exc_info=e)
        return gr.Error(str(e), print_exception=False)
    # A bug: keep the traceback in the server log, show the page one readable line.
    log.exception("handler failed")
    return gr.Error(f"Something went wrong ({type(e).__name__}: {e}). The server log has the details.",
                    print_exception=False)


def whole_number(name: str, value: Any, lo: int, hi: int) -> int:
    """value as an int in [lo, hi]; number boxes and JSON clients send 5.0 for 5."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise gr.Error(f"{name} must be a whole number from {lo:,} to {hi:,}; got {value!r}.")
    return value


def friendly(fn: F) -> F:
    """Wrap a handler (plain or generator) so every failure reaches the page as a gr.Error message."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 -- every failure becomes a message on the page
                raise _as_gr_error(e) from None
        return stream  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 -- every failure becomes a message on the page
            raise _as_gr_error(e) from None
    return call  # type: ignore[return-value]


@functools.cache  # the shipped files do not change while the app runs
def shipped_checkpoints() -> dict[str, Path]:
    """Label -> path of every GAN checkpoint in checkpoints/ (the classifier there is not one)."""
    return {p.stem + SHIPPED_SUFFIX: p for p in sorted(SHIPPED_DIR.glob("*" + SUFFIX)) if _is_gan(p)}


def _is_gan(path: Path) -> bool:
    try:
        with safe_open(str(path), framework="pt") as f:
            return (f.metadata() or {}).get("format") == FORMAT
    except (SafetensorError, OSError):
        return False


@functools.lru_cache(maxsize=8)  # read-only weights: safe to share between sessions
def _load_shipped(path: Path) -> Checkpoint:
    return load_checkpoint(path)


def model_choices(session: Session | None = None) -> list[str]:
    uploaded = list(session.checkpoints) if session is not None else []
    return [*shipped_checkpoints(), *uploaded, LIVE_RUN]


PREFERRED_SHIPPED = "dcgan_conditional" + SHIPPED_SUFFIX  # the best shipped model: any digit on request


def default_model() -> str:
    """A shipped generator when there is one (the conditional DCGAN first), so Explore works before anyone trains."""
    shipped = shipped_checkpoints()
    return PREFERRED_SHIPPED if PREFERRED_SHIPPED in shipped else next(iter(shipped), LIVE_RUN)


def resolve_generator(session: Session, choice: str) -> Generator:
    """The generator behind a model choice; a snapshot for the live run (training may go on)."""
    if choice == LIVE_RUN:
        if session.trainer is None:
            raise gr.Error("There is no live run yet: press Start in the Train tab, or pick a checkpoint.")
        return session.trainer.snapshot()
    if choice in session.checkpoints:
        return session.checkpoints[choice].generator
    shipped = shipped_checkpoints()
    if choice in shipped:
        return _load_shipped(shipped[choice]).generator
    raise gr.Error(f"Unknown model {choice!r}: choose one of {', '.join(model_choices(session))}.")


def load_upload(session: Session, path: str | None) -> str:
    """Load an uploaded .safetensors into the session; returns its model-choice label."""
    if not path:
        raise gr.Error("Choose a .safetensors checkpoint file to upload first.")
    checkpoint = load_checkpoint(path)
    label = Path(path).stem + UPLOADED_SUFFIX
    session.checkpoints[label] = checkpoint
    return label


def checkpoint_for(session: Session, choice: str) -> Checkpoint | None:
    """The Checkpoint behind a choice (None for the live run)."""
    if choice in session.checkpoints:
        return session.checkpoints[choice]
    shipped = shipped_checkpoints()
    return _load_shipped(shipped[choice]) if choice in shipped else None