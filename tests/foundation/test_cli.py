"""The CLI shell: help, status on empty and filled data dirs, user errors as one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.store import StageRun

runner = CliRunner()


def test_help_lists_status():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "status" in result.output


def test_status_on_empty_data_dir(data_dir: Path):
    result = runner.invoke(app, ["status", "--data-dir", str(data_dir)])
    assert result.exit_code == 0
    assert "No stage output" in result.output


def test_status_on_filled_data_dir(data_dir: Path):
    with StageRun(data_dir, "crawl", "c1") as run:
        run.append({"forum": "a"})
        run.fail("b", "malformed-note", "missing content")
    result = runner.invoke(app, ["status", "--data-dir", str(data_dir)], terminal_width=200)
    assert result.exit_code == 0
    assert "c1 (LATEST)" in result.output
    assert "finished" in result.output
    assert "b: malformed-note: missing content" in result.output


def test_user_error_is_one_line_without_traceback(tmp_path: Path):
    # a locked version: the store raises a user error, the entry point prints one line, exit 2
    lock_holder = tmp_path / "data" / "crawl" / "v1"
    lock_holder.mkdir(parents=True)
    script = (
        "import sys; from reviewgpt.cli import main; from reviewgpt.errors import StoreError\n"
        "def boom(): raise StoreError('crawl version v1 is locked')\n"
        "import reviewgpt.cli as c; c.app.command('boom')(boom); sys.argv=['reviewgpt','boom']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: crawl version v1 is locked"


def test_help_does_not_import_torch():
    code = "import sys; from reviewgpt.cli import app; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
