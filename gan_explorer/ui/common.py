"""What every tab shares: turning library errors into gr.Error, and finding the generator to sample from."""
from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from ..checkpoints import Checkpoint, CheckpointError, load_checkpoint, load_shipped, shipped_checkpoints
from ..config import ConfigError, TrainConfig
from ..data import DataNotFoundError
from ..datasets import DATASETS, IMAGES
from ..device import DeviceError, usable_cpus
from ..models import Generator
from ..sessions import RunAlreadyGoing, Session
from ..trainer import Trainer, TrainingDiverged

log = logging.getLogger(__name__)

LIVE_RUN = "Live run (latest snapshot)"
# Every event that draws with a generator (Explore, /generate, Interpolate) takes a worker from one
# shared pool, one per core that training leaves free. A class of 30 moving sliders at once then
# queues for it, instead of running 30 handlers side by side that took the GIL and the server's core
# from the training runs and their live streams (benchmarks/classroom_load.py).
DRAWING_POOL = {"concurrency_id": "drawing", "concurrency_limit": max(1, usable_cpus() - 1)}
SHIPPED_SUFFIX = " (shipped)"
UPLOADED_SUFFIX = " (uploaded)"
USER_ERRORS = (ConfigError, DeviceError, CheckpointError, DataNotFoundError, TrainingDiverged, RunAlreadyGoing,
               ValueError)

F = TypeVar("F", bound=Callable[..., Any])


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


def friendly(fn: F) -> F:
    """Wrap a handler (plain or generator) so every failure reaches the page as a gr.Error message."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as e:
                raise _as_gr_error(e) from None
        return stream  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise _as_gr_error(e) from None
    return call  # type: ignore[return-value]


def bind(fn: Callable[..., Any], tab: Any) -> Callable[..., Any]:
    """The handler `fn(tab, ...)` as Gradio must see it: `tab` (the tab's components and services) given,
    the other parameters and their type hints as `fn` has them, a generator still a generator.

    Not functools.partial: Gradio finds the gr.Request parameter by its type hint, and reads no type
    hints of a partial object (the request would arrive as None)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            yield from fn(tab, *args, **kwargs)
    else:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return fn(tab, *args, **kwargs)
    signature = inspect.signature(fn)
    call.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])  # type: ignore[attr-defined]
    return call


def shipped_choices() -> dict[str, str]:
    """Model-choice label -> name of every shipped GAN checkpoint."""
    return {name + SHIPPED_SUFFIX: name for name in shipped_checkpoints()}


def model_choices(session: Session | None = None) -> list[str]:
    uploaded = list(session.checkpoints) if session is not None else []
    return [*shipped_choices(), *uploaded, LIVE_RUN]


PREFERRED_SHIPPED = "dcgan_conditional" + SHIPPED_SUFFIX  # the best shipped model: any digit on request


def default_model() -> str:
    """A shipped generator when there is one (the conditional DCGAN first), so Explore works before anyone trains."""
    shipped = shipped_choices()
    return PREFERRED_SHIPPED if PREFERRED_SHIPPED in shipped else next(iter(shipped), LIVE_RUN)


def resolve_generator(session: Session, choice: str) -> Generator:
    """The generator behind a model choice; a snapshot for the live run (training may go on)."""
    if choice == LIVE_RUN:
        if session.trainer is None:
            raise gr.Error("There is no live run yet: press Start in the Train tab, or pick a checkpoint.")
        return session.trainer.snapshot()
    if choice in session.checkpoints:
        return session.checkpoints[choice].generator
    shipped = shipped_choices()
    if choice in shipped:
        return load_shipped(shipped[choice]).generator
    raise gr.Error(f"Unknown model {choice!r}: choose one of {', '.join(model_choices(session))}.")


def load_upload(session: Session, path: str | None) -> str:
    """Load an uploaded .safetensors into the session; returns its model-choice label."""
    if not path:
        raise gr.Error("Choose a .safetensors checkpoint file to upload first.")
    checkpoint = load_checkpoint(path)
    dataset = checkpoint.config.dataset
    if DATASETS[dataset].kind != IMAGES:  # its samples are points: no grid, timelapse or digit to draw
        raise gr.Error(f"{Path(path).name} learned points ({dataset}), not images: the image tabs cannot draw it "
                       "(no grid, timelapse or digit). Train such a run in the 2-D lab.")
    label = Path(path).stem + UPLOADED_SUFFIX
    session.checkpoints[label] = checkpoint
    return label


def checkpoint_for(session: Session, choice: str) -> Checkpoint | None:
    """The Checkpoint behind a choice (None for the live run)."""
    if choice in session.checkpoints:
        return session.checkpoints[choice]
    shipped = shipped_choices()
    return load_shipped(shipped[choice]) if choice in shipped else None


def apply_live(trainer: Trainer, values: dict[str, Any], whose: str = "") -> None:
    """Take changed live settings (`values`, as a page sends them) into a training run from its next step
    and say so (gr.Info, prefixed by `whose` run, e.g. "Run A"), or say why a value was refused (gr.Warning):
    training goes on with the value in force."""
    try:
        changed = trainer.apply(TrainConfig.from_dict({**trainer.config.to_dict(), **values})).changed
        if changed:
            step = f"{whose}, from step" if whose else "From step"
            said = ", ".join(f"{k} = {v:g}" for k, v in sorted(changed.items()))
            gr.Info(f"{step} {trainer.step_count + 1}: {said}")
    except (ConfigError, ValueError, TypeError) as e:  # ConfigError for every bad value, None (an empty field) too
        gr.Warning(f"{e} Training goes on with the value in force.")
