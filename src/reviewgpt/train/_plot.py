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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    if train:
        ax.plot(*zip(*train, strict=True), label="train")
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="validation")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (review tokens)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
