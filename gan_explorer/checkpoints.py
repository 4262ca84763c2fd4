"""Checkpoints: weights in safetensors (never pickle) plus a JSON sidecar for people and tools.

`run.safetensors` holds G's and D's tensors and, in its header metadata, the config, the step and
a copy of the whole sidecar, so a lone uploaded file is self-describing. `run.json` beside it shows
the metrics history, library versions and any model-card fields to people and tools. Each file is
written atomically (temp file + rename), but two renames are never one: a process killed between
them leaves the weights of one save beside the .json of another. So loading takes everything from
the weights file, which is one save by construction, and reads the .json only for files written
before the copy was embedded.
"""
from __future__ import annotations

import functools
import glob
import json
import logging
import math
import os
import platform
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from .config import ConfigError, TrainConfig, network_shapes
from .models import Discriminator, Generator, build_models

log = logging.getLogger(__name__)
FORMAT = "gan-explorer-checkpoint"
FORMAT_VERSION = 1
SUFFIX = ".safetensors"
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "checkpoints"  # weights shipped with the app
MAX_SAVED_HISTORY = 2000
SIDECAR_KEY = "sidecar"  # the header's copy of the .json, from the same save as the weights


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, damaged, or not one of ours."""


@dataclass
class Checkpoint:
    config: TrainConfig
    generator: Generator
    discriminator: Discriminator
    step: int = 0
    train_seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # model card: metrics, hardware, notes


def checkpoint_path(path: str | Path) -> Path:
    path = Path(path)
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


def sidecar_path(path: str | Path) -> Path:
    return checkpoint_path(path).with_suffix(".json")


def _new_file_mode() -> int:
    """The mode open() gives a new file under this process's umask (read once, at import)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


NEW_FILE_MODE = _new_file_mode()


def atomic_write(path: Path, write: Any) -> None:
    """write(tmp) fills a temporary file beside `path`, which then replaces `path` in one step:
    a reader sees the old file or the whole new one, never a part. A temporary file that a killed
    process left beside `path` is removed here, at the next write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphaned_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, NEW_FILE_MODE)  # mkstemp's 0600 would hide a checkpoint from everyone else
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_orphaned_temporaries(path: Path) -> None:
    """Delete `path`'s temporary files whose writer is gone. The writer's pid is in the name, so a
    save in progress in another process (or in another thread of this one) is left alone."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        parts = tmp.name[len(path.name) + 2:-len(".tmp")].split(".")  # [pid, random], or [random] before pids
        if len(parts) > 2 or (len(parts) == 2 and not parts[0].isdigit()):
            continue  # another file's temporary, e.g. of "run.safetensors.bak"
        if len(parts) == 2 and (int(parts[0]) == os.getpid() or _alive(int(parts[0]))):
            continue
        tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _versions() -> dict[str, str]:
    import numpy
    import safetensors
    import torchvision

    from . import __version__
    return {"gan_explorer": __version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "numpy": numpy.__version__, "safetensors": safetensors.__version__,
            "python": platform.python_version()}


def save_checkpoint(ckpt: Checkpoint, path: str | Path, weights_dtype: torch.dtype = torch.float32) -> Path:
    """Write `path`.safetensors and its .json sidecar; returns the .safetensors path.

    weights_dtype=torch.float16 halves the file (the shipped checkpoints use it where fp32 would
    pass a few MB); loading always gives fp32 modules again."""
    path = checkpoint_path(path)
    tensors = {f"{prefix}.{name}": (t.to(weights_dtype) if t.is_floating_point() else t).detach().cpu().contiguous()
               for prefix, module in (("generator", ckpt.generator), ("discriminator", ckpt.discriminator))
               for name, t in module.state_dict().items()}
    config_json = json.dumps(ckpt.config.to_dict())
    sidecar = {"format": FORMAT, "format_version": FORMAT_VERSION, "config": ckpt.config.to_dict(),
               "step": ckpt.step, "train_seconds": ckpt.train_seconds, "versions": _versions(),
               "info": ckpt.info}
    text = _sidecar_text(sidecar, _thin(ckpt.history))
    # The sidecar travels inside the weights file too: one rename then commits the whole save.
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "config": config_json,
                "step": str(ckpt.step), SIDECAR_KEY: text}
    # Serialised in memory and written to our own temporary file: safetensors' save_file writes through a
    # temporary of its own (.tmpXXXXXX) that a killed save would leave behind, unnamed by us.
    data = save(tensors, metadata=metadata)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    atomic_write(sidecar_path(path), lambda tmp: Path(tmp).write_text(text))
    return path


def _thin(history: list[dict[str, float]]) -> list[dict[str, float]]:
    """At most MAX_SAVED_HISTORY evenly spaced records, the last one always kept: a long run's
    curves look the same, and a shipped checkpoint stays a few hundred kB instead of megabytes."""
    if len(history) <= MAX_SAVED_HISTORY:
        return history
    stride = math.ceil(len(history) / MAX_SAVED_HISTORY)
    kept = history[::stride]
    return kept if kept[-1] is history[-1] else [*kept, history[-1]]


def _sidecar_text(sidecar: dict[str, Any], history: list[dict[str, float]]) -> str:
    """Readable JSON with one line per history record (indenting every field would triple its size)."""
    head = json.dumps(sidecar, indent=1)[:-2]  # drop the closing "\n}"
    rows = ",\n  ".join(json.dumps(record, separators=(",", ":")) for record in history)
    return f'{head},\n "history": [\n  {rows}\n ]\n}}\n' if history else f'{head},\n "history": []\n}}\n'


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint; G and D come back in eval mode. Raises CheckpointError with the reason.

    The header is checked before anything is built: its config must be valid (which caps the model's
    size) and every tensor it declares must have the shape that config needs. A small file cannot
    make the server build big networks."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint file at {str(path)!r}.")
    metadata, declared = _read_header(path)
    config, step = _header_config(path.name, metadata)
    _check_shapes(path.name, declared, network_shapes(config))
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path.name} is not a readable safetensors file (damaged or truncated?): {e}") from e
    generator, discriminator = build_models(config)
    for prefix, module in (("generator", generator), ("discriminator", discriminator)):
        state = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as e:
            raise CheckpointError(f"{path.name}: the {prefix} weights do not match its config: {e}") from e
    generator.to(device).eval()
    discriminator.to(device).eval()
    sidecar = _sidecar_of(path, metadata, step)
    return Checkpoint(config, generator, discriminator, step,
                      train_seconds=float(sidecar.get("train_seconds", 0.0)),
                      history=list(sidecar.get("history", [])), info=dict(sidecar.get("info", {})))


def _read_header(path: Path) -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """(metadata, tensor name -> declared shape), read from the file's header without its tensors."""
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            return f.metadata() or {}, {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path.name} is not a readable safetensors file (damaged or truncated?): {e}") from e


def _header_config(name: str, metadata: dict[str, str]) -> tuple[TrainConfig, int]:
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{name} is a safetensors file but not a GAN Explorer checkpoint "
                              "(its header has no gan-explorer metadata).")
    try:
        if int(metadata.get("format_version", "0")) > FORMAT_VERSION:
            raise CheckpointError(f"{name} was written by a newer GAN Explorer; please upgrade.")
        config = TrainConfig.from_dict(json.loads(metadata["config"]))
        return config, int(metadata.get("step", 0))
    except ConfigError as e:  # the header's key, for whoever made the file, and the app's label
        key = f" ({e.field})" if e.field else ""
        raise CheckpointError(f"{name} has an invalid config in its header{key}: {e}") from e
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        raise CheckpointError(f"{name} has an invalid config in its header: {e}") from e


def _check_shapes(name: str, declared: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]]) -> None:
    """Refuse a file whose tensors are not exactly the ones its config's networks have."""
    missing, extra = sorted(expected.keys() - declared.keys()), sorted(declared.keys() - expected.keys())
    wrong = [f"{k} is {declared[k]}, not {expected[k]}" for k in sorted(expected.keys() & declared.keys())
             if declared[k] != expected[k]]
    problems = ([f"missing {', '.join(missing[:3])}"] if missing else []) + \
               ([f"unexpected {', '.join(extra[:3])}"] if extra else []) + wrong[:3]
    if problems:
        raise CheckpointError(f"{name}: the weights do not match its config: {'; '.join(problems)}.")


def _sidecar_of(path: Path, metadata: dict[str, str], step: int) -> dict[str, Any]:
    """History, training time and model card of the save that wrote these weights.

    The header's copy is that save's by construction. A file written before the copy existed
    has only the .json, which is used when it describes the same step (a kill between the two
    renames of an old save could leave one from another save beside it)."""
    json_file = _read_sidecar(sidecar_path(path))  # a damaged .json is reported either way
    if SIDECAR_KEY in metadata:
        try:
            embedded = json.loads(metadata[SIDECAR_KEY])
        except ValueError as e:
            raise CheckpointError(f"{path.name} has a damaged history in its header: {e}") from e
        return embedded if isinstance(embedded, dict) else {}
    if json_file and json_file.get("step") != step:
        log.warning("%s: the sidecar describes step %s, the weights step %s; ignoring the sidecar",
                    path.name, json_file.get("step"), step)
        return {}
    return json_file


def _read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar is optional (an uploaded .safetensors alone loads); a broken one is an error."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path.name} (the checkpoint's JSON sidecar) is not valid JSON: {e}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a GAN Explorer checkpoint sidecar.")
    return data


@functools.cache  # the shipped files do not change while the process runs
def shipped_checkpoints() -> dict[str, Path]:
    """Name -> path of every GAN checkpoint in checkpoints/ (the classifier there is not one)."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*" + SUFFIX)) if _is_gan(p)}


def _is_gan(path: Path) -> bool:
    try:
        with safe_open(str(path), framework="pt") as f:
            return (f.metadata() or {}).get("format") == FORMAT
    except (SafetensorError, OSError):
        return False


@functools.lru_cache(maxsize=8)  # read-only weights: safe to share between sessions
def load_shipped(name: str) -> Checkpoint:
    """A shipped checkpoint by its name in shipped_checkpoints(), loaded once per process."""
    return load_checkpoint(shipped_checkpoints()[name])
