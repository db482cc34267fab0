"""loss.png from metrics.jsonl."""

from __future__ import annotations

from pathlib import Path

from reviewgpt.store import iter_jsonl


def plot_losses(metrics: Path, out: Path) -> Path | None:
    """Training (and validation) loss per step; None when there is nothing to plot."""
    if not metrics.exists():
        return None
    rows = list(iter_jsonl(metrics))
    train = sorted((r["step"], r["loss"]) for r in rows if "loss" in r)
    val = sorted((r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r)
    if not train and not val:
        return None
    from reviewgpt.plotting import integer_ticks, legend_right, use_files_backend

    plt = use_files_backend()
    fig, ax = plt.subplots(figsize=(7.5, 3.5))
    if train:
        ax.plot(*zip(*train, strict=True), label="train (each logged step)")
    if val:
        ax.plot(*zip(*val, strict=True), "o-", color="C1", label="validation (marker: an evaluation)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (review tokens)")
    integer_ticks(ax.xaxis)
    legend_right(ax)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
