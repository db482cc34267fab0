"""``stats.json`` and ``lengths.png``: what the dataset holds and what was left out."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewgpt.fsutil import replaced_on_success
from reviewgpt.records import InstructionExample

PERCENTILES = (50, 90, 95, 99)


@dataclass
class StatsCollector:
    """Token lengths and counts of the written records, fed one record at a time."""

    input_tokens: list[int] = field(default_factory=list)
    output_tokens: list[int] = field(default_factory=list)
    untruncated_total: list[int] = field(default_factory=list)
    per_split: Counter[str] = field(default_factory=Counter)
    per_venue: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    truncated: int = 0
    output_truncated: int = 0

    def add(self, split: str, record: InstructionExample) -> None:
        self.input_tokens.append(record.input_tokens)
        self.output_tokens.append(record.output_tokens)
        before = record.untruncated_input_tokens or record.input_tokens
        self.untruncated_total.append(before + record.output_tokens)
        self.per_split[split] += 1
        self.per_venue[record.venue_id or "unknown"][split] += 1
        self.truncated += record.truncated
        self.output_truncated += record.output_truncated

    @property
    def total_tokens(self) -> list[int]:
        return [i + o for i, o in zip(self.input_tokens, self.output_tokens, strict=True)]


def describe(values: list[int]) -> dict[str, float]:
    """min, mean, percentiles and max of a list of lengths (empty dict when there are none)."""
    if not values:
        return {}
    import numpy as np

    arr = np.asarray(values)
    out: dict[str, float] = {"min": int(arr.min()), "mean": round(float(arr.mean()), 1)}
    for p in PERCENTILES:
        out[f"p{p}"] = round(float(np.percentile(arr, p)), 1)
    out["max"] = int(arr.max())
    return out


def build_stats(
    collector: StatsCollector, drops: Counter[str], failed: int, settings: dict[str, Any]
) -> dict[str, Any]:
    kept = sum(collector.per_split.values())
    return {
        "settings": settings,
        "counts": {
            "kept": kept,
            "train": collector.per_split["train"],
            "val": collector.per_split["val"],
            "test": collector.per_split["test"],
            "dropped": sum(drops.values()),
            "failed": failed,
            "truncated": collector.truncated,
            "output_truncated": collector.output_truncated,
        },
        "dropped_by_reason": dict(sorted(drops.items())),
        "tokens": {
            "input": describe(collector.input_tokens),
            "output": describe(collector.output_tokens),
            "total": describe(collector.total_tokens),
            "total_before_truncation": describe(collector.untruncated_total),
        },
        "venues": {
            venue: {"train": c["train"], "val": c["val"], "test": c["test"], "total": sum(c.values())}
            for venue, c in sorted(collector.per_venue.items())
        },
    }


def plot_lengths(collector: StatsCollector, max_total_tokens: int, path: Path) -> None:
    """Histogram of total tokens per example, before and after truncation, with the budget line."""
    from reviewgpt.plotting import integer_ticks, legend_right, use_files_backend

    plt = use_files_backend()
    fig, ax = plt.subplots(figsize=(9.5, 4.5), dpi=110)
    totals, before = collector.total_tokens, collector.untruncated_total
    if totals:
        top = max(max(before), max_total_tokens)
        bins = [top * i / 60 for i in range(61)]
        ax.hist(before, bins=bins, alpha=0.45, color="tab:gray", label="before truncation")
        ax.hist(totals, bins=bins, alpha=0.75, color="tab:blue", label="in the dataset")
    ax.axvline(max_total_tokens, color="tab:red", linestyle="--", label=f"budget {max_total_tokens}")
    ax.set_xlabel("prompt + review tokens (chat template applied)")
    ax.set_ylabel("examples")
    ax.set_title(f"Example lengths ({len(totals)} examples)")
    integer_ticks(ax.yaxis)
    legend_right(ax)
    fig.tight_layout()
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
