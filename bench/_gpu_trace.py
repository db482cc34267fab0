"""Where a GPU waits: idle gaps on the device timeline of a torch.profiler chrome trace.

A gap is time with no kernel, copy or memset running. If the activity after a gap was launched
after the gap began, the host was late (the step is CPU-bound there) and the gap is charged to
the CPU op that was launching it and to the ``record_function`` phase around it; otherwise the
device waited for something else (an event, a host sync).
"""

from __future__ import annotations

import bisect
import gzip
import json
from collections import defaultdict
from pathlib import Path

DEVICE_CATS = {"kernel", "gpu_memcpy", "gpu_memset"}


def _load(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return json.load(f)["traceEvents"]


def _innermost(spans: list[tuple[float, float, str]], starts: list[float], ts: float) -> str | None:
    """The shortest span containing ``ts`` (spans sorted by start)."""
    best = None
    i = bisect.bisect_right(starts, ts) - 1
    # walk back over spans that start before ts; stop after a generous window
    for j in range(i, max(-1, i - 400), -1):
        s, e, name = spans[j]
        if s <= ts <= e and (best is None or e - s < best[1] - best[0]):
            best = (s, e, name)
    return best[2] if best else None


def idle_report(path: Path, min_gap_us: float = 5.0, top: int = 15) -> dict:
    """Busy and idle time of the device over the traced window, idle split by cause."""
    events = [e for e in _load(path) if e.get("ph") == "X"]
    device = sorted((e["ts"], e["ts"] + e["dur"], e) for e in events if e.get("cat") in DEVICE_CATS)
    launches = {e["args"]["correlation"]: e["ts"] for e in events
                if e.get("cat") == "cuda_runtime" and "correlation" in e.get("args", {})}
    ops = sorted((e["ts"], e["ts"] + e["dur"], e["name"]) for e in events if e.get("cat") == "cpu_op")
    phases = sorted((e["ts"], e["ts"] + e["dur"], e["name"]) for e in events if e.get("cat") == "user_annotation")
    op_starts, phase_starts = [s for s, _, _ in ops], [s for s, _, _ in phases]
    if not device:
        return {"error": "no device activity in the trace"}
    busy, idle_late, idle_other = 0.0, 0.0, 0.0
    by_op: dict[str, float] = defaultdict(float)
    by_phase: dict[str, float] = defaultdict(float)
    end = device[0][0]
    for start, stop, event in device:
        gap = start - end
        if gap >= min_gap_us:
            launch = launches.get(event.get("args", {}).get("correlation"))
            if launch is not None and launch > end:
                idle_late += gap
                by_op[_innermost(ops, op_starts, launch) or "?"] += gap
                by_phase[_innermost(phases, phase_starts, launch) or "?"] += gap
            else:
                idle_other += gap
        busy += max(0.0, stop - max(start, end))
        end = max(end, stop)
    window = end - device[0][0]

    def ranked(d: dict[str, float]) -> list[tuple[str, float]]:
        return [(k, round(v / 1e3, 2)) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    return {"window_ms": round(window / 1e3, 1), "busy_ms": round(busy / 1e3, 1),
            "idle_host_late_ms": round(idle_late / 1e3, 1), "idle_other_ms": round(idle_other / 1e3, 1),
            "idle_host_late_by_phase_ms": ranked(by_phase), "idle_host_late_by_op_ms": ranked(by_op)}
