"""Each stage's files are named once, in reviewgpt.artifacts, and read back through it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from reviewgpt.artifacts import AGGREGATE, DATASET, EVALUATE, INFER, OUTPUTS, DatasetInfo, output_of
from reviewgpt.errors import ConfigError, StoreError
from reviewgpt.records import InstructionExample
from reviewgpt.store import STAGES, StageRun, resolve_input

SRC = Path(__file__).resolve().parents[2] / "src" / "reviewgpt"
#: files allowed to spell a ``.jsonl`` name: the one description, and the fake OpenReview API's
#: raw-note bundles (test material, not a stage's output)
ALLOWED = {"artifacts.py", "testing/sample_venue.py", "testing/openreview_server.py"}
#: a string that is (or ends) a file name: no spaces, ending in .jsonl
FILE_NAME = re.compile(r"^[^\s]*\.jsonl$")


def _jsonl_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        and FILE_NAME.match(node.value)
    ]


def test_no_jsonl_file_name_is_spelled_outside_artifacts():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in ALLOWED:
            continue
        found += [f"{rel}:{line}: {value!r}" for line, value in _jsonl_literals(path)]
    assert not found, "name stage files through reviewgpt.artifacts, not literals:\n" + "\n".join(found)


def test_the_literal_check_finds_plain_and_formatted_names(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""About papers.jsonl."""\nA = "papers.jsonl"\nB = f"{split}.jsonl"\nC = "a .jsonl file"\n')
    assert [value for _, value in _jsonl_literals(sample)] == ["papers.jsonl", ".jsonl"]


def test_every_stage_is_described_once_with_a_record_file():
    assert tuple(out.stage for out in OUTPUTS) == STAGES
    for out in OUTPUTS:
        names = [a.name for a in out.artifacts()]
        assert len(names) == len(set(names)), out.stage
        assert out.records.id_key, out.stage
    assert INFER.records.id_key == "forum,sample"
    assert DATASET.split("val") is DATASET.val
    with pytest.raises(ConfigError, match="split 'dev' is not one of train, val, test"):
        DATASET.split("dev")


def test_stage_run_writes_the_described_records_file_by_default(data_dir):
    with StageRun(data_dir, "aggregate", "v1") as run:
        run.append({"forum": "f1"})
    assert run.records == AGGREGATE.records.name
    assert (data_dir / "aggregate" / "v1" / AGGREGATE.records.name).exists()
    with StageRun(data_dir, "infer", "v1") as run:
        run.append({"forum": "f1", "sample": 0})
        run.append({"forum": "f1", "sample": 1})
    with StageRun(data_dir, "infer", "v1") as again:  # resuming: ids use the described key
        assert again.done_ids() == {"f1:0", "f1:1"}
    ref = resolve_input(data_dir, "infer")
    assert ref.file(INFER.records) == ref.path / "predictions.jsonl"
    assert output_of("evaluate") is EVALUATE


def test_a_missing_described_file_names_the_stage_and_file(data_dir):
    with StageRun(data_dir, "dataset", "v1") as run:
        run.append(InstructionExample(id="p", instruction="i", input="x", output="y", input_tokens=1,
                                      output_tokens=1))
    ref = resolve_input(data_dir, "dataset")
    with pytest.raises(StoreError, match="dataset version 'v1' has no test.jsonl"):
        ref.file(DATASET.test)


def _manifest(folder: Path, params: dict, extra: dict | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"params": params, "extra": extra or {}}))
    return folder


PARAMS = {"review_schema": "7-aspect", "tokenizer": "tok", "max_input_tokens": 100, "max_output_tokens": 20,
          "max_total_tokens": 120}


def test_dataset_info_reads_the_manifest(tmp_path):
    folder = _manifest(tmp_path / "d1", PARAMS, {"tokenizer": {"name": "tok", "vocab_size": 3}})
    info = DatasetInfo.read(folder)
    assert (info.version, info.review_schema, info.tokenizer) == ("d1", "7-aspect", "tok")
    assert (info.max_input_tokens, info.max_output_tokens, info.max_total_tokens) == (100, 20, 120)
    assert info.tokenizer_identity == {"name": "tok", "vocab_size": 3}


def test_dataset_info_names_a_missing_field(tmp_path):
    params = {k: v for k, v in PARAMS.items() if k != "max_total_tokens"}
    with pytest.raises(StoreError, match=r"dataset version 'd1' manifest .* has no params\.max_total_tokens"):
        DatasetInfo.read(_manifest(tmp_path / "d1", params))
    with pytest.raises(StoreError, match="has no manifest.json"):
        DatasetInfo.read(tmp_path / "nothing")


def test_dataset_info_without_a_tokenizer_identity_is_readable(tmp_path):
    assert DatasetInfo.read(_manifest(tmp_path / "d1", PARAMS)).tokenizer_identity is None


def test_a_described_records_file_brings_its_id_key(data_dir):
    with StageRun(data_dir, "dataset", "v1", records=DATASET.test) as run:
        run.append({"id": "p1", "forum": "ignored"})
    assert run.id_key == "id"
    with StageRun(data_dir, "dataset", "v1", records=DATASET.test) as again:
        assert again.done_ids() == {"p1"}
