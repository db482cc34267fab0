"""The review text format: one parser, round trips."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, normalize_point, parse_review, render_review

SAMPLE = """Here is my review of the paper.

[Significance and novelty]
<Novel benchmark> The paper introduces a new benchmark
that spans two lines.
<Clear motivation> Well motivated.

[potential reasons for rejection]
<Weak baselines> Only one baseline is compared.

[Suggestions for improvement]
"""


def test_parse_sample_with_preamble_continuation_and_case():
    review = parse_review(SAMPLE, schema="4-aspect")
    assert review.preamble == "Here is my review of the paper."
    assert list(review.aspects) == [
        "Significance and novelty",
        "Potential reasons for rejection",
        "Suggestions for improvement",
    ]
    first = review.aspects["Significance and novelty"][0]
    assert first == ReviewPoint(title="Novel benchmark", detail="The paper introduces a new benchmark that spans two lines.")
    assert review.n_points == 3
    assert review.empty_aspects == ["Suggestions for improvement"]
    assert review.unknown_headers == []


def test_unknown_headers_are_reported():
    review = parse_review("[Strengths]\n<a> b\n", schema="4-aspect")
    assert review.unknown_headers == ["Strengths"]
    assert review.aspects["Strengths"] == [ReviewPoint(title="a", detail="b")]


def test_render_in_schema_order():
    aspects = {
        "Suggestions for improvement": [ReviewPoint(title="More data", detail="Add datasets.")],
        "Significance and novelty": [ReviewPoint(title="New", detail="A new idea.")],
    }
    text = render_review(aspects, schema="4-aspect")
    headers = [line for line in text.splitlines() if line.startswith("[")]
    assert headers == [f"[{name}]" for name in ASPECT_SCHEMAS["4-aspect"]]
    assert "<More data> Add datasets." in text


_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=40)


@given(st.dictionaries(st.sampled_from(ASPECT_SCHEMAS["7-aspect"]), st.lists(st.tuples(_words, _words), max_size=4)))
def test_round_trip(raw):
    aspects = {name: [normalize_point(t, d) for t, d in points] for name, points in raw.items()}
    # a point with neither title nor detail renders as "<>" and parses back as itself
    parsed = parse_review(render_review(aspects, schema="7-aspect"), schema="7-aspect")
    expected = {name: aspects.get(name, []) for name in ASPECT_SCHEMAS["7-aspect"]}
    assert parsed.aspects == expected
