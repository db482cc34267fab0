"""The CLI behaves like the tools its users know (docs/cli.md lists each convention with its test here).

Usage errors: one error line plus the usage hint, exit 2, no traceback, for every (sub)command.
``reviewgpt --version``; ``--debug`` tracebacks; ``--quiet``/``--verbose``; a ReviewGPTError's exit
code; logs on stderr and results on stdout; ``-`` for standard input; choice options checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from reviewgpt import __version__
from reviewgpt.cli import app, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PDF = FIXTURES / "pdfs" / "N18-3011.pdf"


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    """``reviewgpt ARGS`` in this process, through the real entry point: (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def _command_paths() -> list[list[str]]:
    paths = []

    def walk(command, prefix):
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


COMMANDS = _command_paths()


def _assert_usage_error(code: int, out: str, err: str, message: str) -> None:
    assert code == 2, (code, out, err)
    assert out == ""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], err
    assert "--help' for help." in err  # the usage hint


def test_every_command_is_covered():
    names = {" ".join(p) for p in COMMANDS}
    assert {"crawl", "parse", "aggregate-reviews", "build-dataset", "train", "train merge", "train launch",
            "infer", "review", "evaluate", "evaluate calibrate", "evaluate agreement", "status", "demo"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_unknown_flag_is_a_usage_error_for_every_command(command, capsys):
    code, out, err = _run([*command, "--no-such-flag"], capsys)
    _assert_usage_error(code, out, err, "No such option: --no-such-flag")
    assert f"reviewgpt {' '.join(command)}" in err  # the hint names the command


def test_no_arguments_is_a_usage_error(capsys):
    _assert_usage_error(*_run([], capsys), "Missing command")


def test_mistyped_command_is_a_usage_error(capsys):
    _assert_usage_error(*_run(["crawll"], capsys), "No such command 'crawll'")


def test_missing_argument_missing_file_and_missing_option_value(capsys):
    _assert_usage_error(*_run(["review"], capsys), "Missing argument")
    _assert_usage_error(*_run(["review", "no-such.pdf"], capsys), "file 'no-such.pdf' does not exist")
    _assert_usage_error(*_run(["parse", "--workers"], capsys), "Option '--workers' requires an argument")


@pytest.mark.parametrize(("args", "valid"), [
    (["review", str(PDF), "--parser", "nosuch"], "'pymupdf', 'grobid', 'nougat'"),
    (["review", str(PDF), "--backend", "nosuch"], "'hf', 'openai'"),
    (["parse", "--parser", "nosuch"], "'pymupdf', 'grobid', 'nougat'"),
    (["crawl", "--api", "3"], "'auto', '1', '2'"),
    (["aggregate-reviews", "--aggregator", "nosuch"], "'structured', 'openai'"),
    (["aggregate-reviews", "--review-schema", "5-aspect"], "'4-aspect', '7-aspect'"),
    (["build-dataset", "--review-schema", "nosuch"], "'4-aspect', '7-aspect'"),
    (["infer", "--backend", "nosuch"], "'hf', 'openai'"),
    (["infer", "--prompt-style", "nosuch"], "'review', 'json'"),
    (["evaluate", "--judge", "nosuch"], "'openai', 'embedding'"),
    (["evaluate", "calibrate", "--gold", "x", "--objective", "nosuch"], "'winner', 'balanced', 'kappa'"),
    (["evaluate", "agreement", "--gold", "x", "--judge", "nosuch"], "'embedding'"),
    (["train", "launch", "--num-gpus", "1", "--version", "v", "--launcher", "nosuch"], "'accelerate', 'deepspeed'"),
], ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else None)
def test_choice_options_list_the_valid_values(args, valid, capsys):
    _assert_usage_error(*_run(args, capsys), f"is not one of {valid}")


def test_version(capsys):
    assert _run(["--version"], capsys)[:2] == (0, f"reviewgpt {__version__}\n")
    # after a command, --version names the output version (so it takes a value)
    _assert_usage_error(*_run(["parse", "--version"], capsys), "Option '--version' requires an argument")


def _script(body: str) -> str:
    """A process running ``reviewgpt`` with one extra command ``boom`` defined by ``body``."""
    return (
        "import sys, typer\nfrom reviewgpt.cli import app, main\nfrom reviewgpt.errors import *\n"
        "from reviewgpt.logging import get_logger, setup_logging\n"
        f"{body}\n"
        "app.command('boom')(boom)\nmain(sys.argv[1:])\n"
    )


@pytest.mark.parametrize(("error", "code"), [("RunFailedError", 1), ("ConfigError", 2), ("StoreError", 2)])
def test_a_user_error_is_one_line_with_its_exit_code_and_debug_shows_the_traceback(error, code):
    script = _script(f"def boom(): raise {error}('no API key: set OPENAI_API_KEY')")
    proc = subprocess.run([sys.executable, "-c", script, "boom"], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, "", "error: no API key: set OPENAI_API_KEY\n")
    debug = subprocess.run([sys.executable, "-c", script, "--debug", "boom"], capture_output=True, text=True)
    assert debug.returncode == code
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith("error: no API key: set OPENAI_API_KEY")


def test_a_bug_keeps_its_traceback():
    proc = subprocess.run([sys.executable, "-c", _script("def boom(): raise KeyError('bug')"), "boom"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "KeyError" in proc.stderr


@pytest.mark.parametrize(("flags", "shown"), [([], {"info", "warning"}), (["--quiet"], {"warning"}),
                                              (["-q"], {"warning"}), (["--verbose"], {"debug", "info", "warning"})])
def test_quiet_and_verbose_set_what_stderr_shows_and_stdout_holds_results_only(flags, shown):
    body = ("def boom():\n    setup_logging()\n    log = get_logger('boom')\n"
            "    log.debug('debug line'); log.info('info line'); log.warning('warning line')\n"
            "    typer.echo('the result')")
    proc = subprocess.run([sys.executable, "-c", _script(body), *flags, "boom"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "the result\n"
    assert {level for level in ("debug", "info", "warning") if f"{level} line" in proc.stderr} == shown


def test_quiet_with_verbose_is_a_usage_error(capsys):
    _assert_usage_error(*_run(["--quiet", "--verbose", "status"], capsys), "--quiet and --verbose exclude each other")


def test_parse_one_pdf_from_stdin_prints_the_text_alone():
    from_file = subprocess.run([sys.executable, "-m", "reviewgpt", "parse", "--pdf", str(PDF)],
                               capture_output=True, text=True)
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout.startswith("[TITLE]\n")
    from_stdin = subprocess.run([sys.executable, "-m", "reviewgpt", "parse", "--pdf", "-"],
                                input=PDF.read_bytes(), capture_output=True)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout.decode() == from_file.stdout


def test_parse_finds_pdfs_under_the_data_dir_not_the_working_directory(tmp_path, monkeypatch, capsys):
    data = tmp_path / "store"
    (data / "pdfs").mkdir(parents=True)
    (data / "pdfs" / "a.pdf").write_bytes(PDF.read_bytes())
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "pdfs").mkdir(parents=True)
    (elsewhere / "pdfs" / "a.pdf").write_text("not a pdf: parse must not read this one")
    crawl = data / "crawl" / "c1"
    crawl.mkdir(parents=True)
    record = {"venue_id": "V", "api_version": 2, "forum": "a", "title": "T", "pdf_path": "pdfs/a.pdf"}
    (crawl / "papers.jsonl").write_text(json.dumps(record) + "\n")
    (crawl / "manifest.json").write_text("{}")
    (data / "crawl" / "LATEST").write_text("c1\n")
    monkeypatch.chdir(elsewhere)
    code, out, err = _run(["parse", "--data-dir", str(data), "--version", "p1", "--workers", "1"], capsys)
    assert code == 0, err
    assert out.startswith("parse p1: ok=1 skipped=0 failed=0")


def test_review_reads_the_pdf_from_stdin():
    # no model given: the run fails after reading the PDF, with a one-line error, not a usage error
    proc = subprocess.run([sys.executable, "-m", "reviewgpt", "review", "-", "--backend", "openai",
                           "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
                          input=b"", capture_output=True)
    assert proc.returncode == 2 and proc.stderr.decode().strip() == "error: '-' given but standard input is empty"
