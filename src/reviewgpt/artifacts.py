"""What each stage writes, described once: its folder, record types, file names and manifest fields.

Stages meet only through their output folders (docs/DATA.md). This module is the one place that
names those files: a stage writes ``run.append(record)`` into the records file its description
gives (the :class:`~reviewgpt.store.StageRun` default), and the next stage reads
``ref.file(DATASET.train)`` instead of spelling ``"train.jsonl"`` itself. The manifest fields a
later stage relies on are read through typed views such as :class:`DatasetInfo`, which name the
missing field instead of falling back silently.

Imports only the record models (no stage package), so every stage and the store can import it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reviewgpt.errors import ConfigError, StoreError
from reviewgpt.records.aggregate import AggregatedReview
from reviewgpt.records.crawl import CrawledPaper
from reviewgpt.records.dataset import SPLITS, InstructionExample
from reviewgpt.records.evaluate import HumanPoints, MatchResult
from reviewgpt.records.infer import Prediction
from reviewgpt.records.parse import ParsedPaper
from reviewgpt.records.train import RUN_INFO, RunInfo

#: every version folder's status, parameters, inputs and counts (written by the store's StageRun)
MANIFEST = "manifest.json"
#: the suffix of a JSON-lines records file (also how a records file given by path is recognised)
JSONL = ".jsonl"
#: every version folder's failed items, one ``{id, stage, error, detail}`` line each
ERRORS = "errors" + JSONL
#: the failures of the attempt before a resume (they are retried, so they leave ``errors.jsonl``)
PREVIOUS_ERRORS = "errors.previous" + JSONL


@dataclass(frozen=True)
class Artifact:
    """One file (or folder) in a stage's version folder.

    Args:
        name: the file name inside the version folder.
        about: what it holds, in a few words (docs/DATA.md shows it).
        model: the record type of each line (JSONL) or of the whole file (JSON); None for others.
        id_key: the field(s) naming an item in a records file, ``"forum,sample"`` for several;
            a rerun into the same version skips the ids already written.
    """

    name: str
    about: str
    model: type[BaseModel] | None = None
    id_key: str | None = None

    def __str__(self) -> str:
        return self.name

    def __fspath__(self) -> str:  # so ``folder / artifact`` works as ``folder / artifact.name``
        return self.name


@dataclass(frozen=True)
class ManifestField:
    """A key of a stage's ``manifest.json`` that a later stage reads.

    Args:
        path: dotted key in the manifest, e.g. ``params.review_schema``.
        about: what the reader uses it for.
        aliases: older keys that hold the same value in manifests written before a rename.
    """

    path: str
    about: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageOutput:
    """A stage's version folder: the stage name, its main records file and what later stages read."""

    stage: str
    #: the main records file: StageRun counts its lines and ``done_ids``/``append`` default to it
    records: Artifact
    #: manifest keys later stages read
    manifest_fields: tuple[ManifestField, ...] = ()
    errors: str = ERRORS

    def artifacts(self) -> list[Artifact]:
        """Every file this stage writes that is described here, the records file first."""
        found = [self.records]
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Artifact) and value not in found:
                found.append(value)
        return found

    def artifact(self, name: str) -> Artifact | None:
        """The described file called ``name``; None for a file not described here."""
        return next((a for a in self.artifacts() if a.name == name), None)


def _records(name: str, about: str, model: type[BaseModel], id_key: str = "forum") -> Artifact:
    return Artifact(name + JSONL, about, model, id_key)


_TRAIN_SPLIT = _records("train", "training examples", InstructionExample, "id")


@dataclass(frozen=True)
class DatasetOutput(StageOutput):
    train: Artifact = _TRAIN_SPLIT
    val: Artifact = _records("val", "validation examples", InstructionExample, "id")
    test: Artifact = _records("test", "held-out examples (evaluate's references)", InstructionExample, "id")
    stats: Artifact = Artifact("stats.json", "token lengths, truncation and drops per split")
    lengths_plot: Artifact = Artifact("lengths.png", "token length histograms")

    def split(self, name: str) -> Artifact:
        """The records file of split ``name`` (one of ``train``, ``val``, ``test``).

        Raises:
            ConfigError: not a split name (a dataset version has no other file).
        """
        if name not in SPLITS:
            raise ConfigError(f"split {name!r} is not one of {', '.join(SPLITS)}")
        return getattr(self, name)


@dataclass(frozen=True)
class TrainOutput(StageOutput):
    run_info: Artifact = Artifact(RUN_INFO, "how to load the run: base model, adapter, RoPE, schema", RunInfo)
    adapter: Artifact = Artifact("adapter", "the PEFT adapter and tokenizer (a folder)")
    config: Artifact = Artifact("config.yaml", "the resolved training config")
    loss_plot: Artifact = Artifact("loss.png", "training and eval loss")


@dataclass(frozen=True)
class EvaluateOutput(StageOutput):
    human_points: Artifact = _records(
        "human_points", "criticisms extracted from each human review", HumanPoints, "review_id"
    )
    summary: Artifact = Artifact("summary.json", "per system: mean hits, hit rate, intervals, win/tie/loss")
    report: Artifact = Artifact("report.md", "the human-readable report")


CRAWL = StageOutput("crawl", _records("papers", "one submission with its replies", CrawledPaper))
PARSE = StageOutput(
    "parse", _records("papers", "one paper's text", ParsedPaper),
    manifest_fields=(ManifestField("inputs", "the crawl version it read (build-dataset's default crawl input)"),),
)
AGGREGATE = StageOutput(
    "aggregate", _records("reviews", "one merged review per paper", AggregatedReview),
    manifest_fields=(
        ManifestField(
            "params.review_schema", "the aspects of the reviews",
            aliases=("params.aspect_schema",),  # its name in manifests written before the rename
        ),
    ),
)
DATASET = DatasetOutput(
    "dataset", _TRAIN_SPLIT,
    manifest_fields=(
        ManifestField("params.review_schema", "the schema train learns to write"),
        ManifestField("params.tokenizer", "the tokenizer the budgets were counted with"),
        ManifestField("params.max_input_tokens", "most prompt tokens of an example"),
        ManifestField("params.max_output_tokens", "most review tokens of an example"),
        ManifestField("params.max_total_tokens", "most prompt + review tokens of an example"),
        ManifestField("extra.tokenizer", "the counting tokenizer's identity, checked by train"),
    ),
)
TRAIN = TrainOutput("train", Artifact("metrics" + JSONL, "one line per logged step", None, "step"))
INFER = StageOutput("infer", _records("predictions", "one generated review per paper and sample", Prediction,
                                      "forum,sample"))
EVALUATE = EvaluateOutput(
    "evaluate", _records("matches", "matched key points per system, paper, sample and reference", MatchResult,
                         "system,forum,sample,reference"),
)

#: every stage's output, in pipeline order
OUTPUTS: tuple[StageOutput, ...] = (CRAWL, PARSE, AGGREGATE, DATASET, TRAIN, INFER, EVALUATE)
_BY_STAGE = {out.stage: out for out in OUTPUTS}


def output_of(stage: str) -> StageOutput:
    """The output description of ``stage``.

    Raises:
        KeyError: not a stage name.
    """
    return _BY_STAGE[stage]


# ---------------------------------------------------------------------------- manifest views


def manifest_value(manifest: dict[str, Any], field: ManifestField) -> Any:
    """The value of ``field`` in ``manifest`` (its current key, else an older alias); None when absent."""
    for path in (field.path, *field.aliases):
        node: Any = manifest
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def manifest_field(output: StageOutput, path: str) -> ManifestField:
    """The described manifest key ``path`` of ``output`` (StopIteration when it is not described)."""
    return next(f for f in output.manifest_fields if f.path == path)


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset version's manifest tells train and infer: schema, tokenizer and token budgets."""

    version: str
    review_schema: str
    tokenizer: str
    max_input_tokens: int
    max_output_tokens: int
    max_total_tokens: int
    #: the counting tokenizer's identity (:func:`reviewgpt.prompting.tokenizer_identity`); None in
    #: manifests written before it was kept
    tokenizer_identity: dict[str, Any] | None

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], version: str, where: os.PathLike | str = "") -> DatasetInfo:
        """Read the fields from a dataset manifest.

        Raises:
            StoreError: a required field is missing, naming it and the manifest.
        """

        def need(path: str) -> Any:
            value = manifest_value(manifest, manifest_field(DATASET, path))
            if value is None:
                raise StoreError(
                    f"dataset version '{version}' manifest {where} has no {path}: rebuild the dataset "
                    "with this reviewgpt"
                )
            return value

        return cls(
            version=version,
            review_schema=need("params.review_schema"),
            tokenizer=need("params.tokenizer"),
            max_input_tokens=int(need("params.max_input_tokens")),
            max_output_tokens=int(need("params.max_output_tokens")),
            max_total_tokens=int(need("params.max_total_tokens")),
            tokenizer_identity=manifest_value(manifest, manifest_field(DATASET, "extra.tokenizer")),
        )

    @classmethod
    def read(cls, version_dir: Path, version: str | None = None) -> DatasetInfo:
        """Read ``manifest.json`` of a dataset version folder.

        Raises:
            StoreError: no manifest, an unreadable one, or a missing field.
        """
        version = version or Path(version_dir).name
        manifest = read_manifest(version_dir)
        if manifest is None:
            raise StoreError(f"dataset version '{version}' has no {MANIFEST} ({version_dir})")
        return cls.from_manifest(manifest, version, Path(version_dir) / MANIFEST)


def read_manifest(version_dir: Path) -> dict[str, Any] | None:
    """The manifest of a version folder; None when it has none.

    Raises:
        StoreError: the manifest is not valid JSON.
    """
    path = Path(version_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StoreError(f"unreadable manifest {path}: {exc}") from exc
