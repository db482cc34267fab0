"""Plots: legends outside the data, integer ticks on counted axes, every marker named in a legend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewgpt.plotting import use_files_backend


@pytest.fixture
def closed_figures(monkeypatch):
    """The figures the plotting code closes, kept open for inspection."""
    plt = use_files_backend()
    close = plt.close
    kept = []
    monkeypatch.setattr(plt, "close", kept.append)
    yield kept
    close("all")


def _legend_beside_axes(fig, ax) -> None:
    fig.canvas.draw()
    legend = ax.get_legend()
    assert legend is not None
    renderer = fig.canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # right of the data
    assert legend.get_window_extent(renderer).x1 <= fig.bbox.x1 + 1  # and inside the image


def _integer_ticks(axis) -> None:
    ticks = [t for t in axis.get_majorticklocs() if axis.get_view_interval()[0] <= t <= axis.get_view_interval()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_train_loss_plot(tmp_path: Path, closed_figures):
    from reviewgpt.train._plot import plot_losses

    metrics = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "loss": 3 - s / 5} for s in range(1, 6)] + [{"step": 5, "eval_loss": 2.2}]
    metrics.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert plot_losses(metrics, tmp_path / "loss.png").stat().st_size > 1000
    [fig] = closed_figures
    ax = fig.axes[0]
    _legend_beside_axes(fig, ax)
    _integer_ticks(ax.xaxis)  # 5 steps: matplotlib alone would tick at 1.5, 2.5, ...
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train (each logged step)", "validation (marker: an evaluation)"]


def test_hit_rate_boxplot_names_its_markers(closed_figures):
    from reviewgpt.evaluate.report import _plot_hit_rates

    plt = use_files_backend()
    fig = _plot_hit_rates(plt, {"a": [0.1, 0.2, 0.9, 0.15], "b": [0.3, 0.4]}, ["a", "b"], {"mean_hit_rate": 0.3})
    fig.tight_layout()  # as the report's save() does
    ax = fig.axes[0]
    _legend_beside_axes(fig, ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1:] == ["mean", "outlier", "human-human mean"] and labels[0].startswith("median")


def test_dataset_lengths_plot(tmp_path: Path, closed_figures):
    from reviewgpt.dataset._stats import StatsCollector, plot_lengths

    collector = StatsCollector()
    collector.input_tokens, collector.output_tokens = [80, 100, 110, 300], [20, 20, 20, 100]
    collector.untruncated_total = [100, 120, 130, 700]
    plot_lengths(collector, 512, tmp_path / "lengths.png")
    [fig] = closed_figures
    ax = fig.axes[0]
    _legend_beside_axes(fig, ax)
    _integer_ticks(ax.yaxis)  # examples
