"""The Plotly figures: long histories stay small, and the quality curve shows its real-data floor."""
from __future__ import annotations

import numpy as np
import pytest

from gan_explorer import plots
from gan_explorer.modes_plot import modes_figure


def _history(n: int) -> list[dict[str, float]]:
    return [{"step": i, "d_loss": 1.0 + np.sin(i), "g_loss": 2.0, "d_real": 0.7, "d_fake": 0.3,
             "g_grad_norm": 1.0, "d_grad_norm": 2.0} for i in range(1, n + 1)]


def test_a_long_history_is_downsampled_to_bucket_means_keeping_its_span() -> None:
    losses, scores, grads = plots.training_figures(_history(10_000))
    for figure in (losses, scores, grads):
        for trace in figure.data:
            assert len(trace.x) <= plots.MAX_POINTS
    x, y = np.asarray(losses.data[0].x, dtype=float), np.asarray(losses.data[0].y, dtype=float)
    assert x[0] < 30 and x[-1] > 9_970  # the buckets cover the whole run
    assert abs(y.mean() - np.mean([r["d_loss"] for r in _history(10_000)])) < 0.01  # means, not samples


def test_quality_curve_plots_fid_and_inception_score_with_the_real_digit_floors() -> None:
    points = [{"step": 250 * i, "fid": 100.0 / i, "inception_score": 5 + 0.5 * i, "fid_floor": 4.29,
               "is_floor": 9.7} for i in range(1, 5)]
    figure = plots.quality_figure(points, 250)
    names = [trace.name for trace in figure.data]
    assert any("FID" in name for name in names) and any("IS" in name for name in names)
    assert list(figure.data[1].y) == [p["inception_score"] for p in points] and figure.data[1].yaxis == "y2"
    floors = sorted(shape.y0 for shape in figure.layout.shapes)
    assert floors == [4.29, 9.7]
    assert tuple(figure.layout.yaxis2.range) == (1, 10.5)  # the FID axis's log range stays its own
    assert 50 in figure.layout.yaxis.tickvals  # FID ticks read as whole numbers, not Plotly's "5" for 50


def test_quality_curve_without_floors_has_no_floor_lines() -> None:
    figure = plots.quality_figure([{"step": 250, "fid": 50.0, "inception_score": 6.0}], 250)
    assert not figure.layout.shapes


def test_quality_curve_with_one_check_draws_its_step_axis_from_zero() -> None:
    figure = plots.quality_figure([{"step": 250, "fid": 50.0, "inception_score": 6.0}], 250)
    low, high = figure.layout.xaxis.range
    assert low == 0 and 250 < high <= 500


def test_empty_quality_curve_says_when_its_first_point_comes() -> None:
    assert "first at step 250" in plots.quality_figure([], 250).layout.title.text


def test_each_chart_keeps_one_ui_revision_across_updates_so_zoom_and_legend_toggles_survive() -> None:
    short, long = plots.training_figures(_history(5)), plots.training_figures(_history(50))
    revisions = [figure.layout.uirevision for figure in short]
    assert all(revisions) and len(set(revisions)) == len(revisions)  # one per chart
    assert revisions == [figure.layout.uirevision for figure in long]
    points = [{"step": 250, "fid": 50.0, "inception_score": 6.0}]
    assert plots.quality_figure([], 250).layout.uirevision == plots.quality_figure(points, 250).layout.uirevision
    assert plots.class_histogram_figure(None).layout.uirevision == \
        plots.class_histogram_figure([0.1] * 10, 250).layout.uirevision


def test_fid_and_inception_score_get_panels_of_their_own_each_with_its_labelled_floor() -> None:
    points = [{"step": 250 * i, "fid": 100.0 / i, "inception_score": 2 + i, "fid_floor": 4.29, "is_floor": 9.7}
              for i in range(1, 5)]
    figure = plots.quality_figure(points, 250)
    fid_panel, is_panel = figure.layout.xaxis.domain, figure.layout.xaxis2.domain
    assert fid_panel[1] < is_panel[0]  # side by side, not overlaid
    assert figure.layout.yaxis2.anchor == "x2" and figure.data[1].xaxis == "x2"
    labels = {a.yref: a for a in figure.layout.annotations if "real digits" in a.text}
    # On the log FID axis Plotly places an annotation at log10(y): the label must sit at the floor line.
    assert labels["y"].y == pytest.approx(np.log10(4.29)) and "4.3" in labels["y"].text
    assert labels["y2"].y == 9.7 and labels["y2"].xref == "x2 domain" and "9.7" in labels["y2"].text


def test_a_comparisons_spectrum_chart_draws_run_b_dashed_and_names_each_gap():
    from gan_explorer.plots import spectrum_figure

    a = {"step": 250, "spectrum": [5.0, 3.0, 2.5], "spectrum_real": [5.0, 2.0, 1.0], "high_frequency_gap": 1.2}
    b = {**a, "spectrum": [5.0, 2.2, 1.1], "high_frequency_gap": 0.1}
    figure = spectrum_figure(a, b, ["A: loss minimax", "B: loss hinge"])
    assert [t.name for t in figure.data] == ["real digits", "A: loss minimax", "B: loss hinge"]
    assert figure.data[2].line.dash == "dash" and list(figure.data[2].y) == [5.0, 2.2, 1.1]
    assert figure.layout.annotations[0].text == "high-frequency gap A 1.20, B 0.10"


def test_the_spectrum_chart_draws_generated_against_real_and_waits_for_a_check():
    from gan_explorer.plots import spectrum_figure

    check = {"step": 250, "spectrum": [5.0, 3.0, 2.5], "spectrum_real": [5.0, 2.0, 1.0], "high_frequency_gap": 1.2}
    figure = spectrum_figure(check)
    assert [t.name for t in figure.data] == ["real digits", "generated"]
    assert "step 250" in figure.layout.title.text and "1.20" in figure.layout.annotations[0].text
    assert not spectrum_figure(None).data


def test_compared_runs_share_each_chart_a_solid_and_b_dashed():
    from gan_explorer.plots import compare_figures

    history_a = [{"step": s, "d_loss": 1.0, "g_loss": 2.0, "d_real": 0.6, "d_fake": 0.4, "d_grad_norm": 1.0,
                  "g_grad_norm": 1.0} for s in range(1, 6)]
    history_b = [{**m, "g_loss": 5.0} for m in history_a]
    names = ("A: loss minimax", "B: loss non_saturating")
    losses, scores, grads = compare_figures(history_a, history_b, names=names)
    # the colours keyed once, the runs keyed by what differs: A solid, B dashed
    assert [t.name for t in losses.data if t.showlegend is not False] == ["D loss", "G loss", *names]
    assert [t.line.dash for t in losses.data] == [None, None, "dash", "dash", None, "dash"]
    assert list(losses.data[3].y) == [5.0] * 5 and list(losses.data[1].y) == [2.0] * 5
    assert "B: loss non_saturating" in losses.data[3].hovertemplate
    assert len(scores.data) == len(grads.data) == 6


def test_compared_runs_share_the_quality_chart_and_the_digit_histogram():
    from gan_explorer.plots import compare_histogram_figure, compare_quality_figure

    points = [{"step": 250, "fid": 80.0, "inception_score": 3.0}]
    quality = compare_quality_figure(points, [{**points[0], "fid": 200.0}], 250, names=("A: x", "B: y"))
    dashed = [t for t in quality.data if t.line.dash == "dash" and t.x[0] is not None]
    assert [list(t.y) for t in dashed] == [[200.0], [3.0]]
    assert [t.name for t in quality.data if t.showlegend is not False] == ["A: x", "B: y"]
    histogram = compare_histogram_figure([0.1] * 10, [1.0] + [0.0] * 9, 250, names=("A: x", "B: y"))
    assert [t.name for t in histogram.data] == ["A: x", "B: y"] and histogram.data[1].y[0] == 1.0


def test_a_run_of_one_step_shows_its_point_and_a_long_run_draws_plain_lines() -> None:
    one = [{"step": 1, "d_loss": 1.3, "g_loss": 0.7}]
    long = [{"step": i, "d_loss": 1.3, "g_loss": 0.7} for i in range(1, 200)]
    assert all("markers" in trace.mode for trace in plots.loss_figure(one).data)
    assert all(trace.mode == "lines" for trace in plots.loss_figure(long).data)


def test_a_d_compared_with_a_critic_gets_a_score_chart_that_names_both_kinds():
    from gan_explorer.losses import scores_are_probabilities
    from gan_explorer.plots import compare_figures

    assert scores_are_probabilities(["minimax", "non_saturating"]) is True
    assert scores_are_probabilities(["wgan_gp", "wgan"]) is False
    mixed = scores_are_probabilities(["non_saturating", "wgan_gp"])
    assert mixed is None
    history = [{"step": s, "d_loss": 1.0, "g_loss": 2.0, "d_real": 0.6, "d_fake": 0.4, "d_grad_norm": 1.0,
                "g_grad_norm": 1.0} for s in range(1, 6)]
    _, scores, _ = compare_figures(history, history, mixed, names=("A: loss non_saturating", "B: loss wgan_gp"))
    assert scores.layout.title.text.startswith("What D and the critic say")
    assert scores.layout.yaxis.title.text == "D output or critic score"
    assert [t.name for t in scores.data[:2]] == ["mean D(x) / score, real", "mean D(G(z)) / score, generated"]


def test_the_lab_modes_chart_draws_modes_covered_and_points_near_a_mode_as_shares() -> None:
    checks = [{"step": 100, "modes": 8, "modes_covered": 2, "high_quality_share": 0.1},
              {"step": 200, "modes": 8, "modes_covered": 8, "high_quality_share": 0.4}]
    covered, near = modes_figure(checks, 100).data
    assert list(covered.x) == [100, 200] and list(covered.y) == [0.25, 1.0] and list(covered.customdata) == [
        "2 of 8 modes", "8 of 8 modes"]
    assert list(near.y) == [0.1, 0.4] and covered.name == "modes covered" and near.name == "points within 3σ"
    assert modes_figure([], 100).layout.title.text == "Modes covered, every 100 steps (the first at step 100)"
    assert modes_figure([{"step": 100, "confident_share": 0.5}], 100).data[0].x == ()  # another measure: left out


def test_the_lab_modes_chart_of_a_comparison_draws_run_b_dashed_and_keys_the_runs() -> None:
    a = [{"step": 100, "modes": 8, "modes_covered": 1, "high_quality_share": 0.19}]
    b = [{"step": 100, "modes": 8, "modes_covered": 8, "high_quality_share": 0.17}]
    figure = modes_figure(a, 100, b, ["A: ring-slow-d", "B: ring-wgan-gp"])
    dashed = [t for t in figure.data if t.line.dash == "dash"]
    assert [list(t.y) for t in figure.data[:4]] == [[0.125], [0.19], [1.0], [0.17]]
    assert {t.name for t in dashed} >= {"B: ring-wgan-gp"} and "B: ring-wgan-gp" in figure.data[3].hovertemplate
