"""DatasetConfig: flags as users type them, and the clashes it refuses."""

from __future__ import annotations

import pytest

from reviewgpt.config import load_config
from reviewgpt.dataset import instruction_for
from reviewgpt.dataset._split import assign_split
from reviewgpt.dataset.config import DatasetConfig
from reviewgpt.errors import ConfigError
from reviewgpt.reviewtext import ASPECT_SCHEMAS


def test_comma_flags_parse():
    cfg = load_config(DatasetConfig, overrides={"tokenizer": "t", "split": "0.8,0.1,0.1", "export": "alpaca,xtuner"})
    assert cfg.split == (0.8, 0.1, 0.1) and cfg.export == ["alpaca", "xtuner"]
    assert (cfg.max_input_tokens, cfg.max_output_tokens, cfg.max_total_tokens) == (11138, 1150, 12288)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"split": "0.9,0.2,0.1"}, "sum to 1"),
        ({"split": "0.9,0.1"}, "three fractions"),
        ({"max_output_tokens": 5000, "max_total_tokens": 4000}, "max_output_tokens"),
        ({"min_output_tokens": 2000}, "min_output_tokens"),
        ({"export": "alpaca,axolotl"}, "export"),
        ({"review_schema": "5-aspect"}, "review_schema"),
        ({"input": "a", "aggregate_input": "b"}, "give only one"),
        ({"nonsense": 1}, "unknown key 'nonsense'"),
    ],
)
def test_bad_options_are_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(DatasetConfig, overrides={"tokenizer": "t", **overrides})


def test_input_names_the_aggregate_version():
    assert load_config(DatasetConfig, overrides={"tokenizer": "t", "input": "agg-v2"}).aggregate_version == "agg-v2"


@pytest.mark.parametrize("schema", sorted(ASPECT_SCHEMAS))
def test_instruction_names_every_aspect_header_and_the_point_format(schema):
    text = instruction_for(schema)
    assert all(f"[{name}]" in text for name in ASPECT_SCHEMAS[schema])
    assert "<a short title>" in text


def test_unknown_schema_instruction_raises():
    with pytest.raises(ValueError, match="unknown review schema"):
        instruction_for("3-aspect")


def test_split_assignment_is_stable_and_close_to_the_fractions():
    keys = [f"paper title {i}" for i in range(4000)]
    first = [assign_split(k, (0.8, 0.1, 0.1), seed=7) for k in keys]
    assert first == [assign_split(k, (0.8, 0.1, 0.1), seed=7) for k in keys]
    assert first != [assign_split(k, (0.8, 0.1, 0.1), seed=8) for k in keys]
    for split, fraction in (("train", 0.8), ("val", 0.1), ("test", 0.1)):
        assert abs(first.count(split) / len(keys) - fraction) < 0.03
    # adding papers never moves an existing one to another split
    assert first[:100] == [assign_split(k, (0.8, 0.1, 0.1), seed=7) for k in keys[:100]]
