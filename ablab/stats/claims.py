"""Comparative claims checked over seeds: a paired t-test and a confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from ablab.stats.direction import Direction, direction, improves
from ablab.stats.sequential import nominal_alpha

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
    # Seeds until decisive (ablab.stats.sequential): the look's nominal level, at which the
    # CI is the repeated CI and the test rejects; None for a fixed number of seeds.
    nominal_alpha: float | None = None

    @property
    def direction(self) -> Direction:
        return direction(self.metric)

    @property
    def verdict(self) -> str:
        """`better` or `worse` (a against b, in the metric's direction: a lower loss is
        better) when the test rejects equality, else `no detectable difference`."""
        if not self.p_value < level(self.alpha, self.nominal_alpha):
            return "no detectable difference"
        return "better" if improves(self.diff, self.metric) else "worse"

    def decided(self, margin: float | None = None) -> bool:
        """Whether the CI settles the question: it excludes 0 (better or worse), or with a
        non-inferiority `margin` it lies wholly on one side of -margin in the metric's
        direction (a at most `margin` worse than b, or more than `margin` worse)."""
        point = 0.0 if margin is None else (margin if self.direction == "lower" else -margin)
        return not self.ci_low <= point <= self.ci_high

    def not_worse(self, margin: float) -> bool:
        """Non-inferiority: the CI's bound on the bad side of a - b stays within `margin`
        (a may be at most `margin` worse than b, at the CI's confidence)."""
        if self.direction == "lower":
            return self.ci_high < margin
        return self.ci_low > -margin

    def describe(self) -> str:
        return (f"{self.a} vs {self.b} on {self.metric}: {self.verdict} "
                f"({self.direction} is better; diff {self.diff:+.3f}, "
                f"{ci_words(self.alpha, self.nominal_alpha)} "
                f"[{self.ci_low:+.3f}, {self.ci_high:+.3f}], paired t-test "
                f"p={self.p_value:.3g}, n={self.n} seeds)")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "direction": self.direction, "verdict": self.verdict,
                "text": self.describe()}


def paired_comparison(
    a: Sequence[float], b: Sequence[float], *, a_name: str = "a", b_name: str = "b",
    metric: str = "accuracy", alpha: float = ALPHA, critical: float | None = None,
) -> Comparison:
    """Paired t-test of a - b with its two-sided (1 - alpha) confidence interval; with
    `critical` (a sequential look's |t| boundary) the repeated CI mean +- critical * sem and
    the test at that look's nominal level."""
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a paired comparison needs two equal-length samples of n >= 2; "
                         f"got {len(a)} and {len(b)}")
    direction(metric)  # an unknown metric fails here, before any statistics
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean, low, high, p_value = t_interval(diffs, alpha, critical)
    return Comparison(a_name, b_name, metric, len(diffs), float(np.mean(a)), float(np.mean(b)),
                      mean, low, high, p_value, alpha, _nominal(len(diffs), critical))


@dataclass(frozen=True)
class Trend:
    """Whether a metric rises along ordered variants: per seed, the least-squares slope of the
    metric against the variant's position (0, 1, 2, ...), then a one-sample t-test of the slopes
    over seeds with its confidence interval. `slope` is the mean change per step."""

    variants: tuple[str, ...]
    metric: str
    n: int
    means: tuple[float, ...]
    slope: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float = ALPHA
    nominal_alpha: float | None = None  # as in Comparison

    @property
    def verdict(self) -> str:
        if not self.p_value < level(self.alpha, self.nominal_alpha):
            return "no detectable trend"
        return "rising" if self.slope > 0 else "falling"

    def decided(self, margin: float | None = None) -> bool:
        """Whether the CI of the slope excludes 0 (no margin for trends)."""
        return not self.ci_low <= 0.0 <= self.ci_high

    def describe(self) -> str:
        means = ", ".join(f"{name} {m:.3f}" for name, m in zip(self.variants, self.means,
                                                                strict=True))
        return (f"trend of {self.metric} over {' < '.join(self.variants)}: {self.verdict} "
                f"(slope {self.slope:+.3f}/step, {ci_words(self.alpha, self.nominal_alpha)} "
                f"[{self.ci_low:+.3f}, "
                f"{self.ci_high:+.3f}], t-test p={self.p_value:.3g}, n={self.n} seeds; "
                f"means {means})")

    @property
    def direction(self) -> Direction:
        return direction(self.metric)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "direction": self.direction, "verdict": self.verdict,
                "text": self.describe()}


def trend_test(
    values: Sequence[Sequence[float]], *, names: Sequence[str], metric: str = "accuracy",
    alpha: float = ALPHA, critical: float | None = None,
) -> Trend:
    """`values[i][s]`: variant i (in order) on seed s. Tests the per-seed slope against 0;
    `critical` as in paired_comparison."""
    table = np.asarray(values, dtype=float)
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[0] != len(names):
        raise ValueError(f"a trend needs >= 2 named variants with one value per seed each; got "
                         f"shape {table.shape} for {len(names)} names")
    positions = np.arange(table.shape[0], dtype=float)
    centred = positions - positions.mean()
    slopes = centred @ (table - table.mean(axis=0)) / float(centred @ centred)
    mean, low, high, p_value = t_interval(slopes, alpha, critical)
    return Trend(tuple(names), metric, int(table.shape[1]), tuple(map(float, table.mean(axis=1))),
                 mean, low, high, p_value, alpha, _nominal(len(slopes), critical))


def level(alpha: float, nominal: float | None) -> float:
    """The level a test rejects at: a sequential look's nominal level, else alpha."""
    return alpha if nominal is None else nominal


def ci_words(alpha: float, nominal: float | None) -> str:
    """`95% CI`, or for a sequential look `95% repeated CI (nominal 99.2% at this look)`."""
    overall = f"{round(100 * (1 - alpha))}%"
    if nominal is None:
        return f"{overall} CI"
    return f"{overall} repeated CI (nominal {100 * (1 - nominal):.2f}% at this look)"


def _nominal(n: int, critical: float | None) -> float | None:
    return None if critical is None else nominal_alpha(n, critical)


def t_interval(
    sample: np.ndarray, alpha: float, critical: float | None = None
) -> tuple[float, float, float, float]:
    """Mean, two-sided (1 - alpha) t interval and the t-test p-value against 0; with
    `critical`, the interval mean +- critical * sem instead."""
    n = len(sample)
    if n < 2:
        raise ValueError(f"a test over seeds needs n >= 2 values; got {n}")
    mean = float(sample.mean())
    sem = float(sample.std(ddof=1) / math.sqrt(n))
    if sem == 0.0:
        # The same value on every seed (e.g. identical differences): no spread to test against.
        return mean, mean, mean, 1.0 if mean == 0.0 else 0.0
    t = float(stats.t.ppf(1 - alpha / 2, df=n - 1)) if critical is None else critical
    p_value = float(2 * stats.t.sf(abs(mean / sem), df=n - 1))
    return mean, mean - t * sem, mean + t * sem, p_value


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
