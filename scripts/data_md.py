#!/usr/bin/env python
"""Regenerate the tables of docs/DATA.md from the record models and ``reviewgpt.artifacts``.

Each generated table sits between two marker comments that name it::

    <!-- generated: fields CrawledPaper -->
    ...
    <!-- end generated -->

Names: ``files`` (every stage's files), ``manifest-fields`` (the manifest keys a later stage reads)
and ``fields <Model>`` (one record model's fields: name, type, default, description). Everything
outside the markers is prose and is kept as written. tests/contracts/test_data_md.py fails when
the page is out of date.

    python scripts/data_md.py           # rewrite docs/DATA.md
    python scripts/data_md.py --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from reviewgpt.artifacts import ERRORS, OUTPUTS, PREVIOUS_ERRORS, Artifact

DATA_MD = Path(__file__).resolve().parents[1] / "docs" / "DATA.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def record_models() -> dict[str, type[BaseModel]]:
    """The record models of every stage's files, and the record models nested in them, by name."""
    found: dict[str, type[BaseModel]] = {}

    def add(model: type[BaseModel]) -> None:
        if model.__name__ in found or not model.__module__.startswith("reviewgpt.records"):
            return
        found[model.__name__] = model
        for info in model.model_fields.values():
            for inner in _models_in(info.annotation):
                add(inner)

    for output in OUTPUTS:
        for artifact in output.artifacts():
            if artifact.model is not None:
                add(artifact.model)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def type_name(annotation: Any) -> str:
    """A field's type as a reader of the JSON needs it: ``list[str]``, ``int | None``, ``"pdf" or "none"``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " or ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_name(a) for a in args)}]"
    if annotation is type(None):
        return "null"
    if annotation is typing.Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fields_table(model: type[BaseModel]) -> str:
    rows = ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        if info.default is PydanticUndefined and info.default_factory is None:
            default = "required"
        else:
            value = info.default_factory() if info.default_factory is not None else info.default
            default = f"`{json.dumps(value)}`"
        rows.append(f"| `{name}` | {_cell(type_name(info.annotation))} | {_cell(default)} | {_cell(info.description or '')} |")
    return "\n".join(rows) + "\n"


def _describe(artifact: Artifact) -> str:
    return f"`{artifact.model.__name__}`" if artifact.model is not None else ""


def files_table() -> str:
    rows = ["| stage | file | record | id of an item | holds |", "| --- | --- | --- | --- | --- |"]
    for output in OUTPUTS:
        for artifact in output.artifacts():
            ident = f"`{artifact.id_key}`" if artifact.id_key else ""
            rows.append(f"| {output.stage} | `{artifact.name}` | {_describe(artifact)} | {ident} | {_cell(artifact.about)} |")
    rows.append(f"| every stage | `{ERRORS}` | | `id` | one line per failed item |")
    rows.append(f"| every stage | `{PREVIOUS_ERRORS}` | | `id` | the failures of the attempt before a resume |")
    return "\n".join(rows) + "\n"


def manifest_fields_table() -> str:
    rows = ["| stage | manifest key | read for | older key also read |", "| --- | --- | --- | --- |"]
    for output in OUTPUTS:
        for field in output.manifest_fields:
            older = ", ".join(f"`{alias}`" for alias in field.aliases)
            rows.append(f"| {output.stage} | `{field.path}` | {_cell(field.about)} | {older} |")
    return "\n".join(rows) + "\n"


def block_bodies() -> dict[str, str]:
    """Every generated block's content, by marker name."""
    bodies = {"files": files_table(), "manifest-fields": manifest_fields_table()}
    for name, model in record_models().items():
        bodies[f"fields {name}"] = fields_table(model)
    return bodies


def render(text: str) -> str:
    """``text`` with every generated block rewritten.

    Raises:
        ValueError: a marker names no known table, or a table has no marker in the page.
    """
    bodies = block_bodies()
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name").strip()
        if name not in bodies:
            raise ValueError(f"DATA.md: unknown generated block {name!r} (known: {', '.join(sorted(bodies))})")
        seen.add(name)
        return match.group(1) + bodies[name] + match.group(4)

    out = BLOCK.sub(replace, text)
    missing = sorted(set(bodies) - seen)
    if missing:
        raise ValueError("DATA.md has no block for: " + ", ".join(missing) + " (add a '<!-- generated: NAME -->' marker)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only check: exit 1 when the page is out of date.")
    parser.add_argument("--path", type=Path, default=DATA_MD, help="The page [default: docs/DATA.md].")
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    try:
        new = render(text)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.check:
        if new != text:
            print(f"{args.path} is out of date: run python scripts/data_md.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        args.path.write_text(new, encoding="utf-8")
        print(f"rewrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
