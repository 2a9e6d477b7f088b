"""No spread over seeds: every seed gave the same value, up to floating-point rounding.

A t-test divides the mean by its standard error. With no spread that is x / 0 or 0 / 0, and
any p-value read off it (0 for "infinitely significant", 1 for "nothing there") would come from
the division, not from the seeds: nothing is decided. Claims and findings then say `undecided:
no spread` with no interval and no p (ablab.stats.claims), seeds until decisive trains on
(ablab.stats.sequential), and the regression gate likewise leaves its Welch test out
(ablab.gate.compare).
"""

from __future__ import annotations

import numpy as np

NO_SPREAD = "undecided: no spread"
# Values this close are one value. A difference computed two ways (0.9 - 0.8 and 0.95 - 0.85)
# or a slope fitted to two tables of equal steps differs in the last bits, and a t statistic
# of 1e15 made of rounding decides nothing. Seed noise in any metric ablab records is many
# orders of magnitude above it (an accuracy moves in steps of 1 / test samples).
RELATIVE_TOLERANCE = 1e-9


def flat(
    values: np.ndarray, scale: np.ndarray | float | None = None, axis: int = -1
) -> np.ndarray:
    """Per slice along `axis`: whether its range is within RELATIVE_TOLERANCE of `scale`, the
    size of the numbers it was computed from (default: its own largest magnitude). Pass the
    inputs' size when the values are differences or slopes near 0: rounding there is relative
    to the inputs, not to the small result."""
    values = np.asarray(values, dtype=float)
    size = np.abs(values).max(axis=axis) if scale is None else np.asarray(scale, dtype=float)
    return np.asarray(np.ptp(values, axis=axis) <= RELATIVE_TOLERANCE * size)
