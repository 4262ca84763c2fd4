"""Loading a checkpoint (an upload, or a shipped one) from the Train tab: into the session, the model
pickers of Explore, Interpolate, t-SNE and Draw, and the Train tab's live view and form."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..checkpoints import Checkpoint
from ..sessions import QualityFn, Session
from . import explore_tab, train_tab
from .common import bind, checkpoint_for, friendly, load_upload, model_choices
from .compare_view import NO_COMPARISON
from .explore_tab import ExploreTab
from .refusal import checked
from .sessions import SessionRegistry
from .train_controls import config_values
from .train_tab import TrainTab


@dataclass
class Pickers:
    """What a load changes: the Train tab, Explore (redrawn with the loaded model) and every model picker."""
    registry: SessionRegistry
    quality_fn: QualityFn | None
    train: TrainTab
    explore: ExploreTab
    model_boxes: list[gr.Dropdown]


def resolve(session: Session, upload: str | None, shipped: str | None) -> tuple[str, Checkpoint]:
    """(label, Checkpoint) of an upload (loaded into the session) or of a shipped choice."""
    label = load_upload(session, upload) if upload else shipped
    if not label:
        raise gr.Error("Upload a .safetensors checkpoint, or pick a shipped one and press Load shipped.")
    checkpoint = checkpoint_for(session, label)
    if checkpoint is None:
        raise gr.Error(f"Unknown checkpoint {label!r}: choose one of {', '.join(model_choices(session))}.")
    return label, checkpoint


def check_load(pickers: Pickers, request: gr.Request, upload: str | None = None, shipped: str | None = None) -> None:
    resolve(pickers.registry.get(request), upload, shipped)


@friendly
def load(pickers: Pickers, request: gr.Request, upload: str | None = None, shipped: str | None = None
         ) -> dict[Any, Any]:
    """Load a checkpoint for Explore/Interpolate/t-SNE, and show it in the Train tab with its settings."""
    session, train = pickers.registry.get(request), pickers.train
    label, checkpoint = resolve(session, upload, shipped)
    gr.Info(f"Loaded {label}: {checkpoint.config.architecture}, {checkpoint.config.loss}, "
            f"step {checkpoint.step}. It is now the model in Explore, Interpolate, t-SNE and Draw.")
    choices = gr.Dropdown(choices=model_choices(session), value=label)
    view = train_tab.checkpoint_view(checkpoint, pickers.quality_fn)
    return {**{box: choices for box in pickers.model_boxes}, **dict(zip(train.outputs, view, strict=True)),
            # The form takes the checkpoint's settings, so what it shows is what Start would train.
            **config_values(checkpoint.config, train.settings),
            train.preset: gr.Dropdown(value=None, info="none: the settings below are the loaded checkpoint's"),
            train.compare: NO_COMPARISON}  # one checkpoint is shown: run B's grid goes


def refresh_choices(pickers: Pickers, request: gr.Request) -> dict[Any, Any]:
    choices = model_choices(pickers.registry.get(request))
    return {box: gr.Dropdown(choices=choices) for box in pickers.model_boxes}


def wire(pickers: Pickers, tabs: gr.Tabs) -> None:
    train, explore = pickers.train, pickers.explore
    loaded = [*pickers.model_boxes, *train.outputs, train.compare, *train.settings.values(), train.preset]
    for event, kwargs, name in ((train.upload.upload, {"upload": train.upload}, "load_checkpoint"),
                                (train.load.click, {"shipped": train.shipped}, "load_shipped")):
        # A refused file (damaged, not ours) leaves the grid and charts as they were (refusal.py).
        checked(event, bind(check_load, pickers), inputs_kwargs=kwargs).success(
            bind(load, pickers), inputs_kwargs=kwargs, outputs=loaded, api_name=name, concurrency_limit=None).success(
            bind(explore_tab.from_seed, explore), explore.seed_inputs, explore.z_outputs, api_visibility="private",
            concurrency_limit=None)
    # An upload adds a choice in one session; refreshing on every tab switch keeps the pickers current.
    tabs.select(bind(refresh_choices, pickers), None, pickers.model_boxes, api_visibility="private",
                concurrency_limit=None, show_progress="hidden")
