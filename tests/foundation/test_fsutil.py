"""Atomic writes: the target holds the old content or the whole new one, and no temp file is left."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reviewgpt.fsutil import replaced_on_success, write_bytes_atomic, write_text_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_text_and_bytes_replace_the_target(tmp_path: Path) -> None:
    target = tmp_path / "LATEST"
    target.write_text("old\n")
    write_text_atomic(target, "v2 ünïcode\n")
    assert target.read_text(encoding="utf-8") == "v2 ünïcode\n"
    write_bytes_atomic(tmp_path / "a.pdf", b"%PDF-1.4 body")
    assert (tmp_path / "a.pdf").read_bytes() == b"%PDF-1.4 body"
    assert _leftovers(tmp_path) == []


def test_an_error_keeps_the_old_file_and_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replaced_on_success(target) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("writer died")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_the_temp_file_is_a_hidden_sibling_until_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    with replaced_on_success(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".report.md.") and tmp.suffix == ".tmp"
        tmp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"


def test_concurrent_writers_of_one_target_never_share_a_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "entry.json"
    names: list[str] = []
    barrier = threading.Barrier(8)

    def write(i: int) -> None:
        with replaced_on_success(target) as tmp:
            names.append(tmp.name)
            barrier.wait(timeout=10)
            tmp.write_text(str(i) * 1000)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(names)) == 8
    content = target.read_text()
    assert len(content) == 1000 and len(set(content)) == 1
    assert _leftovers(tmp_path) == []
