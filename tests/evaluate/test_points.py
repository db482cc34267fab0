"""Key points of reviews in our format, and --aspects."""

from __future__ import annotations

import pytest

from reviewgpt.errors import ConfigError
from reviewgpt.evaluate.points import select_aspects, text_points

TEXT = """[Significance and novelty]
<New loss> A new loss for
ranking.

[Potential reasons for rejection]
<Weak baselines> Only two baselines.
<No ablation> The parts are not ablated.
"""


def test_each_title_detail_item_is_one_point_with_its_aspect():
    points = text_points(TEXT, "4-aspect", None)
    assert [(p.aspect, p.text) for p in points] == [
        ("Significance and novelty", "New loss: A new loss for ranking."),
        ("Potential reasons for rejection", "Weak baselines: Only two baselines."),
        ("Potential reasons for rejection", "No ablation: The parts are not ablated."),
    ]


def test_rejection_selects_the_criticism_aspect_in_both_schemas():
    assert select_aspects(["rejection"], ["4-aspect"]) == ["Potential reasons for rejection"]
    assert select_aspects(["all"], ["4-aspect"]) is None
    both = select_aspects(["rejection", "Suggestions for improvement"], ["4-aspect", "7-aspect"])
    assert both == ["Potential reasons for rejection", "Suggestions for improvement"]
    points = text_points(TEXT, "4-aspect", select_aspects(["rejection"], ["4-aspect"]))
    assert [p.text.split(":")[0] for p in points] == ["Weak baselines", "No ablation"]


def test_unknown_aspect_is_a_config_error_naming_the_known_ones():
    with pytest.raises(ConfigError, match="'methods' matches no aspect.*Significance and novelty"):
        select_aspects(["methods"], ["4-aspect"])
