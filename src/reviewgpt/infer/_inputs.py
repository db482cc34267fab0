"""The papers to review: a dataset version's split (instruction + input) or a parse version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reviewgpt.artifacts import DATASET, PARSE
from reviewgpt.errors import ConfigError, StoreError
from reviewgpt.prompting import instruction_for
from reviewgpt.records import InstructionExample, ParsedPaper
from reviewgpt.records.dataset import SPLITS
from reviewgpt.store import InputRef, latest_version, read_records, resolve_input


@dataclass
class ReviewRequest:
    """One paper to review: the instruction and the paper text of its prompt."""

    forum: str
    instruction: str
    paper_text: str
    schema: str | None = None


def parse_input_spec(spec: str | None, data_dir: Path) -> tuple[str, str | None, str]:
    """``"v1:test"`` -> (dataset, v1, test); ``"v1"`` -> (parse, v1, ""); None -> the newest source.

    Explicit stage prefixes also work: ``dataset:v1:test``, ``parse:v1``.
    """
    if spec is None:
        if latest_version(data_dir, "dataset"):
            return "dataset", None, "test"
        return "parse", None, ""
    parts = spec.split(":")
    if parts[0] in ("dataset", "parse"):
        stage, rest = parts[0], parts[1:]
    else:
        stage, rest = ("dataset" if len(parts) == 2 else "parse"), parts
    if stage == "dataset":
        version = rest[0] if rest and rest[0] else None
        split = rest[1] if len(rest) > 1 else "test"
        if split not in SPLITS:
            raise ConfigError(f"--input {spec!r}: split '{split}' is not one of {SPLITS}")
        return "dataset", version, split
    if len(rest) > 1:
        raise ConfigError(f"--input {spec!r}: expected <dataset version>:<split> or <parse version>")
    return "parse", (rest[0] if rest and rest[0] else None), ""


def load_requests(data_dir: Path, spec: str | None, default_schema: str) -> tuple[InputRef, list[ReviewRequest]]:
    """Read the papers of ``spec``: a dataset split's records carry their instruction; papers read
    from parse get the training instruction of ``default_schema``.

    Raises:
        StoreError: the version or split does not exist.
    """
    stage, version, split = parse_input_spec(spec, data_dir)
    ref = resolve_input(data_dir, stage, version)
    if stage == "dataset":
        path = ref.path / DATASET.split(split).name
        if not path.exists():
            raise StoreError(f"dataset version '{ref.version}' has no {split} split ({path})")
        requests = [
            ReviewRequest(ex.id, ex.instruction, ex.input, ex.schema) for ex in read_records(path, InstructionExample)
        ]
        if not requests:
            raise StoreError(
                f"dataset version '{ref.version}' has an empty {split} split: a paper's split comes from a hash of "
                "its title, so build the dataset from more papers or with a larger --split fraction"
            )
    else:
        instruction = instruction_for(default_schema)
        requests = [
            ReviewRequest(p.forum, instruction, p.text, default_schema)
            for p in read_records(ref.file(PARSE.records), ParsedPaper)
        ]
    return ref, requests
