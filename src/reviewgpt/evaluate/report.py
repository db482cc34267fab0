"""``report.md`` and its PNG plots, written from summary.json's numbers and the match records.

Plots (matplotlib, Agg backend, so no display is needed):

- ``per_paper_hits.png``: each paper's mean hits, one series per system;
- ``win_tie_loss.png``: win / tie / loss over papers for each pair of systems, by mean hits and by
  mean hit rate;
- ``hit_rate_distribution.png``: the hit rate of every review, per system, with the human-human
  ceiling;
- ``review_shape.png``: points per review, and how often each aspect is left empty, per system
  (the seeds' v5 analysis).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from reviewgpt.artifacts import EVALUATE
from reviewgpt.evaluate.constants import SIMILARITY_SCALE_TEXT
from reviewgpt.evaluate.metrics import HUMAN_SYSTEM, ReviewShape
from reviewgpt.fsutil import replaced_on_success, write_text_atomic
from reviewgpt.plotting import boxplot_marker_handles, integer_ticks, legend_right
from reviewgpt.records.evaluate import MatchResult

REFERENCE_LABEL = "reference"


def _fmt(value: float | None, digits: int = 2, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.{digits}f}%" if percent else f"{value:.{digits}f}"


def _with_ci(row: dict, key: str, percent: bool = False) -> str:
    ci = row.get(f"{key}_ci")
    text = _fmt(row.get(key), percent=percent)
    if ci:
        text += f" [{_fmt(ci[0], percent=percent)}, {_fmt(ci[1], percent=percent)}]"
    return text


def render_markdown(summary: dict, images: Sequence[str]) -> str:
    """The report's Markdown: settings, the systems table, win/tie/loss, the human ceiling, plots."""
    lines = [
        "# Evaluation report",
        "",
        *_settings_lines(summary),
        *_systems_lines(summary),
        *_human_ceiling_lines(summary),
        *_win_tie_loss_lines(summary),
    ]
    if images:
        lines += ["", "## Plots", ""]
        lines += [f"![{Path(name).stem.replace('_', ' ')}]({name})\n" for name in images]
    return "\n".join(lines).rstrip() + "\n"


def _settings_lines(summary: dict) -> list[str]:
    """The bullet list of the run's settings: judge and hit, aspects, inputs, reference mode."""
    aspects = summary["aspects"]
    aspect_text = "all" if aspects == "all" else ", ".join(aspects)
    inputs = summary.get("inputs", {})
    lines = [
        f"- Judge: `{summary['judge']}`; a hit is a matched pair with similarity >= {summary['threshold']:g} "
        f"(scale {SIMILARITY_SCALE_TEXT}), each point of the reference used at most once; hit rate = hits / points of the review.",
        f"- Aspects compared: {aspect_text}"
        + (" (points matched within their aspect)." if summary["within_aspect"] else " (all points at once)."),
    ]
    if inputs:
        lines.append(
            f"- References: `{inputs.get('references')}`; predictions: "
            + ", ".join(f"`{p}`" for p in inputs.get("predictions", []))
            + (f"; human reviews: `{inputs['humans']}`" if inputs.get("humans") else "")
        )
    if summary.get("reference"):
        lines.append(
            f"- Reference: `{summary['reference']}`"
            + (" (each human review of the paper in turn; hit rate averaged over them)" if summary["reference"] == "each-human" else "")
            + (f"; human reviews' points from the `{summary['extractor']}` extractor" if summary.get("extractor") else "")
            + "."
        )
    return lines


def _systems_lines(summary: dict) -> list[str]:
    """The systems section: one table row per system, and the reference's shape when known."""
    lines = [
        "",
        "## Systems",
        "",
        "Means over papers (each paper: the mean over its samples), bootstrap 95% intervals over papers.",
        "",
        "| system | papers | reviews | mean hits | mean hit rate | points / review | empty aspects / review |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    for name, row in summary["systems"].items():
        shape = row.get("review_shape", {})
        lines.append(
            f"| {name} | {row['papers']} | {row['reviews']} | {_with_ci(row, 'mean_hits')} | "
            f"{_with_ci(row, 'mean_hit_rate', percent=True)} | {_fmt(shape.get('points_per_review'), 1)} | "
            f"{_fmt(shape.get('empty_aspects_per_review'), 2)} |"
        )
    ref = summary.get("reference_shape") or {}
    if ref.get("reviews"):
        lines.append(
            f"| {REFERENCE_LABEL} (human) | {ref['reviews']} | {ref['reviews']} | – | – | "
            f"{_fmt(ref.get('points_per_review'), 1)} | {_fmt(ref.get('empty_aspects_per_review'), 2)} |"
        )
    return lines


def _human_ceiling_lines(summary: dict) -> list[str]:
    """The human–human ceiling section, or why it was not computed."""
    human = summary.get("human_human")
    lines = ["", "## Human–human ceiling", ""]
    if not human:
        lines.append("Not computed: pass `--humans <crawl version>` (needs an LLM to extract the human reviews' points).")
        return lines
    lines += [
        "Each human review against each other human review of the same paper (criticisms from the "
        f"`{summary.get('extractor') or 'openai'}` extractor).",
        "",
        "| papers | pairs | mean hits | mean hit rate |",
        "|---:|---:|---|---|",
        f"| {human['papers']} | {human['reviews']} | {_with_ci(human, 'mean_hits')} | "
        f"{_with_ci(human, 'mean_hit_rate', percent=True)} |",
        "",
        "For scale, Liang et al. 2023 report human–human hit rates of 28.58% (Nature) and 35.25% (ICLR), "
        "and GPT-4–human 30.85% / 39.23%, on criticisms only: compare with `--aspects rejection`.",
    ]
    return lines


def _win_tie_loss_lines(summary: dict) -> list[str]:
    """The win / tie / loss section: one row per pair of systems."""
    lines = ["", "## Win / tie / loss over papers", ""]
    if not summary["pairs"]:
        lines.append("One system only: nothing to compare.")
        return lines
    lines += [
        "System A against system B on the papers both were evaluated on.",
        "",
        "| A | B | papers | by mean hits (win / tie / loss) | by mean hit rate (win / tie / loss) |",
        "|---|---|---:|---|---|",
    ]
    for pair in summary["pairs"]:
        h, r = pair["by_hits"], pair["by_hit_rate"]
        lines.append(
            f"| {pair['a']} | {pair['b']} | {pair['papers']} | {h['win']} / {h['tie']} / {h['loss']} | "
            f"{r['win']} / {r['tie']} / {r['loss']} |"
        )
    return lines


def write_report(
    out_dir: Path,
    summary: dict,
    results: Sequence[MatchResult],
    shapes: dict[str, list[ReviewShape]],
    reference_shapes: Sequence[ReviewShape],
    plots: bool = True,
) -> Path:
    """Write report.md (and its PNGs unless ``plots`` is False) into ``out_dir``; returns report.md."""
    images = _plot_all(out_dir, summary, results, shapes, reference_shapes) if plots else []
    path = out_dir / EVALUATE.report.name
    write_text_atomic(path, render_markdown(summary, images))
    return path


def _plot_all(
    out_dir: Path,
    summary: dict,
    results: Sequence[MatchResult],
    shapes: dict[str, list[ReviewShape]],
    reference_shapes: Sequence[ReviewShape],
) -> list[str]:
    from reviewgpt.plotting import use_files_backend

    plt = use_files_backend()
    systems = list(summary["systems"])
    images = []

    def save(fig, name: str) -> None:
        fig.tight_layout(rect=(0, 0.06, 1, 1) if fig.legends else None)
        with replaced_on_success(out_dir / name) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        plt.close(fig)
        images.append(name)

    if systems:
        save(_plot_per_paper(plt, summary, systems), "per_paper_hits.png")
    if summary["pairs"]:
        save(_plot_win_tie_loss(plt, summary["pairs"]), "win_tie_loss.png")
    rates: dict[str, list[float]] = defaultdict(list)
    for result in results:
        rates[result.system].append(result.hit_rate)
    if rates:
        save(_plot_hit_rates(plt, rates, systems, summary.get("human_human")), "hit_rate_distribution.png")
    if systems:
        save(_plot_shapes(plt, shapes, reference_shapes, systems), "review_shape.png")
    return images


def _plot_per_paper(plt, summary: dict, systems: list[str]):
    per_paper = summary["per_paper"]
    forums = sorted({forum for name in systems for forum in per_paper.get(name, {})})
    # papers ordered by their mean over systems, so the series read as curves
    order = sorted(
        forums,
        key=lambda f: -sum(per_paper[n][f]["mean_hits"] for n in systems if f in per_paper[n]) / len(systems),
    )
    fig, ax = plt.subplots(figsize=(max(6.0, min(16.0, 0.18 * len(order) + 4)), 4))
    for name in systems:
        xs = [i for i, f in enumerate(order) if f in per_paper[name]]
        ys = [per_paper[name][order[i]]["mean_hits"] for i in xs]
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1, label=name)
    ax.set_xlabel("paper (sorted by mean hits over systems; a marker: one paper)")
    ax.set_ylabel("mean hits over samples")
    ax.set_title("Per-paper mean hits")
    integer_ticks(ax.xaxis)
    legend_right(ax, title="system")
    return fig


def _plot_win_tie_loss(plt, pairs: list[dict]):
    labels = [f"{p['a']} vs {p['b']}" for p in pairs]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(pairs) + 2), sharey=True)
    for ax, key, title in zip(axes, ("by_hits", "by_hit_rate"), ("by mean hits", "by mean hit rate"), strict=True):
        left = [0] * len(pairs)
        for part, color in (("win", "#4c9f50"), ("tie", "#b0b0b0"), ("loss", "#d0553f")):
            values = [p[key][part] for p in pairs]
            ax.barh(labels, values, left=left, color=color, label=part)
            for y, (x0, v) in enumerate(zip(left, values, strict=True)):
                if v:
                    ax.text(x0 + v / 2, y, str(v), ha="center", va="center", fontsize=8)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_title(f"Win / tie / loss over papers, {title}")
        ax.set_xlabel("papers (numbers in bars: papers)")
        integer_ticks(ax.xaxis)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=8)
    fig.subplots_adjust(bottom=0.25)
    return fig


def _plot_hit_rates(plt, rates: dict[str, list[float]], systems: list[str], human: dict | None):
    names = systems + ([HUMAN_SYSTEM] if rates.get(HUMAN_SYSTEM) else [])
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 2) + 2.5, 4))  # + the legend
    ax.boxplot([rates.get(name, []) or [0.0] for name in names], showmeans=True)
    ax.set_xticks(range(1, len(names) + 1), [n if n != HUMAN_SYSTEM else "human-human" for n in names], rotation=20)
    handles, labels = boxplot_marker_handles()
    if human and human.get("mean_hit_rate") is not None:
        line = ax.axhline(human["mean_hit_rate"], linestyle="--", color="grey")
        handles, labels = [*handles, line], [*labels, "human-human mean"]
    legend_right(ax, handles, labels)
    ax.set_ylabel("hit rate per review")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Hit-rate distributions")
    return fig


def _plot_shapes(plt, shapes: dict[str, list[ReviewShape]], reference_shapes: Sequence[ReviewShape], systems: list[str]):
    names = systems + ([REFERENCE_LABEL] if reference_shapes else [])
    groups = [shapes.get(n, []) if n != REFERENCE_LABEL else list(reference_shapes) for n in names]
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 4))
    left.boxplot([[s.points for s in group] or [0] for group in groups], showmeans=True)
    left.set_xticks(range(1, len(names) + 1), names, rotation=20)
    left.set_ylabel("points per review")
    left.set_title("Points per review")
    integer_ticks(left.yaxis)
    legend_right(left, *boxplot_marker_handles())
    aspects = list(dict.fromkeys(a for group in groups for s in group for a in s.empty_aspects))
    width = 0.8 / max(1, len(names))
    for k, (name, group) in enumerate(zip(names, groups, strict=True)):
        share = [sum(a in s.empty_aspects for s in group) / len(group) if group else 0.0 for a in aspects]
        right.bar([i + k * width for i in range(len(aspects))], share, width=width, label=name)
    right.set_xticks([i + 0.4 - width / 2 for i in range(len(aspects))], [_short(a) for a in aspects], rotation=20, fontsize=8)
    right.set_ylabel("share of reviews")
    right.set_ylim(0, 1.05)
    right.set_title("Aspects left empty" if aspects else "Aspects left empty (none)")
    legend_right(right, title="system")
    return fig


def _short(aspect: str) -> str:
    """A tick label: "Potential reasons for rejection" -> "rejection"."""
    for prefix in ("Potential reasons for ", "Other "):
        aspect = aspect.removeprefix(prefix)
    return aspect if len(aspect) <= 26 else aspect[:24] + "…"
