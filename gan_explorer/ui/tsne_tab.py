"""t-SNE tab: a 2-D map of generated (and real) digits; hover shows a point's image, a click sends its z to Explore.

Plotly's hover and click events live in the page: the script in page.HEAD shows the hovered
point's thumbnail (carried in customdata) and, on click, puts the point's index where the
hidden #tsne-pick button's handler reads it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr
import torch

from .. import map_figure
from ..data import default_data_root, load_mnist
from ..embedding import MAX_REAL, MAX_SAMPLES, MIN_SAMPLES, Embedding, embed_samples
from ..images import png_data_url, upscale
from ..parsing import whole_number
from ..picture_map import picture_map
from .common import bind, default_model, friendly, model_choices, resolve_generator
from .explained import explain
from .explore_tab import IMAGE_SCALE, ExploreTab, check_seed, show_z
from .fields import Dropdown, Number, Slider
from .picture import WriteOnceImage
from .sessions import SessionRegistry

HOVER_HINT = ('<div id="tsne-hover"><img id="tsne-hover-img" alt="">'
              '<div id="tsne-hover-text">Hover over a point to see its image; click a generated one '
              'to open its z in Explore.</div></div>')
STYLES = ("dots", "pictures")
MAX_PICTURES = 2000  # a new map shows pictures up to this many points (readable at the default zoom), dots above


@dataclass
class TSNETab:
    """The tab's controls, the Explore tab a click sends its z to, and what the map is drawn with."""
    registry: SessionRegistry
    classify_fn: Callable[[torch.Tensor], torch.Tensor] | None
    explore: ExploreTab
    tabs: gr.Tabs
    model: Dropdown
    n: Slider
    n_real: Slider
    seed: Number
    run: gr.Button
    style: gr.Radio
    plot: gr.Plot
    picked: WriteOnceImage
    pick_index: Number  # the clicked point's index, read in the page (page.HEAD) when #tsne-pick is clicked
    pick_button: gr.Button


def default_style(points: int) -> str:
    return "pictures" if points <= MAX_PICTURES else "dots"


def figure_for(embedding: Embedding, colour_source: str, style: str = "dots") -> Any:
    """The map as dots, or as pictures (each point its own digit; the markers stay, invisible, for hover)."""
    thumbnails = [png_data_url(image) for image in embedding.images]
    is_real = embedding.source == "real"
    pictures = picture_map(embedding.coords, embedding.images, is_real, map_figure.frame_colours(embedding.labels)) \
        if style == "pictures" else None
    return map_figure.tsne_figure(embedding.coords, embedding.labels, is_real, thumbnails, colour_source, pictures)


@friendly
def tsne(tab: TSNETab, request: gr.Request, model: str, n: int, n_real: int = 0, seed: int = 0,
         progress: gr.Progress = gr.Progress()) -> Any:
    """Embed n generated samples (plus n_real real test digits) with PCA + t-SNE; returns the map, as
    pictures up to MAX_PICTURES points, as dots above."""
    session = tab.registry.get(request)
    generator = resolve_generator(session, model)
    # Every value is checked before the work starts: a t-SNE of thousands of points takes a while.
    n = whole_number(tab.n.label, n, MIN_SAMPLES, MAX_SAMPLES)
    n_real = whole_number(tab.n_real.label, n_real, 0, MAX_REAL)
    seed = check_seed(seed, tab.seed.label)
    real = load_mnist(default_data_root(), train=False) if n_real else None
    labeler = None if generator.conditional else tab.classify_fn
    embedding = embed_samples(generator, n, seed, real, n_real, labeler,
                              progress=lambda fraction, message: progress(fraction, desc=message))
    session.embedding = embedding
    session.embedding_colours = ("the digit G was asked for" if generator.conditional
                                 else "the classifier's digit" if labeler is not None else "no digit labels")
    return figure_for(embedding, session.embedding_colours, default_style(len(embedding)))


def shown_style(tab: TSNETab, request: gr.Request) -> str:
    """The toggle follows the style a new map is drawn in."""
    embedding = tab.registry.get(request).embedding
    return default_style(len(embedding)) if embedding is not None else gr.skip()


@friendly
def restyle(tab: TSNETab, request: gr.Request, style: str) -> Any:
    """The last map again, as dots or as pictures: t-SNE is not run again."""
    if style not in STYLES:
        raise gr.Error(f"Show points as {' or '.join(STYLES)}, not {style!r}.")
    session = tab.registry.get(request)
    if session.embedding is None:
        return gr.skip()  # no map yet: the next Embed draws in the chosen style's default
    return figure_for(session.embedding, session.embedding_colours, style)


@friendly
def pick(tab: TSNETab, request: gr.Request, index: int, model_choice: str, k: Any, digit: Any) -> dict[Any, Any]:
    """Show the clicked point; a generated point's z (and digit) go to the Explore tab."""
    embedding = tab.registry.get(request).embedding
    if embedding is None or not (isinstance(index, (int, float)) and 0 <= index < len(embedding)):
        raise gr.Error("That point is from an older map: press Embed again.")
    index = int(index)
    image = upscale(embedding.images[index], IMAGE_SCALE // 2)
    if embedding.source[index] == "real":
        gr.Info("A real MNIST digit has no z; click a generated point (a circle) to explore it.")
        return {tab.picked: image}
    generator = resolve_generator(tab.registry.get(request), model_choice)
    digit = int(embedding.labels[index]) if generator.conditional else digit
    explore = tab.explore
    shown = show_z(explore, generator, torch.from_numpy(embedding.z[index]), k, digit)
    gr.Info(f"Explore now shows the z of t-SNE point {index} (the seed box still holds the old seed).")
    return {**shown, tab.picked: image, explore.model: model_choice,
            explore.digit: gr.Radio(value=digit, visible=generator.conditional), tab.tabs: gr.Tabs(selected="explore")}


def _layout(registry: SessionRegistry, explore: ExploreTab, tabs: gr.Tabs,
            classify_fn: Callable[[torch.Tensor], torch.Tensor] | None) -> TSNETab:
    with gr.Row():
        model = Dropdown(model_choices(), value=default_model(), label="Model", scale=3, elem_id="tsne-model")
        n = Slider(MIN_SAMPLES, MAX_SAMPLES, value=500, step=100, label="Generated samples", scale=3,
                   elem_id="tsne-n")
        n_real = Slider(0, MAX_REAL, value=0, step=100, label="Real MNIST digits mixed in (marked x)",
                        scale=3, elem_id="tsne-real")
        seed = Number(0, precision=0, label="Seed", scale=1)
        run = gr.Button("Embed", variant="primary", scale=1, elem_id="tsne-run")
    style = gr.Radio(list(STYLES), value="pictures", label="Show points as", elem_id="tsne-style",
                     info=f"pictures: real digits framed white, generated ones in their digit's colour; "
                          f"a new map of more than {MAX_PICTURES:,} points starts as dots")
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            plot = gr.Plot(show_label=False, elem_id="tsne-plot")
            explain("tsne-plot")
        with gr.Column(scale=1, min_width=200):
            gr.HTML(HOVER_HINT)
            picked = WriteOnceImage(label="Clicked point", format="png", type="numpy", interactive=False,
                                    height=224, width=224, elem_classes="gx-pixelated")
    return TSNETab(registry, classify_fn, explore, tabs, model, n, n_real, seed, run, style, plot, picked,
                   Number(-1, precision=0, visible="hidden"),
                   gr.Button("pick", visible="hidden", elem_id="tsne-pick"))


def build(registry: SessionRegistry, explore: ExploreTab, tabs: gr.Tabs,
          classify_fn: Callable[[torch.Tensor], torch.Tensor] | None) -> TSNETab:
    tab = _layout(registry, explore, tabs, classify_fn)
    tab.run.click(bind(tsne, tab), inputs_kwargs={"model": tab.model, "n": tab.n, "n_real": tab.n_real,
                                                  "seed": tab.seed},
                  outputs=tab.plot, api_name="tsne", concurrency_limit=1, concurrency_id="tsne").success(
        bind(shown_style, tab), None, tab.style, api_visibility="private", concurrency_limit=None)
    # .input: only a person's choice redraws; Embed setting the toggle itself does not draw twice.
    tab.style.input(bind(restyle, tab), inputs_kwargs={"style": tab.style}, outputs=tab.plot,
                    api_visibility="private", concurrency_limit=1, concurrency_id="tsne")
    tab.pick_button.click(bind(pick, tab), [tab.pick_index, tab.model, explore.k, explore.digit],
                          [tab.picked, explore.model, *explore.z_outputs, tabs],
                          js="(index, ...rest) => [window.gxTsnePick ?? -1, ...rest]", api_visibility="private",
                          concurrency_limit=None)
    return tab
