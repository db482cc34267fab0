"""Two (and more) real processes racing for one version whose lock a killed run left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from reviewgpt.store import iter_jsonl, read_manifest

RACER = textwrap.dedent(
    """
    import os, sys, time
    from reviewgpt.errors import StoreError
    from reviewgpt.store import StageRun
    data_dir, start_at = sys.argv[1], float(sys.argv[2])
    while time.time() < start_at:  # all racers leave the line together
        pass
    try:
        with StageRun(data_dir, "parse", "v1") as run:
            done = run.done_ids()
            for i in range(300):
                if f"p{i}" not in done:
                    run.append({"forum": f"p{i}", "writer": os.getpid()})
            time.sleep(1.0)  # hold the version while the others try
    except StoreError as exc:
        print("refused:", exc, flush=True)
        sys.exit(3)
    print("wrote", flush=True)
    """
)


def _stale_lock(data_dir: Path) -> None:
    """A version folder as a killed run leaves it: records, a running manifest, the lock of a dead pid."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    version = data_dir / "parse" / "v1"
    version.mkdir(parents=True)
    import socket

    (version / ".lock").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(), "since": "x"}))
    (version / "papers.jsonl").write_text(json.dumps({"forum": "p0", "writer": int(dead.stdout)}) + "\n")


def test_racers_for_a_stale_lock_get_exactly_one_writer(data_dir: Path) -> None:
    for round_ in range(3):
        root = data_dir / f"round{round_}"
        _stale_lock(root)
        start_at = time.time() + 1.5
        racers = [
            subprocess.Popen([sys.executable, "-c", RACER, str(root), str(start_at)], stdout=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        outcomes = [(proc.communicate(timeout=120)[0], proc.returncode) for proc in racers]
        winners = [out for out, rc in outcomes if rc == 0]
        refused = [out for out, rc in outcomes if rc == 3]
        assert len(winners) == 1, outcomes
        assert len(refused) == 3 and all("is being written by" in out for out in refused), outcomes
        records = list(iter_jsonl(root / "parse" / "v1" / "papers.jsonl"))
        forums = [r["forum"] for r in records]
        assert len(forums) == len(set(forums)) == 300  # nothing duplicated, nothing lost
        assert len({r["writer"] for r in records[1:]}) == 1
        assert read_manifest(root / "parse" / "v1")["counts"]["ok"] == 300
