"""End-to-end build-dataset runs on stage outputs written through the real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewgpt.dataset import instruction_for, run
from reviewgpt.dataset.config import DatasetConfig
from reviewgpt.errors import ConfigError, RunFailedError
from reviewgpt.prompting import encode_example
from reviewgpt.records import InstructionExample
from reviewgpt.store import latest_version, read_manifest, read_records

from .dataset_helpers import PaperSpec

SPLITS = ("train", "val", "test")


def _specs() -> list[PaperSpec]:
    specs = [PaperSpec(forum=f"F{i:02d}", title=f"Paper number {i} on attention") for i in range(12)]
    specs += [
        # the same paper at two venues: the later crawl date must win
        PaperSpec(forum="DUP_OLD", title="Attention Is All You Need!", venue_id="NeurIPS.cc/2017/Workshop", tmdate=1_500_000_000_000),
        PaperSpec(forum="DUP_NEW", title="attention is all you need", venue_id="ICLR.cc/2018/Conference", tmdate=1_600_000_000_000),
        PaperSpec(forum="NOREVIEW", title="A paper nobody reviewed", review=False),
        PaperSpec(forum="NOPAPER", title="A review without its paper", parsed=False),
        PaperSpec(forum="EMPTY", title="An empty parse", empty_content=True),
        PaperSpec(forum="SHORTREV", title="A one-point review", per_aspect=0),
        PaperSpec(forum="SEVEN", title="The wrong schema", schema="7-aspect"),
        PaperSpec(forum="LONG", title="A very long paper", n_sections=60),
    ]
    return specs


def _config(data_dir: Path, tokenizer_dir: Path, **kw) -> DatasetConfig:
    base = dict(
        data_dir=data_dir, version="v1", tokenizer=str(tokenizer_dir), max_input_tokens=3500,
        max_output_tokens=600, max_total_tokens=4000, min_output_tokens=20, split=(0.5, 0.25, 0.25), workers=1,
    )
    base.update(kw)
    return DatasetConfig(**base)


def _read_splits(version_dir: Path) -> dict[str, list[InstructionExample]]:
    return {s: list(read_records(version_dir / f"{s}.jsonl", InstructionExample)) for s in SPLITS}


@pytest.fixture
def built(data_dir: Path, tokenizer_dir: Path, write_inputs):
    write_inputs(data_dir, _specs())
    report = run(_config(data_dir, tokenizer_dir, export=["alpaca", "llamafactory", "xtuner", "sharegpt"]))
    return report, data_dir / "dataset" / "v1"


def test_records_counted_exactly_as_training_encodes_them(built, tokenizer):
    _, version_dir = built
    records = [r for recs in _read_splits(version_dir).values() for r in recs]
    assert records
    for rec in records:
        enc = encode_example(tokenizer, rec.instruction, rec.input, rec.output)
        assert (rec.input_tokens, rec.output_tokens) == (len(enc.prompt_ids), len(enc.output_ids))
        assert rec.input_tokens <= 3500 and rec.output_tokens <= 600 and rec.input_tokens + rec.output_tokens <= 4000
        assert rec.instruction == instruction_for("4-aspect")


def test_long_paper_is_truncated_keeping_head_and_review(built, fixture_text):
    _, version_dir = built
    records = {r.id: r for recs in _read_splits(version_dir).values() for r in recs}
    long = records["LONG"]
    assert long.truncated and long.untruncated_input_tokens > long.input_tokens
    assert long.input.startswith(f"[TITLE]\nA very long paper\n\n[ABSTRACT]\n{fixture_text.abstract}\n\n[CAPTIONS]\nFigure 1")
    assert "[CONTENT]\n" in long.input
    assert not long.output_truncated and long.output.startswith("[Significance and novelty]")
    assert not records["F00"].truncated and records["F00"].untruncated_input_tokens == records["F00"].input_tokens


def test_splits_are_disjoint_and_duplicates_keep_the_latest(built):
    _, version_dir = built
    splits = _read_splits(version_dir)
    ids = [r.id for recs in splits.values() for r in recs]
    assert len(ids) == len(set(ids))
    assert "DUP_NEW" in ids and "DUP_OLD" not in ids
    assert {"NOREVIEW", "NOPAPER", "EMPTY", "SHORTREV", "SEVEN"}.isdisjoint(ids)
    assert len(ids) == 12 + 1 + 1  # F00..F11, DUP_NEW, LONG


def test_stats_count_drops_by_reason_and_venues(built):
    report, version_dir = built
    stats = json.loads((version_dir / "stats.json").read_text())
    assert stats["dropped_by_reason"] == {
        "duplicate-title": 1, "empty-content": 1, "no-paper": 1, "no-review": 1,
        "review-empty": 1, "schema-mismatch": 1,
    }
    counts = stats["counts"]
    assert counts["kept"] == counts["train"] + counts["val"] + counts["test"] == 14
    assert counts["truncated"] >= 1
    assert stats["venues"]["ICLR.cc/2018/Conference"]["total"] == 1
    assert sum(v["total"] for v in stats["venues"].values()) == 14
    assert stats["tokens"]["total"]["max"] <= 4000
    assert stats["tokens"]["total_before_truncation"]["max"] > 4000
    assert (version_dir / "lengths.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = read_manifest(version_dir)
    assert manifest["status"] == "finished" and manifest["counts"]["ok"] == 14
    assert manifest["skipped_reasons"]["duplicate-title"] == 1
    assert {i["stage"] for i in manifest["inputs"]} == {"parse", "aggregate", "crawl"}
    assert report.counts["ok"] == 14


def test_review_too_short_is_dropped(data_dir, tokenizer_dir, write_inputs):
    write_inputs(data_dir, [PaperSpec(forum=f"F{i}", title=f"Paper {i}") for i in range(3)])
    with pytest.raises(RunFailedError, match="no record written"):  # an empty dataset is a failed run
        run(_config(data_dir, tokenizer_dir, min_output_tokens=590))
    assert latest_version(data_dir, "dataset") is None
    stats = json.loads((data_dir / "dataset/v1/stats.json").read_text())
    assert stats["dropped_by_reason"] == {"review-too-short": 3}


def test_same_seed_same_splits_and_other_seed_differs(data_dir, tokenizer_dir, write_inputs):
    write_inputs(data_dir, [PaperSpec(forum=f"F{i:02d}", title=f"Paper {i}", n_sections=2) for i in range(40)])

    def split_ids(version: str, seed: int) -> dict[str, set[str]]:
        run(_config(data_dir, tokenizer_dir, version=version, seed=seed))
        return {s: {r.id for r in recs} for s, recs in _read_splits(data_dir / "dataset" / version).items()}

    first, again, other = split_ids("a", 1), split_ids("b", 1), split_ids("c", 2)
    assert first == again
    assert first != other
    assert all(first[s] for s in SPLITS)


def test_rerun_into_same_version_resumes_without_duplicates(data_dir, tokenizer_dir, write_inputs):
    write_inputs(data_dir, [PaperSpec(forum=f"F{i:02d}", title=f"Paper {i}", n_sections=2) for i in range(16)])
    run(_config(data_dir, tokenizer_dir))
    version_dir = data_dir / "dataset" / "v1"
    complete = {s: [r.model_dump() for r in recs] for s, recs in _read_splits(version_dir).items()}
    for split in SPLITS:  # a killed run: the first record of each split, and half a line
        path = version_dir / f"{split}.jsonl"
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:1]) + (lines[1][:30] if len(lines) > 1 else ""))
    report = run(_config(data_dir, tokenizer_dir))
    resumed = {s: [r.model_dump() for r in recs] for s, recs in _read_splits(version_dir).items()}
    for split in SPLITS:
        assert sorted(resumed[split], key=lambda r: r["id"]) == sorted(complete[split], key=lambda r: r["id"])
    assert report.counts["ok"] == 16
    assert json.loads((version_dir / "stats.json").read_text())["counts"]["kept"] == 16


def test_without_crawl_output_venues_are_unknown(data_dir, tokenizer_dir, write_inputs):
    write_inputs(data_dir, [PaperSpec(forum=f"F{i}", title=f"Paper {i}", n_sections=2) for i in range(4)], with_crawl=False)
    report = run(_config(data_dir, tokenizer_dir))
    assert report.counts["ok"] == 4
    stats = json.loads((data_dir / "dataset/v1/stats.json").read_text())
    assert list(stats["venues"]) == ["unknown"] and stats["settings"]["crawl_metadata"] is False


def test_process_pool_gives_the_same_records(data_dir, tokenizer_dir, write_inputs):
    # the pool counts papers while they are read, before duplicate titles are known: the older
    # of the two "Twin" papers is counted and then left out, exactly as without the pool
    specs = [PaperSpec(forum=f"F{i}", title=f"Paper {i}") for i in range(5)] + [
        PaperSpec(forum="LONG", title="Long", n_sections=60),
        PaperSpec(forum="TWIN_OLD", title="Twin", tmdate=1_600_000_000_000),
        PaperSpec(forum="TWIN_NEW", title="Twin", tmdate=1_700_000_000_000),
    ]
    write_inputs(data_dir, specs)
    run(_config(data_dir, tokenizer_dir, version="one"))
    report = run(_config(data_dir, tokenizer_dir, version="pool", workers=2, chunk_size=1))
    one, pool = _read_splits(data_dir / "dataset/one"), _read_splits(data_dir / "dataset/pool")
    assert one == pool
    ids = {r.id for records in pool.values() for r in records}
    assert "TWIN_NEW" in ids and "TWIN_OLD" not in ids and len(ids) == 7
    assert report.counts == {"ok": 7, "skipped": 1, "failed": 0}


def test_limit_counts_only_the_first_papers(data_dir, tokenizer_dir, write_inputs):
    write_inputs(data_dir, [PaperSpec(forum=f"F{i}", title=f"Paper {i}") for i in range(6)])
    report = run(_config(data_dir, tokenizer_dir, version="lim", workers=2, chunk_size=1, limit=2))
    ids = {r.id for records in _read_splits(data_dir / "dataset/lim").values() for r in records}
    assert report.counts["ok"] == 2 and len(ids) == 2


def test_tokenizer_without_chat_template_is_a_config_error(data_dir, tokenizer_dir, tmp_path, write_inputs):
    from transformers import AutoTokenizer

    plain = AutoTokenizer.from_pretrained(tokenizer_dir)
    plain.chat_template = None
    plain.save_pretrained(tmp_path / "plain")
    (tmp_path / "plain" / "chat_template.jinja").unlink(missing_ok=True)
    write_inputs(data_dir, [PaperSpec(forum="F0", title="Paper")])
    with pytest.raises(ConfigError, match="no chat template"):
        run(_config(data_dir, tokenizer_dir=tmp_path / "plain"))
