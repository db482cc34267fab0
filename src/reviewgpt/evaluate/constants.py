"""The evaluation's constants, set here once and read by every judge, metric and comparison.

Liang et al. 2023 rate a pair of key points from 5 (somewhat related) to 10 (the same point) and
count a pair rated at least 7 as a hit. ``reviewgpt evaluate --threshold`` and ``reviewgpt
evaluate agreement/calibrate --hit-threshold`` override the hit threshold for one run; every
default in the package is this one.
"""

from __future__ import annotations

#: The lowest similarity a judge gives a matched pair ("somewhat related").
SIMILARITY_MIN = 5.0
#: The highest similarity ("the same point").
SIMILARITY_MAX = 10.0
#: A matched pair is a hit when its similarity is at least this.
HIT_THRESHOLD = 7.0
#: The scale as help texts and the report write it ("5-10").
SIMILARITY_SCALE_TEXT = f"{SIMILARITY_MIN:g}-{SIMILARITY_MAX:g}"
