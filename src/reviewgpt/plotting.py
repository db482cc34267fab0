"""Shared conventions of the PNG plots (train loss, dataset lengths, evaluate report).

Legends sit outside the axes, so they never cover data; axes that count things get integer
ticks; every marker is named in a legend (a boxplot's mean triangle and outlier circles too).
"""

from __future__ import annotations

from typing import Any


def use_files_backend():
    """matplotlib's pyplot on the file-only Agg backend (no display on a server)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def integer_ticks(axis: Any) -> None:
    """Only whole numbers on ``axis`` (``ax.xaxis`` / ``ax.yaxis``): steps, examples, papers, points."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def legend_right(ax: Any, handles: list | None = None, labels: list[str] | None = None, **kwargs: Any) -> None:
    """The legend to the right of ``ax``, outside the data area (``fig.tight_layout`` makes room)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                  fontsize=8, **kwargs)


def boxplot_marker_handles() -> tuple[list, list[str]]:
    """Legend entries for what ``boxplot(showmeans=True)`` draws with matplotlib's default style."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="C1", linewidth=1.5),
        Line2D([], [], marker="^", color="C2", linestyle="none"),
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="black", linestyle="none"),
    ]
    return handles, ["median (box: middle 50%)", "mean", "outlier"]
