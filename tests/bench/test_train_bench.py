"""bench/train.py --config --tiny: both stacks train the config's job, and the script reports them side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("bitsandbytes", reason="needs the train extra: pip install -e '.[train]'")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("config", ["smollm2-135m-neurips.yaml", "llama2-longqlora.yaml"])
def test_tiny_smoke_mode_measures_both_stacks_on_the_same_job(tmp_path, config):
    out = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "train.py"), "--config", str(ROOT / "configs" / config), "--tiny",
         "--workdir", str(tmp_path), "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    plain, reviewgpt = results["plain"], results["reviewgpt"]
    assert results["tiny"] and results["device"] == "cpu" and results["seq"] == 96
    # the same job: the same trainable parameters (LoRA targets and modules_to_save) and optimizer
    assert plain["trainable_params"] == reviewgpt["trainable_params"] > 0
    assert plain["optimizer"] == reviewgpt["optimizer"] == "adamw_torch"  # the config's paged AdamW, on a CPU
    for stack in (plain, reviewgpt):
        assert stack["timed"]["seq"] == 96 and stack["timed"]["tokens_per_s"] > 0
        assert len(stack["losses_s2attn_off"]) == 3
    # the same function trained: losses agree (bf16 autocast on both; the plain stack upcasts its norms)
    vs_plain = results["vs_plain"]["reviewgpt"]
    assert vs_plain["max_loss_diff"] < 0.05
    assert vs_plain["speedup"] == pytest.approx(reviewgpt["timed"]["tokens_per_s"] / plain["timed"]["tokens_per_s"], rel=0.01)
