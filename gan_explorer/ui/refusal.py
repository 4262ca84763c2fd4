"""Refuse bad input before the real handler runs, so a refusal changes nothing else on the page.

Gradio marks every output of an event that raises with a red "Error" badge (show_progress="hidden"
does not stop it): a damaged upload would blank the grid and every chart. So the check runs as
an event of its own with no outputs, and the real work is chained with `.success`: a gr.Error in
the check shows one message, the real handler never starts, and every output keeps its value.
The real handler checks again, as API clients call it directly.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import friendly

CHECK_OPTIONS = {"outputs": None, "api_visibility": "private", "concurrency_limit": None, "show_progress": "hidden"}


def checked(trigger: Callable[..., Any], check: Callable[..., Any], inputs: Any = None,
            inputs_kwargs: dict[str, Any] | None = None, **options: Any) -> Any:
    """`trigger(check)` with no outputs; chain the real handler with `.success(...)` on what this returns."""
    where = {"inputs_kwargs": inputs_kwargs} if inputs_kwargs is not None else {"inputs": inputs}
    return trigger(friendly(check), **where, **CHECK_OPTIONS, **options)
