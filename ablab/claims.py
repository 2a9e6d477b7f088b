"""Comparative claims checked over seeds: a paired t-test and a confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Comparison:
    """`a` against `b` on one metric, paired by seed. `diff` is mean(a - b)."""

    a: str
    b: str
    metric: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float = ALPHA

    @property
    def verdict(self) -> str:
        """`better` or `worse` (a against b) when the test rejects equality, else
        `no detectable difference`."""
        if not self.p_value < self.alpha:
            return "no detectable difference"
        return "better" if self.diff > 0 else "worse"

    def describe(self) -> str:
        level = round(100 * (1 - self.alpha))
        return (f"{self.a} vs {self.b} on {self.metric}: {self.verdict} "
                f"(diff {self.diff:+.3f}, {level}% CI [{self.ci_low:+.3f}, {self.ci_high:+.3f}], "
                f"paired t-test p={self.p_value:.3g}, n={self.n} seeds)")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict, "text": self.describe()}


def paired_comparison(
    a: Sequence[float], b: Sequence[float], *, a_name: str = "a", b_name: str = "b",
    metric: str = "accuracy", alpha: float = ALPHA,
) -> Comparison:
    """Paired t-test of a - b with its two-sided (1 - alpha) confidence interval."""
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a paired comparison needs two equal-length samples of n >= 2; "
                         f"got {len(a)} and {len(b)}")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(diffs)
    mean = float(diffs.mean())
    sem = float(diffs.std(ddof=1) / math.sqrt(n))
    if sem == 0.0:
        # Identical differences on every seed: no spread to test against.
        p_value = 1.0 if mean == 0.0 else 0.0
        low = high = mean
    else:
        t = stats.t.ppf(1 - alpha / 2, df=n - 1)
        p_value = float(2 * stats.t.sf(abs(mean / sem), df=n - 1))
        low, high = mean - t * sem, mean + t * sem
    return Comparison(a_name, b_name, metric, n, float(np.mean(a)), float(np.mean(b)), mean,
                      float(low), float(high), p_value, alpha)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    order = np.argsort(p_values)
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[index])))
        adjusted[int(index)] = running
    return adjusted
