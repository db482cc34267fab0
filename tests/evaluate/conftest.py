"""Fixtures of the evaluate tests."""

from __future__ import annotations

import pytest

from reviewgpt.testing.evaluate_inputs import TitleJudge


@pytest.fixture
def title_judge() -> TitleJudge:
    return TitleJudge()
