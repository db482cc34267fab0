"""The one answer validator: the shapes models really write are understood, the rest is rejected."""

from __future__ import annotations

import json

import pytest

from reviewgpt.evaluate.constants import SIMILARITY_MAX, SIMILARITY_MIN
from reviewgpt.llm.answers import (
    InvalidAnswer,
    aspects_reader,
    parse_json_answer,
    read_matches,
    read_point_list,
    read_points,
)
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint

ASPECTS = ASPECT_SCHEMAS["4-aspect"]
POINT = ReviewPoint(title="Weak baselines", detail="Only compared to BERT.")
SCALE = (SIMILARITY_MIN, SIMILARITY_MAX)


@pytest.mark.parametrize(
    "value",
    [
        [{"title": "Weak baselines", "detail": "Only compared to BERT."}],
        [{"Title": "Weak baselines", "Description": "Only compared to BERT."}],
        ["Weak baselines: Only compared to BERT."],
        ["- **Weak baselines**: Only compared to BERT."],
        {"Weak baselines": "Only compared to BERT."},
        [{"Weak baselines": "Only compared to BERT."}],
        {"title": "Weak baselines", "detail": "Only compared to BERT."},
        json.dumps([{"title": "Weak baselines", "detail": "Only compared to BERT."}]),
        {"Weak baselines": ["Only compared", "to BERT."]},
    ],
)
def test_every_point_shape_models_write_reads_to_the_same_point(value):
    assert read_points(value, "'Weaknesses'") == [POINT]


def test_a_long_string_point_keeps_its_text_as_detail_and_nothing_strings_are_no_point():
    long = "The experiments only compare to BERT, although RoBERTa and DeBERTa are the obvious baselines here."
    assert read_points([long, "None", "", None], "x") == [ReviewPoint(title="", detail=long)]
    assert read_points("N/A", "x") == [] and read_points(None, "x") == []
    assert read_points("- First point\n- Second point", "x") == [
        ReviewPoint(title="First point", detail=""), ReviewPoint(title="Second point", detail="")]


@pytest.mark.parametrize("value", [3, [[1, 2]], [{"score": 3, "id": 1}], [{"title": {"a": 1}, "detail": "x"}]])
def test_what_cannot_be_understood_is_rejected_with_a_reason(value):
    with pytest.raises(InvalidAnswer, match="x"):
        read_points(value, "x")


def test_json_text_in_a_fence_after_prose_or_inside_a_string_is_read():
    obj = {"points": [{"title": "a", "detail": "b"}]}
    assert parse_json_answer("```json\n" + json.dumps(obj) + "\n```") == obj
    assert parse_json_answer("Here is the JSON:\n" + json.dumps(obj) + "\nHope it helps.") == obj
    assert parse_json_answer(json.dumps(json.dumps(obj))) == obj
    with pytest.raises(InvalidAnswer, match="not valid JSON"):
        parse_json_answer("I cannot help with that.")


def test_aspects_reader_normalises_names_and_shapes_in_schema_order():
    read = aspects_reader(ASPECTS)
    answer = {"aspects": json.dumps({
        name.upper().replace(" ", "_"): ([f"{name} point: said by reviewer 2."] if i % 2 else {f"{name} title": "detail."})
        for i, name in enumerate(reversed(ASPECTS))
    })}
    out = read(answer)
    assert list(out) == list(ASPECTS)
    assert all(len(points) == 1 and points[0].title and points[0].detail for points in out.values())


def test_an_empty_review_a_missing_aspect_or_an_unknown_one_is_invalid():
    read = aspects_reader(ASPECTS)
    with pytest.raises(InvalidAnswer, match="no point"):
        read({"aspects": {name: [] for name in ASPECTS}})
    with pytest.raises(InvalidAnswer, match=f"aspects missing: {ASPECTS[-1]}"):
        read({"aspects": {name: ["A point: detail."] for name in ASPECTS[:-1]}})
    with pytest.raises(InvalidAnswer, match="unknown aspect"):
        read({"aspects": {"Made-up aspect": ["x"], **{name: [] for name in ASPECTS}}})
    with pytest.raises(InvalidAnswer):
        read(["not", "an", "object"])


def test_point_lists_and_judge_matches_share_the_reader():
    assert read_point_list({"points": []}) == []
    assert read_point_list([{"title": "a", "detail": "b"}]) == [ReviewPoint(title="a", detail="b")]
    with pytest.raises(InvalidAnswer):
        read_point_list({"answer": []})
    [match] = read_matches({"matches": [{"a": "A2", "b": 1.0, "similarity": "8", "rationale": "same"}]}, 2, 1, SCALE)
    assert (match.a, match.b, match.similarity) == (2, 1, 8.0)
    with pytest.raises(InvalidAnswer, match="not a point of review B"):
        read_matches({"matches": [{"a": 1, "b": 3, "similarity": 9}]}, 2, 2, SCALE)
    with pytest.raises(InvalidAnswer, match="similarity"):
        read_matches({"matches": [{"a": 1, "b": 1, "similarity": 3}]}, 2, 2, SCALE)


def test_a_cached_answer_that_no_longer_validates_is_asked_again(tmp_path):
    """An entry written before a stricter validator (or by hand) is never returned as valid."""
    import asyncio

    from reviewgpt.llm import LLMClient, LLMConfig
    from reviewgpt.testing.openai_server import FakeOpenAIServer

    messages = [{"role": "user", "content": "Answer in JSON."}]
    with FakeOpenAIServer(lambda body: json.dumps({"points": ["Weak baselines: Only compared to BERT."]})) as server:
        client = LLMClient(LLMConfig(base_url=server.base_url, timeout_s=2), cache_dir=tmp_path)
        request = client.build_request(messages, json_mode=True)
        from reviewgpt.llm.cache import request_key

        client.cache.put(request_key(request), {"text": '{"answer": 42}', "usage": {}, "model": "m"})
        value, response = asyncio.run(client.chat_json(messages, validate=read_point_list))
        assert value == [POINT] and not response.cached and len(server.requests) == 1
        again = LLMClient(LLMConfig(base_url=server.base_url, timeout_s=2), cache_dir=tmp_path)
        value, response = asyncio.run(again.chat_json(messages, validate=read_point_list))
        assert value == [POINT] and response.cached and len(server.requests) == 1
