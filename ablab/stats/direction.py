"""Which way is better for each metric a claim or a report reads: higher accuracy and F1,
lower loss and train/validation gap. Verdict words and "best" marks follow it."""

from __future__ import annotations

from typing import Literal

Direction = Literal["higher", "lower"]

DIRECTIONS: dict[str, Direction] = {
    "accuracy": "higher",
    "f1_macro": "higher",
    "loss": "lower",
    "overfit_gap": "lower",  # last epoch's validation loss minus training loss
    "epochs_to_target": "lower",
    "seconds_to_target": "lower",
    "samples_per_second": "higher",
}


def direction(metric: str) -> Direction:
    """The metric's direction; an unknown metric is an error listing the known ones."""
    if metric not in DIRECTIONS:
        raise ValueError(f"metric={metric!r} is not allowed; known metrics: "
                         f"{', '.join(sorted(DIRECTIONS))}")
    return DIRECTIONS[metric]


def improves(diff: float, metric: str) -> bool:
    """Whether a difference a - b of this metric means a is the better one."""
    return diff > 0 if direction(metric) == "higher" else diff < 0
