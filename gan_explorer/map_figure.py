"""The t-SNE map as a Plotly figure: each sample a point coloured by its digit (or drawn as its own
picture, framed in that colour), real digits marked apart, hover and click data for the page."""
from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .picture_map import PictureMap
from .plots import DIGIT_COLOURS, _layout


def tsne_figure(coords: np.ndarray, digits: np.ndarray, is_real: np.ndarray,
                thumbnails: Sequence[str] | None = None, colour_source: str = "digit",
                pictures: PictureMap | None = None) -> go.Figure:
    """A scatter of the embedding: colour = digit, circle = generated, x = real MNIST; with
    `pictures`, each point drawn as its digit instead (the markers stay, invisible, for hover).

    customdata holds each point's index (and thumbnail data URL) so the page can show its image
    on hover and send a click back to Python.
    """
    figure = go.Figure(layout=_layout(f"t-SNE of {len(coords)} images (colour: {colour_source})",
                                      "t-SNE 1", "t-SNE 2", height=560))
    figure.update_layout(hovermode="closest", legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1,
                                                      "yanchor": "top"}, margin={"t": 40})
    index = np.arange(len(coords))
    for real in (False, True):
        for digit in np.unique(digits):
            mask = (digits == digit) & (is_real == real)
            if not mask.any():
                continue
            kind = "real" if real else "generated"
            label = f"digit {digit}" if digit >= 0 else "no digit label"
            custom = [[int(i), thumbnails[i] if thumbnails else ""] for i in index[mask]]
            # Scatter (SVG), not Scattergl: WebGL is missing in some browsers and headless setups.
            figure.add_trace(go.Scatter(
                x=coords[mask, 0], y=coords[mask, 1], mode="markers", customdata=custom,
                name=f"{label} {kind}" if digit < 0 else f"{digit} {kind}", legendgroup=str(digit),
                marker={"color": DIGIT_COLOURS[digit] if digit >= 0 else "#555",
                            "size": 8 if real else 6, "symbol": "x" if real else "circle",
                            "opacity": 0.8 if pictures is None else 0},
                hovertemplate=f"{kind} · {label}<extra></extra>"))
    if pictures is not None:
        _draw_pictures(figure, pictures)
    return figure


def frame_colours(digits: np.ndarray) -> list[str]:
    """Each point's frame colour in the map of pictures: its digit's colour, grey without a label."""
    return [DIGIT_COLOURS[d] if d >= 0 else "#555555" for d in digits]


def _draw_pictures(figure: go.Figure, pictures: PictureMap) -> None:
    """The composite under the (invisible) markers, over a square range so digits are not stretched."""
    source = "data:image/png;base64," + base64.b64encode(pictures.png).decode()
    figure.add_layout_image(source=source, xref="x", yref="y", x=pictures.x[0], y=pictures.y[1],
                            sizex=pictures.x[1] - pictures.x[0], sizey=pictures.y[1] - pictures.y[0],
                            sizing="stretch", layer="below")
    figure.update_xaxes(range=list(pictures.x), showgrid=False)
    figure.update_yaxes(range=list(pictures.y), showgrid=False, scaleanchor="x", scaleratio=1)
    # taller than the dots' map: on a 1920x1080 screen 2,000 digits are then ~20 px each, readable
    figure.update_layout(legend_title_text="frame: digit colour = generated, white = real", height=760)
