"""Configuration: YAML + --set + flags, validated, errors that name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from reviewgpt.config import StageConfig, StrictModel, load_config
from reviewgpt.errors import ConfigError


class _Lora(StrictModel):
    r: int = 8
    alpha: int = 16


class _DemoConfig(StageConfig):
    lr: float = Field(1e-4, gt=0)
    lora: _Lora = _Lora()


def test_precedence_defaults_yaml_set_flags(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("lr: 0.001\nlora:\n  r: 32\nlimit: 5\n")
    cfg = load_config(_DemoConfig, cfg_file, overrides={"limit": 7, "version": None}, sets=["lora.alpha=64"])
    assert cfg.lr == 0.001 and cfg.lora.r == 32 and cfg.lora.alpha == 64
    assert cfg.limit == 7  # the flag wins over the file
    assert cfg.version is None and cfg.data_dir == Path("data")


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text("lora:\n  rank: 8\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown key 'lora\.rank'"):
        load_config(_DemoConfig, cfg_file)


def test_wrong_type_names_key(tmp_path: Path) -> None:
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text("lr: fast\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: 'lr'"):
        load_config(_DemoConfig, cfg_file)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text("lr: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_DemoConfig, cfg_file)
    with pytest.raises(ConfigError, match="not found"):
        load_config(_DemoConfig, tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="expected key=value"):
        load_config(_DemoConfig, None, sets=["lr"])
