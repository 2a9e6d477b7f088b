"""One summary of a cell's values over seeds: mean, spread, t interval, n. The terminal table,
REPORT.md and the regression gate all summarise seeds with `over_seeds`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ablab.stats.claims import ALPHA, t_interval


@dataclass(frozen=True)
class SeedSummary:
    """Over the finite values: mean, standard deviation and the (1 - alpha) t interval (NaN
    with fewer than two values), n, and how many values were not finite (None or NaN)."""

    mean: float
    sd: float
    low: float
    high: float
    n: int
    nonfinite: int = 0


def over_seeds(values: Iterable[float | None], alpha: float = ALPHA) -> SeedSummary:
    given = [math.nan if v is None else float(v) for v in values]
    finite = np.asarray([v for v in given if math.isfinite(v)], dtype=float)
    n, left_out = len(finite), len(given) - len(finite)
    if n < 2:
        mean = float(finite[0]) if n else math.nan
        return SeedSummary(mean, math.nan, math.nan, math.nan, n, left_out)
    mean, low, high, _ = t_interval(finite, alpha)
    return SeedSummary(mean, float(finite.std(ddof=1)), low, high, n, left_out)
