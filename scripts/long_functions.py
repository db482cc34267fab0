#!/usr/bin/env python
"""List the functions in src/ that are longer than N lines (60 by default).

A function's length is its line count from ``def`` to its last line, docstring and comments
included (decorators not). A long function may say why it stays long in a ``# long: <reason>``
comment, either on the line just above its ``def`` (above its decorators, when it has any) or as
the first comment after its signature (a trailing one on the signature's last line counts); such
functions are listed with their reason, the others without.
tests/foundation/test_function_length.py fails on an unexplained one.

    python scripts/long_functions.py            # every function over 60 lines
    python scripts/long_functions.py -n 40      # over 40 lines
    python scripts/long_functions.py --unexplained   # only those without a reason; exit 1 if any
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
DEFAULT_LIMIT = 60
REASON_PREFIX = "# long:"


@dataclass(frozen=True)
class LongFunction:
    path: Path  # relative to the source root
    qualname: str  # e.g. ``Class.method`` or ``outer.inner``
    lineno: int  # the ``def`` line
    length: int
    reason: str | None  # the text after ``# long:``, or None when no reason is given

    def describe(self) -> str:
        where = f"{self.path.as_posix()}:{self.lineno} {self.qualname} ({self.length} lines)"
        return f"{where}  # long: {self.reason}" if self.reason else where


def _reason(comment: str) -> str | None:
    text = comment.strip()
    if text.startswith(REASON_PREFIX):
        return text[len(REASON_PREFIX):].strip() or None
    return None


@dataclass(frozen=True)
class _Tokens:
    """Where a module's comments and logical line ends are, from its tokens."""

    comments: list[tuple[int, str]]  # (line, text), in source order
    line_ends: list[int]  # the lines of the NEWLINE tokens that end logical lines, ascending

    @classmethod
    def of(cls, source: str) -> _Tokens:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        return cls(
            comments=[(token.start[0], token.string) for token in tokens if token.type == tokenize.COMMENT],
            line_ends=[token.start[0] for token in tokens if token.type == tokenize.NEWLINE],
        )

    def first_body_comment(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        """The first comment after the signature (a trailing one on its last line counts), or None."""
        signature_end = next(line for line in self.line_ends if line >= node.lineno)
        for line, text in self.comments:
            if signature_end <= line <= node.end_lineno:
                return text
        return None


def _explanation(lines: list[str], tokens: _Tokens, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    first_line = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    above = lines[first_line - 2] if first_line >= 2 else ""
    reason = _reason(above)
    if reason is None:
        body_comment = tokens.first_body_comment(node)
        reason = _reason(body_comment) if body_comment is not None else None
    return reason


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name, nested ones included."""

    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield prefix + child.name, child
                yield from visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{child.name}.")
            else:
                yield from visit(child, prefix)

    yield from visit(tree, "")


def long_functions(root: Path = SRC, limit: int = DEFAULT_LIMIT) -> list[LongFunction]:
    """The functions under ``root`` longer than ``limit`` lines, in file and line order."""
    found: list[LongFunction] = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines, tokens = source.splitlines(), _Tokens.of(source)
        for qualname, node in _functions(ast.parse(source, filename=str(path))):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append(LongFunction(path.relative_to(root), qualname, node.lineno, length,
                                          _explanation(lines, tokens, node)))
    return sorted(found, key=lambda function: (function.path.as_posix(), function.lineno))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--limit", type=int, default=DEFAULT_LIMIT, help="most lines a function may have")
    parser.add_argument("--root", type=Path, default=SRC, help="source root (default: src/)")
    parser.add_argument("--unexplained", action="store_true",
                        help="list only functions without a '# long:' reason, and exit 1 if there are any")
    args = parser.parse_args(argv)
    functions = long_functions(args.root, args.limit)
    if args.unexplained:
        functions = [function for function in functions if function.reason is None]
    for function in functions:
        print(function.describe())
    return 1 if args.unexplained and functions else 0


if __name__ == "__main__":
    sys.exit(main())
