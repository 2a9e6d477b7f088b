"""The chance level of a test split and the "at or below chance" flag, defined once.

Chance is the accuracy of always predicting the split's most frequent class (its share of the
split). A cell is *at or below chance* when it got no more test samples right than that
constant guess does: `correct <= majority count`, compared in whole samples so that a model
which predicts the majority class for everything (accuracy exactly the majority share) is
flagged without a floating-point tolerance. One sample above it is not flagged: the rule says
"not above chance", not "not significantly above chance".
"""

from __future__ import annotations

from collections.abc import Sequence


def majority_share(counts: Sequence[int]) -> float:
    """The most frequent class's share of the samples (the chance accuracy)."""
    total = sum(counts)
    if total <= 0:
        raise ValueError(f"class counts {list(counts)} hold no samples; chance needs >= 1")
    return max(counts) / total


def at_or_below_chance(correct: int, counts: Sequence[int]) -> bool:
    """Whether `correct` right answers are no more than the majority-class guess gets."""
    return correct <= max(counts)
