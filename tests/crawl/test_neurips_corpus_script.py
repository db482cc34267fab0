"""scripts/neurips_corpus.py against a small real git repository in the corpus's layout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "neurips2025"
SCRIPT = ROOT / "scripts" / "neurips_corpus.py"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def mirror(tmp_path: Path) -> tuple[Path, str]:
    """A bare repository whose one commit holds the sample under output/neurips_2025_full/."""
    work = tmp_path / "work"
    corpus = work / "output/neurips_2025_full"
    shutil.copytree(SAMPLE / "reviews", corpus / "reviews")
    shutil.copytree(SAMPLE / "parsed_pdfs", corpus / "parsed_pdfs")
    (corpus / "parsed_pdfs/004uTlSufe.pdf.md").write_text("# markdown rendering, not copied\n")
    (corpus / "anonymized_pdfs").mkdir()
    (corpus / "anonymized_pdfs/004uTlSufe.pdf.json").write_text('{"schema_name": "DoclingDocument", "anon": true}')
    _git(tmp_path, "init", "-q", str(work))
    _git(work, "add", ".")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "sample")
    commit = _git(work, "rev-parse", "HEAD").strip()
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare, commit


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_builds_the_peerread_folder_byte_for_byte(mirror: tuple[Path, str], tmp_path: Path) -> None:
    bare, commit = mirror
    out = tmp_path / "out"
    result = _run("--mirror", str(bare), "--commit", commit, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "3 papers (2 with full text" in result.stderr
    assert sorted(p.name for p in (out / "reviews").iterdir()) == sorted(p.name for p in (SAMPLE / "reviews").iterdir())
    for path in (SAMPLE / "reviews").iterdir():
        assert (out / "reviews" / path.name).read_bytes() == path.read_bytes()
    assert sorted(p.name for p in (out / "parsed_pdfs").iterdir()) == ["004uTlSufe.pdf.json", "KkOMqJQiWU.pdf.json"]
    assert (out / "parsed_pdfs/004uTlSufe.pdf.json").read_bytes() == (SAMPLE / "parsed_pdfs/004uTlSufe.pdf.json").read_bytes()
    source = json.loads((out / "SOURCE.json").read_text())
    assert source["commit"] == commit and source["papers"] == 3 and source["full_texts"] == 2


def test_limit_text_only_and_anonymized(mirror: tuple[Path, str], tmp_path: Path) -> None:
    bare, commit = mirror
    out = tmp_path / "out"
    result = _run("--mirror", str(bare), "--commit", commit, "--out", str(out), "--with-text-only", "--limit", "1",
                  "--anonymized")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (out / "reviews").iterdir()] == ["004uTlSufe.json"]
    assert json.loads((out / "parsed_pdfs/004uTlSufe.pdf.json").read_text())["anon"] is True


def test_bad_arguments_fail_with_one_line(mirror: tuple[Path, str], tmp_path: Path) -> None:
    bare, commit = mirror
    result = _run("--mirror", str(bare), "--commit", commit, "--out", str(tmp_path / "o"), "--ids", "nope")
    assert result.returncode != 0 and "no review file in the mirror for nope" in result.stderr
    result = _run("--mirror", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "is not a git directory" in result.stderr
