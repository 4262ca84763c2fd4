"""The frequency view, the folded explanations and the map of pictures, as the app wires them (no browser)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest

from gan_explorer.checkpoints import load_checkpoint
from gan_explorer.data import MNISTTensors
from gan_explorer.embedding import Embedding
from gan_explorer.explanations import EXPLANATIONS
from gan_explorer.presets import preset
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer
from gan_explorer.ui import builder, live_view, train_tab, tsne_tab
from gan_explorer.ui.explained import EXPLAINED, explain, is_chart, unexplained
from gan_explorer.ui.sessions import SessionRegistry

SPECTRUM = 7  # the frequency chart's place in the live view's outputs
CHECK = {"step": 250, "fid": 50.0, "inception_score": 5.0, "class_histogram": [0.1] * 10, "confident_share": 0.9,
         "confident_histogram": [0.1] * 10,
         "spectrum": [1.0, 0.5, 0.2], "spectrum_real": [1.0, 0.4, 0.1], "high_frequency_gap": 0.1}


def _traces(figure) -> list:
    return list(figure.data)


def test_the_live_view_draws_the_frequencies_of_the_latest_quality_check(mnist: MNISTTensors) -> None:
    session = Session()
    assert not _traces(live_view.live_view(session)[SPECTRUM])  # no run, no check: the empty chart
    session.adopt(Trainer(preset("fast"), data=mnist)).quality.append(CHECK)
    figure = live_view.live_view(session)[SPECTRUM]
    assert [list(t.y) for t in figure.data] == [CHECK["spectrum_real"], CHECK["spectrum"]]
    assert "step 250" in figure.layout.title.text
    session.trainer.stop()


def test_a_loaded_checkpoint_shows_a_fresh_checks_frequencies_only_when_metrics_are_on() -> None:
    checkpoint = load_checkpoint("checkpoints/mlp.safetensors")
    assert not _traces(train_tab.checkpoint_view(checkpoint)[SPECTRUM])  # the card has no spectrum
    fresh = dict(CHECK, step=checkpoint.step)
    shown = train_tab.checkpoint_view(checkpoint, lambda generator: fresh)[SPECTRUM]
    assert len(shown.data) == 2 and f"step {checkpoint.step}" in shown.layout.title.text


def test_every_chart_and_the_grid_on_the_page_fold_their_explanation_under_them() -> None:
    demo = builder.build_demo()
    shown = {c.elem_id for c in demo.blocks.values() if is_chart(c)} | {"train-grid"}
    assert shown == set(EXPLAINED)  # every chart is named; no entry names a chart that is gone
    assert unexplained(demo) == []
    assert set(EXPLAINED.values()) == set(EXPLANATIONS)  # and every explanation is shown somewhere


def test_a_chart_without_its_explanation_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    with gr.Blocks() as demo:
        gr.Plot(elem_id="chart-losses")
        explain("chart-losses")
        gr.Plot(elem_id="chart-new")  # a new chart nobody explained
    assert unexplained(demo) == ["chart-new"]
    monkeypatch.delitem(EXPLANATIONS, "losses")  # a registry entry gone: the page cannot be built
    assert unexplained(demo) == ["chart-losses", "chart-new"]
    with pytest.raises(KeyError), gr.Blocks():
        explain("chart-losses")


def test_the_quality_explanation_states_the_apps_own_interval_and_sample_count() -> None:
    text = EXPLANATIONS["quality"].markdown()
    assert f"every {live_view.QUALITY_EVERY} steps" in text and f"{builder.QUALITY_SAMPLES} samples" in text


def _embedding(n: int) -> Embedding:
    rng = np.random.default_rng(0)
    return Embedding(rng.normal(size=(n, 2)).astype(np.float32), rng.integers(0, 255, (n, 28, 28), dtype=np.uint8),
                     rng.integers(0, 10, n), np.array(["generated", "real"] * (n // 2)),
                     np.zeros((n, 4), np.float32))


def test_a_new_map_shows_pictures_up_to_2000_points_and_dots_above() -> None:
    assert tsne_tab.default_style(2000) == "pictures" and tsne_tab.default_style(2001) == "dots"


def test_the_toggle_redraws_the_last_map_in_either_style_without_running_tsne_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tsne_tab, "embed_samples", lambda *a, **k: pytest.fail("t-SNE ran again"))
    tab = SimpleNamespace(registry=SessionRegistry())
    request = SimpleNamespace(session_hash="s")
    assert tsne_tab.restyle(tab, request, "pictures") is not None  # no map yet: nothing drawn
    session = tab.registry.get(request)
    session.embedding, session.embedding_colours = _embedding(40), "the classifier's digit"
    pictures = tsne_tab.restyle(tab, request, "pictures")
    dots = tsne_tab.restyle(tab, request, "dots")
    assert len(pictures.layout.images) == 1 and all(t.marker.opacity == 0 for t in pictures.data)
    assert not dots.layout.images and all(t.marker.opacity > 0 for t in dots.data)
    customdata = [[row[0] for row in t.customdata] for t in pictures.data]  # hover and click still find points
    assert sorted(sum(customdata, [])) == list(range(40))
    assert "white = real" in json.dumps(pictures.layout.legend.to_plotly_json())
    with pytest.raises(gr.Error, match="dots or pictures"):
        tsne_tab.restyle(tab, request, "stars")
