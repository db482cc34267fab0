"""Configuration: YAML validated into typed pydantic models; command-line flags win.

Every stage has a config class deriving from :class:`StageConfig` (in ``reviewgpt/<stage>/config.py``,
which must import nothing heavy so that ``reviewgpt --help`` stays fast). :func:`load_config`
merges, in order: the class defaults, the YAML file, dotted ``--set key=value`` overrides and
explicit flags. An unknown key or a wrong type is a :class:`~reviewgpt.errors.ConfigError`
naming the key and the file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reviewgpt.errors import ConfigError


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


def warn_deprecated(old: str, new: str) -> None:
    """One line on stderr: ``old`` still works for now, ``new`` is its name."""
    print(f"reviewgpt: warning: {old} is deprecated, use {new}", file=sys.stderr)


class StageConfig(StrictModel):
    """Options every stage takes."""

    #: top-level config keys renamed: old name -> new name. The old key still works, with a
    #: deprecation warning; giving both with different values is an error.
    RENAMED_KEYS: ClassVar[dict[str, str]] = {}

    data_dir: Path = Field(Path("data"), description="Root of the stage folders.")
    version: str | None = Field(None, description="Name of the output version (default: the time).")
    input: str | None = Field(None, description="Version of the previous stage to read (default: its LATEST).")
    limit: int | None = Field(None, ge=1, description="Process at most this many items.")
    verbose: bool = Field(False, description="Debug logging.")
    strict: bool = Field(False, description="Any failed item fails the run (exit 1, LATEST not moved).")
    max_failures: int | None = Field(
        None, ge=0, description="More failed items than this fail the run (default: any number, if one record was written)."
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, data: object) -> object:
        if not isinstance(data, dict) or not cls.RENAMED_KEYS:
            return data
        data = dict(data)
        for old, new in cls.RENAMED_KEYS.items():
            if old not in data:
                continue
            value = data.pop(old)
            warn_deprecated(f"config key '{old}'", f"'{new}'")
            if data.get(new) is not None and value is not None and data[new] != value:
                raise ValueError(f"'{old}' (deprecated) and '{new}' disagree ({value!r}, {data[new]!r}): give only '{new}'")
            if data.get(new) is None:
                data[new] = value
        return data

    @property
    def failure_limit(self) -> int | None:
        """The ``max_failures`` a :class:`~reviewgpt.store.StageRun` of this config gets (0 with ``strict``)."""
        return 0 if self.strict else self.max_failures


C = TypeVar("C", bound=BaseModel)


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_set(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Turn ``["lora.r=16", "train.lr=1e-4"]`` into a nested dict; values are parsed as YAML.

    ``key=`` with nothing after ``=`` sets null (deletes an override back to the default).
    """
    nested: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        value = yaml.safe_load(raw) if raw.strip() else None
        node = nested
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: '{part}' is not a section")
        node[parts[-1]] = value
    return nested


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return data


def load_config(
    cls: type[C],
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    sets: list[str] | tuple[str, ...] = (),
) -> C:
    """Build a validated config of type ``cls``.

    Args:
        cls: the config model.
        config_file: YAML file; its keys are the model's fields (nested sections as mappings).
        overrides: explicit flags; entries whose value is None were not given and are ignored.
        sets: dotted ``key=value`` overrides.

    Raises:
        ConfigError: unknown key, wrong type or failed cross-field check, naming key and file.
    """
    data: dict[str, Any] = read_yaml(config_file) if config_file else {}
    data = _deep_merge(data, parse_set(sets))
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    data = _deep_merge(data, flags)
    source = str(config_file) if config_file else "command line"
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def format_validation_error(exc: ValidationError, source: str) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{key}'")
        else:
            problems.append(f"'{key}': {err['msg']}")
    return f"{source}: " + "; ".join(problems)


def dump_config(cfg: BaseModel) -> dict[str, Any]:
    """The resolved config as plain JSON-able data, for manifests and logs."""
    return cfg.model_dump(mode="json")
