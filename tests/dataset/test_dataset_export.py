"""Exports checked against the field names and types each tool documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.prompting import prompt_messages
from reviewgpt.records import InstructionExample
from reviewgpt.store import read_records

from .dataset_helpers import PaperSpec, write_stage_inputs

SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tokenizer_dir, fixture_text) -> Path:
    """One CLI run with every export, shared by the tests of this module."""
    data_dir = tmp_path_factory.mktemp("export") / "data"
    data_dir.mkdir()
    write_stage_inputs(data_dir, [PaperSpec(forum=f"F{i}", title=f"Paper {i}", n_sections=3) for i in range(10)], fixture_text)
    result = CliRunner().invoke(
        app,
        [
            "build-dataset", "--data-dir", str(data_dir), "--version", "x", "--tokenizer", str(tokenizer_dir),
            "--max-input-tokens", "3000", "--max-output-tokens", "600", "--max-total-tokens", "3600",
            "--min-output-tokens", "10", "--split", "0.5,0.25,0.25", "--workers", "1",
            "--export", "alpaca,llamafactory,xtuner,sharegpt",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "dataset x: ok=10" in result.output and "splits: train=" in result.output
    return data_dir / "dataset" / "x"


def _records(version_dir: Path, split: str) -> list[InstructionExample]:
    return list(read_records(version_dir / f"{split}.jsonl", InstructionExample))


def test_alpaca_is_a_json_list_of_instruction_input_output(exported):
    for split in SPLITS:
        items = json.loads((exported / "exports/alpaca" / f"{split}.json").read_text())
        records = _records(exported, split)
        assert isinstance(items, list) and len(items) == len(records)
        for item, rec in zip(items, records, strict=True):
            assert set(item) == {"instruction", "input", "output"}
            assert all(isinstance(v, str) for v in item.values())
            assert (item["instruction"], item["input"], item["output"]) == (rec.instruction, rec.input, rec.output)


def test_llamafactory_dataset_info_points_at_the_alpaca_files(exported):
    info = json.loads((exported / "exports/dataset_info.json").read_text())
    for split in SPLITS:
        entry = info[f"reviewgpt_{split}"]
        assert (exported / "exports" / entry["file_name"]).is_file()
        assert entry["formatting"] == "alpaca"
        assert entry["columns"] == {"prompt": "instruction", "query": "input", "response": "output"}
        messages = info[f"reviewgpt_messages_{split}"]
        assert messages["formatting"] == "sharegpt" and (exported / "exports" / messages["file_name"]).is_file()
        tags = messages["tags"]
        for line in (exported / "exports" / messages["file_name"]).read_text().splitlines():
            turns = json.loads(line)[messages["columns"]["messages"]]
            assert [t[tags["role_tag"]] for t in turns] == [tags["user_tag"], tags["assistant_tag"]]
            assert all(isinstance(t[tags["content_tag"]], str) for t in turns)


def test_xtuner_reads_openai_style_messages_jsonl(exported):
    """XTuner 0.2.0's openai_map_fn and xtuner._lite's JSONL datasets read ``{"messages": [...]}`` lines."""
    lines = (exported / "exports/xtuner/train.jsonl").read_text().splitlines()
    records = _records(exported, "train")
    assert len(lines) == len(records) > 0
    assert not (exported / "exports/xtuner/train.json").exists()  # the legacy conversation lists are gone
    for line, rec in zip(lines, records, strict=True):
        item = json.loads(line)
        assert list(item) == ["messages"]
        assert item["messages"] == [*prompt_messages(rec.instruction, rec.input),
                                    {"role": "assistant", "content": rec.output}]


def test_llamafactory_yaml_cuts_at_the_dataset_budget_not_2048(exported, tokenizer_dir):
    import yaml

    text = (exported / "exports/llamafactory_sft.yaml").read_text()
    settings = yaml.safe_load(text)
    assert settings["cutoff_len"] == 3600  # --max-total-tokens of the run above
    assert settings["model_name_or_path"] == str(tokenizer_dir)
    info = json.loads((exported / "exports/dataset_info.json").read_text())
    assert settings["dataset"] == "reviewgpt_messages_train" and settings["dataset"] in info
    assert settings["eval_dataset"] == "reviewgpt_messages_val" and settings["eval_dataset"] in info
    assert Path(settings["dataset_dir"]) == (exported / "exports").resolve()
    assert (settings["lora_rank"], settings["lora_alpha"], settings["stage"]) == (64, 16, "sft")
    assert "rope_scaling: linear" in text  # the comment saying when it is needed
    # the longest example fits: nothing is cut
    longest = max(r.input_tokens + r.output_tokens for split in SPLITS for r in _records(exported, split))
    assert longest <= settings["cutoff_len"]


def test_sharegpt_messages_jsonl_is_the_training_conversation(exported):
    lines = (exported / "exports/sharegpt/train.jsonl").read_text().splitlines()
    records = _records(exported, "train")
    assert len(lines) == len(records) > 0
    for line, rec in zip(lines, records, strict=True):
        messages = json.loads(line)["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert messages[:1] == prompt_messages(rec.instruction, rec.input)
        assert messages[1]["content"] == rec.output
