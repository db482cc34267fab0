"""No function in src/ is over 60 lines unless a ``# long:`` comment says why (scripts/long_functions.py)."""

from __future__ import annotations

import runpy
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = runpy.run_path(str(ROOT / "scripts" / "long_functions.py"))
long_functions = SCRIPT["long_functions"]
main = SCRIPT["main"]

def test_no_function_in_src_is_long_without_a_reason():
    unexplained = [f for f in long_functions() if f.reason is None]
    assert not unexplained, (
        "functions over 60 lines: split them into named steps, or put '# long: <why>' on the line "
        "above the def:\n" + "\n".join(f.describe() for f in unexplained)
    )


def _write(root: Path, name: str, source: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def _body(lines: int) -> str:
    return "".join(f"    x{i} = {i}\n" for i in range(lines))


def test_counts_from_def_to_last_line_and_lists_only_those_over_the_limit(tmp_path):
    # 1 def line + 59 body lines = 60 lines: at the limit; 61 lines: over it.
    _write(tmp_path, "pkg/mod.py", "def at_limit():\n" + _body(59) + "\n\ndef over_limit():\n" + _body(60))
    found = long_functions(tmp_path, 60)
    assert [(f.path.as_posix(), f.qualname, f.lineno, f.length) for f in found] == [
        ("pkg/mod.py", "over_limit", 63, 61)
    ]
    assert found[0].reason is None
    assert {f.qualname for f in long_functions(tmp_path, 59)} == {"at_limit", "over_limit"}


def test_a_docstring_counts_and_decorators_do_not(tmp_path):
    docstring = '    """Doc.\n\n    More.\n    """\n'  # 4 lines
    _write(tmp_path, "m.py", "@staticmethod\n@property\ndef documented():\n" + docstring + _body(56))
    [found] = long_functions(tmp_path, 60)
    assert (found.lineno, found.length) == (3, 61)


def test_methods_and_nested_functions_have_qualified_names(tmp_path):
    inner = "".join("    " + line + "\n" for line in ("def inner():", *_body(61).splitlines()))
    method = "".join("    " + line + "\n" for line in inner.splitlines())
    _write(tmp_path, "m.py", "class Box:\n    def method(self):\n" + method)
    assert {f.qualname for f in long_functions(tmp_path, 60)} == {"Box.method", "Box.method.inner"}


def test_a_long_comment_above_the_def_or_first_in_the_body_is_the_reason(tmp_path):
    _write(tmp_path, "above.py", "# long: an option list\ndef f():\n" + _body(60))
    _write(tmp_path, "decorated.py", "# long: a generator of test data\n@cache\ndef g():\n" + _body(60))
    _write(tmp_path, "body.py", "def h():\n    '''Doc.'''\n    # long: one table\n" + _body(59))
    _write(tmp_path, "trailing.py", "def k(\n    a,\n):  # long: a trailing comment\n" + _body(60))
    assert {f.qualname: f.reason for f in long_functions(tmp_path, 60)} == {
        "f": "an option list", "g": "a generator of test data", "h": "one table", "k": "a trailing comment"
    }


def test_a_long_comment_elsewhere_or_without_a_reason_does_not_count(tmp_path):
    _write(tmp_path, "later.py", "def f():\n    # set up\n" + _body(30) + "    # long: too late\n" + _body(30))
    _write(tmp_path, "gap.py", "# long: not adjacent\n\ndef g():\n" + _body(60))
    _write(tmp_path, "empty.py", "# long:\ndef h():\n" + _body(60))
    _write(tmp_path, "signature.py", "def k(\n    # long: a parameter's comment\n    a,\n):\n" + _body(60))
    assert {f.qualname: f.reason for f in long_functions(tmp_path, 60)} == {"f": None, "g": None, "h": None, "k": None}


def test_the_command_exits_1_on_an_unexplained_function(tmp_path, capsys):
    _write(tmp_path, "m.py", "# long: explained\ndef ok():\n" + _body(60) + "\ndef bad():\n" + _body(60))
    assert main(["--root", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == ["m.py:2 ok (61 lines)  # long: explained", "m.py:64 bad (61 lines)"]
    assert main(["--root", str(tmp_path), "--unexplained"]) == 1
    assert capsys.readouterr().out.splitlines() == ["m.py:64 bad (61 lines)"]
    assert main(["--root", str(tmp_path), "--unexplained", "-n", "61"]) == 0
