"""One name for the review schema: ``review_schema`` (``--review-schema``); the old names still work."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.artifacts import AGGREGATE, manifest_value
from reviewgpt.cli import app
from reviewgpt.config import load_config
from reviewgpt.errors import ConfigError
from reviewgpt.infer.config import InferConfig
from reviewgpt.store import StageReport
from reviewgpt.train.config import TrainConfig

WARNING = "is deprecated, use"


@pytest.mark.parametrize(("cls", "old", "sets"), [
    (AggregateConfig, "aspect_schema", []),
    (TrainConfig, "schema_name", ["model.name_or_path=x"]),
    (InferConfig, "schema_name", []),
])
def test_an_old_config_key_still_sets_the_schema_with_one_warning(cls, old, sets, tmp_path, capsys):
    config = tmp_path / "old.yaml"
    config.write_text(f"{old}: 7-aspect\n")
    cfg = load_config(cls, config, sets=sets)
    assert cfg.review_schema == "7-aspect"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{old}' {WARNING} 'review_schema'" in err
    assert "review_schema" in cfg.model_dump() and old not in cfg.model_dump()  # manifests get the new key


def test_the_new_key_warns_nothing_and_a_conflict_is_an_error(tmp_path, capsys):
    assert load_config(AggregateConfig, None, sets=["review_schema=7-aspect"]).review_schema == "7-aspect"
    assert capsys.readouterr().err == ""
    with pytest.raises(ConfigError, match="'aspect_schema' .deprecated. and 'review_schema' disagree"):
        load_config(AggregateConfig, None, sets=["aspect_schema=7-aspect", "review_schema=4-aspect"])
    assert load_config(AggregateConfig, None, sets=["aspect_schema=7-aspect", "review_schema=7-aspect"])


def _captured(monkeypatch, module: str) -> dict:
    """Replace ``module.run`` by one that keeps the config it is given."""
    import importlib

    seen: dict = {}

    def fake_run(cfg):
        seen["cfg"] = cfg
        return StageReport("x", "v", cfg.data_dir, {"ok": 1})

    monkeypatch.setattr(importlib.import_module(module), "run", fake_run)
    return seen


@pytest.mark.parametrize(("command", "module"), [
    ("aggregate-reviews", "reviewgpt.aggregate"),
    ("build-dataset", "reviewgpt.dataset"),
])
@pytest.mark.parametrize("flag", ["--review-schema", "--schema"])
def test_review_schema_flag_and_its_deprecated_alias(command, module, flag, monkeypatch, tmp_path):
    seen = _captured(monkeypatch, module)
    result = CliRunner().invoke(app, [command, "--data-dir", str(tmp_path), flag, "7-aspect"])
    assert result.exit_code == 0, result.output
    assert seen["cfg"].review_schema == "7-aspect"
    warned = f"--schema {WARNING} --review-schema" in result.stderr
    assert warned == (flag == "--schema")


def test_the_deprecated_flag_is_hidden_from_help():
    result = CliRunner().invoke(app, ["aggregate-reviews", "--help"])
    assert "--review-schema" in result.output and "--schema " not in result.output


def test_manifests_with_only_the_old_key_are_read():
    [field] = AGGREGATE.manifest_fields
    assert manifest_value({"params": {"aspect_schema": "7-aspect"}}, field) == "7-aspect"
    assert manifest_value({"params": {"review_schema": "4-aspect", "aspect_schema": "7-aspect"}}, field) == "4-aspect"
    assert manifest_value({"params": {}}, field) is None
