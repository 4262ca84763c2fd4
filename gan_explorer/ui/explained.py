"""What am I looking at? Each chart and picture's explanation (explanations.py), folded under it.

EXPLAINED names the view each element shows, by elem_id; explain() builds the fold from the
registry, so the words live in one place and a chart without an entry cannot be built.
"""
from __future__ import annotations

from typing import Any

import gradio as gr

from ..explanations import EXPLANATIONS
from .live_chart import is_live_chart

TITLE = "What am I looking at?"
EXPLAINED = {"train-grid": "grid", "chart-losses": "losses", "chart-scores": "scores", "chart-grads": "grads",
             "chart-quality": "quality", "chart-digits": "digits", "chart-spectrum": "spectrum",
             "tsne-plot": "tsne", "lab-plane": "plane", "lab-plane-b-plot": "plane", "lab-losses": "losses",
             "lab-scores": "scores", "lab-modes": "modes"}


def fold_id(elem_id: str) -> str:
    return f"{elem_id}-explained"


def explain(elem_id: str) -> gr.Accordion:
    """The folded explanation of the element `elem_id`, placed where it is called (under the element)."""
    text = EXPLANATIONS[EXPLAINED[elem_id]].markdown()
    with gr.Accordion(TITLE, open=False, elem_id=fold_id(elem_id), elem_classes="gx-explained") as fold:
        gr.Markdown(text)
    return fold


def is_chart(component: Any) -> bool:
    """A chart of the page: a gr.Plot, or a chart redrawn in place (live_chart.py)."""
    return isinstance(component, gr.Plot) or is_live_chart(component)


def unexplained(blocks: gr.Blocks) -> list[str]:
    """The charts (and the sample grid) of `blocks` that have no explanation folded on the page."""
    components = list(blocks.blocks.values())
    folds = {c.elem_id: c for c in components if isinstance(c, gr.Accordion)}
    shown = [c.elem_id for c in components if is_chart(c) or c.elem_id == "train-grid"]
    missing = []
    for elem_id in shown:
        fold = folds.get(fold_id(elem_id or ""))
        view = EXPLAINED.get(elem_id or "")
        texts = [c.value for c in getattr(fold, "children", []) if isinstance(c, gr.Markdown)]
        if view not in EXPLANATIONS or texts != [EXPLANATIONS[view].markdown()]:
            missing.append(str(elem_id))
    return missing
