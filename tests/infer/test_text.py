"""Output cleaning, the JSON-mode conversion and --input parsing."""

from __future__ import annotations

import pytest

from reviewgpt.infer._inputs import parse_input_spec
from reviewgpt.infer._text import aspects_from_json, clean_review
from reviewgpt.reviewtext import ASPECT_SCHEMAS, parse_review


def test_clean_review_drops_the_preamble_and_keeps_the_points():
    raw = ("Sure! Here is my review.\n\n[Significance and novelty]\n<New> A new idea\nthat spans lines.\n"
           "[potential reasons for rejection]\n")
    clean = clean_review(raw, "4-aspect")
    assert not clean.unparsable
    assert clean.text.startswith("[Significance and novelty]\n<New> A new idea that spans lines.")
    assert "Sure!" not in clean.text
    assert clean.n_points == 1 and clean.empty_aspects == ["Potential reasons for rejection"]
    assert parse_review(clean.text, "4-aspect").aspects == parse_review(raw, "4-aspect").aspects


def test_output_without_any_aspect_is_kept_and_flagged():
    clean = clean_review("I cannot review this paper.", "4-aspect")
    assert clean.unparsable and clean.text == "I cannot review this paper."


def test_json_answer_becomes_the_review_format():
    names = ASPECT_SCHEMAS["4-aspect"]
    obj = {name.upper(): [{"title": f"t{i}", "detail": "d"}] for i, name in enumerate(names)}
    aspects = aspects_from_json(obj, "4-aspect")
    assert list(aspects) == list(names) and aspects[names[1]][0].title == "t1"
    with pytest.raises(ValueError, match="missing"):
        aspects_from_json({names[0]: []}, "4-aspect")
    with pytest.raises(ValueError, match="no point"):
        aspects_from_json({name: [] for name in names}, "4-aspect")
    with pytest.raises(ValueError, match="must be an object or a string"):
        aspects_from_json({**obj, names[0]: [[1, 2]]}, "4-aspect")


@pytest.mark.parametrize(("spec", "expected"), [
    ("v1:test", ("dataset", "v1", "test")),
    ("v1:val", ("dataset", "v1", "val")),
    ("p1", ("parse", "p1", "")),
    ("dataset:v2", ("dataset", "v2", "test")),
    ("parse:p2", ("parse", "p2", "")),
])
def test_input_spec(spec, expected, data_dir):
    assert parse_input_spec(spec, data_dir) == expected


def test_input_spec_rejects_an_unknown_split(data_dir):
    from reviewgpt.errors import ConfigError

    with pytest.raises(ConfigError, match="split 'dev'"):
        parse_input_spec("v1:dev", data_dir)
