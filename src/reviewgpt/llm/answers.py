"""The one validator of JSON answers: every LLM stage reads its model's reply through this module.

Models answer the same request in several shapes. Each reader here accepts the shapes seen in
practice, normalises them, and raises :class:`InvalidAnswer` only for what cannot be
understood (the LLM client shows that message to the model once, for repair):

- the reply may sit in a markdown code fence, or after a line of prose;
- a value may be a JSON string holding JSON (``{"aspects": "{\\"Novelty\\": [...]}"}``);
- a list of points may be ``[{"title", "detail"}]``, ``["Title: detail", ...]``, or an object
  ``{"title": "detail", ...}``.

An answer that is understood but says nothing a stage can use is invalid too: an aggregated
review without any point, or with an aspect missing, is rejected, never written as a record.

The client caches an answer only once it passed its reader (validate, then cache), so an invalid
reply is never replayed by a rerun.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from reviewgpt.records.evaluate import PointMatch
from reviewgpt.reviewtext import ReviewPoint, normalize_point

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)
_SPACE = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_INDEX = re.compile(r"^\s*[AaBb]?\s*(\d+)\s*$")
_TITLE_KEYS = ("title", "point", "name", "heading", "summary")
_DETAIL_KEYS = ("detail", "details", "description", "explanation", "text", "content", "comment")
#: strings a model writes for "nothing here"
_NOTHING = {"", "none", "n/a", "na", "-", "null", "nothing", "no points", "not mentioned", "not applicable"}
#: a "Title: detail" string has a short title before its first colon
_MAX_TITLE_WORDS = 12


class InvalidAnswer(ValueError):
    """An answer that cannot be understood; the message says why, for the model's repair."""


# --------------------------------------------------------------------------- JSON text


def parse_json_answer(text: str) -> Any:
    """The JSON value of a reply: fences and surrounding prose removed, a JSON-in-a-string unwrapped.

    Raises:
        InvalidAnswer: no JSON value can be read from the reply.
    """
    candidates = [text]
    candidates += [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    first_error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return _unwrap(json.loads(candidate))
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise InvalidAnswer(
        f"not valid JSON ({first_error.msg} at line {first_error.lineno} column {first_error.colno})"
    )


def _unwrap(value: Any) -> Any:
    """A JSON string that holds a JSON object or list is that object or list (two levels at most)."""
    for _ in range(2):
        if not isinstance(value, str):
            return value
        stripped = value.strip()
        if stripped[:1] not in ("{", "[") and not stripped.startswith("```"):
            return value
        try:
            value = parse_json_answer(stripped)
        except InvalidAnswer:
            return value
    return value


def _object(answer: Any, key: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise InvalidAnswer(f'expected a JSON object {{"{key}": ...}}, got {type(answer).__name__}')
    return answer


# --------------------------------------------------------------------------- points


def _text(value: Any) -> str | None:
    """A string, or a list of strings joined; None for anything else."""
    value = _unwrap(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return None


def _point_from_string(text: str) -> ReviewPoint | None:
    text = _BULLET.sub("", _SPACE.sub(" ", text)).strip()
    if text.lower().strip(".") in _NOTHING:
        return None
    title, sep, detail = text.partition(": ")
    if sep and len(title.split()) <= _MAX_TITLE_WORDS and detail.strip():
        return normalize_point(title.strip("*_ "), detail)
    if len(text.split()) <= _MAX_TITLE_WORDS:
        return normalize_point(text, "")
    return normalize_point("", text)


def _point_from_object(item: dict[str, Any], where: str) -> ReviewPoint | None:
    lowered = {str(k).lower(): v for k, v in item.items()}
    title_key = next((k for k in _TITLE_KEYS if k in lowered), None)
    detail_key = next((k for k in _DETAIL_KEYS if k in lowered), None)
    if title_key is None and detail_key is None:
        if len(item) == 1:  # [{"Title": "detail"}]
            (title, detail), = item.items()
            detail_text = _text(detail)
            if detail_text is not None:
                return normalize_point(str(title), detail_text)
        raise InvalidAnswer(f"a point of {where} has no 'title' or 'detail': {_short(json.dumps(item))}")
    title = _text(lowered[title_key]) if title_key else ""
    detail = _text(lowered[detail_key]) if detail_key else ""
    if title is None or detail is None:
        raise InvalidAnswer(f"a point of {where} needs text in 'title' and 'detail': {_short(json.dumps(item))}")
    point = normalize_point(title, detail)
    return point if point.title or point.detail else None


def read_points(value: Any, where: str) -> list[ReviewPoint]:
    """A list of points from any shape models write, empty points dropped.

    Accepts ``[{"title", "detail"}]`` (also ``point``/``description``... as key names),
    ``["Title: detail"]``, ``{"Title": "detail"}``, a JSON string holding one of these, a
    bulleted string, or null/"none" for no point.

    Raises:
        InvalidAnswer: a value that is none of these (a number, a list of lists...).
    """
    value = _unwrap(value)
    if value is None:
        return []
    if isinstance(value, str):
        lines = [line for line in value.splitlines() if line.strip()]
        if len(lines) > 1 and all(_BULLET.match(line) for line in lines):
            items: list[Any] = lines
        else:
            items = [value]
    elif isinstance(value, dict):
        if any(str(k).lower() in _TITLE_KEYS + _DETAIL_KEYS for k in value):
            items = [value]  # a single point object instead of a list of one
        else:
            items = [{"title": str(k), "detail": v} for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        raise InvalidAnswer(f"{where} must be a list of points, got {_short(json.dumps(value))}")
    points = []
    for item in items:
        item = _unwrap(item)
        if isinstance(item, str):
            point = _point_from_string(item)
        elif isinstance(item, dict):
            point = _point_from_object(item, where)
        elif item is None:
            point = None
        else:
            raise InvalidAnswer(f"a point of {where} must be an object or a string, got {_short(json.dumps(item))}")
        if point is not None:
            points.append(point)
    return points


def _name_key(name: str) -> str:
    return " ".join(str(name).replace("_", " ").split()).lower()


def aspects_reader(aspects: Sequence[str]) -> Callable[[Any], dict[str, list[ReviewPoint]]]:
    """A reader of ``{"aspects": {aspect: points}}`` for the schema's aspects, in schema order.

    Aspect names match ignoring case, underscores and spacing. An unknown aspect, a missing
    aspect, or an answer without a single point raises :class:`InvalidAnswer`.
    """
    names = list(aspects)
    by_key = {_name_key(name): name for name in names}

    def read(answer: Any) -> dict[str, list[ReviewPoint]]:
        obj = _object(answer, "aspects")
        raw = _unwrap(obj["aspects"]) if "aspects" in obj else obj
        if not isinstance(raw, dict):
            raise InvalidAnswer('"aspects" must be an object mapping aspect names to lists of points')
        out: dict[str, list[ReviewPoint]] = {}
        for key, value in raw.items():
            name = by_key.get(_name_key(key))
            if name is None:
                raise InvalidAnswer(f"unknown aspect {key!r}; the aspects are: {', '.join(names)}")
            out.setdefault(name, []).extend(read_points(value, repr(name)))
        missing = [name for name in names if name not in out]
        if missing:
            raise InvalidAnswer(f"aspects missing: {', '.join(missing)} (give every aspect, with [] when empty)")
        if not any(out.values()):
            raise InvalidAnswer("the review has no point under any aspect")
        return {name: out[name] for name in names}

    return read


def read_point_list(answer: Any) -> list[ReviewPoint]:
    """Key points of one review: ``{"points": [...]}`` (or the list alone); an empty list is valid."""
    if isinstance(answer, list):
        return read_points(answer, '"points"')
    obj = _object(answer, "points")
    if "points" not in obj:
        raise InvalidAnswer('expected an object {"points": [...]}')
    return read_points(obj["points"], '"points"')


# --------------------------------------------------------------------------- judge matches


def _index(value: Any, n: int, side: str) -> int:
    """A 1-based point number from ``3``, ``"3"`` or ``"A3"``, checked against the list's length."""
    if isinstance(value, bool):
        raise InvalidAnswer(f"'{side}' must be a point number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        index = value
    elif isinstance(value, str) and (found := _INDEX.match(value)):
        index = int(found.group(1))
    else:
        raise InvalidAnswer(f"'{side}' must be a point number, got {value!r}")
    if not 1 <= index <= n:
        raise InvalidAnswer(f"'{side}': {index} is not a point of review {side.upper()} (1..{n})")
    return index


def read_matches(answer: Any, n_a: int, n_b: int, similarity_range: tuple[float, float]) -> list[PointMatch]:
    """Pairs of a judge's answer ``{"matches": [{a, b, similarity, rationale}]}``, not yet one-to-one.

    ``similarity_range`` is the judge's scale (the evaluate stage passes its constants).

    Raises:
        InvalidAnswer: not that shape, an index out of range, or a similarity outside ``similarity_range``.
    """
    low, high = similarity_range
    if isinstance(answer, list):
        answer = {"matches": answer}
    obj = _object(answer, "matches")
    items = _unwrap(obj.get("matches"))
    if not isinstance(items, list):
        raise InvalidAnswer('expected an object {"matches": [...]}')
    matches = []
    for item in items:
        item = _unwrap(item)
        if not isinstance(item, dict):
            raise InvalidAnswer(f"each match must be an object, got {_short(json.dumps(item))}")
        similarity = item.get("similarity")
        if isinstance(similarity, str):
            try:
                similarity = float(similarity)
            except ValueError:
                similarity = None
        if isinstance(similarity, bool) or not isinstance(similarity, (int, float)) or not low <= similarity <= high:
            raise InvalidAnswer(f"'similarity' must be a number from {low:g} to {high:g}, got {item.get('similarity')!r}")
        matches.append(
            PointMatch(
                a=_index(item.get("a"), n_a, "a"),
                b=_index(item.get("b"), n_b, "b"),
                similarity=float(similarity),
                rationale=str(item.get("rationale") or ""),
            )
        )
    return matches


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
