"""Comparative claims checked over seeds: a paired t-test and a confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from ablab.stats.direction import Direction, direction, improves
from ablab.stats.flat import NO_SPREAD, flat
from ablab.stats.sequential import nominal_alpha

ALPHA = 0.05
NO_DIFFERENCE = "no detectable difference"
NO_TREND = "no detectable trend"


@dataclass(frozen=True)
class Comparison:
    """`a` against `b` on one metric, paired by seed. `diff` is mean(a - b). When every seed
    gave the same difference (`spread` False, ablab.stats.flat) there is no test: the CI and
    p are NaN (stored as null) and the verdict is `undecided: no spread`."""

    # Every verdict a comparison can return (the study scan in tests/ reads it).
    VERDICTS: ClassVar[tuple[str, ...]] = ("better", "worse", NO_DIFFERENCE, NO_SPREAD)

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
    spread: bool = True  # False: one difference on every seed, nothing to test against

    @property
    def direction(self) -> Direction:
        return direction(self.metric)

    @property
    def verdict(self) -> str:
        """`better` or `worse` (a against b, in the metric's direction: a lower loss is
        better) when the test rejects equality, `undecided: no spread` without a test, else
        `no detectable difference`."""
        if not self.spread:
            return NO_SPREAD
        if not self.p_value < level(self.alpha, self.nominal_alpha):
            return NO_DIFFERENCE
        return "better" if improves(self.diff, self.metric) else "worse"

    def decided(self, margin: float | None = None) -> bool:
        """Whether the CI settles the question: it excludes 0 (better or worse), or with a
        non-inferiority `margin` it lies wholly on one side of -margin in the metric's
        direction (a at most `margin` worse than b, or more than `margin` worse). Never
        without spread: there is no CI (seeds until decisive trains on)."""
        if not self.spread:
            return False
        point = 0.0 if margin is None else (margin if self.direction == "lower" else -margin)
        return not self.ci_low <= point <= self.ci_high

    def not_worse(self, margin: float) -> bool:
        """Non-inferiority: the CI's bound on the bad side of a - b stays within `margin`
        (a may be at most `margin` worse than b, at the CI's confidence). False without
        spread: no CI, so no confidence to claim it at."""
        if not self.spread:
            return False
        if self.direction == "lower":
            return self.ci_high < margin
        return self.ci_low > -margin

    def describe(self) -> str:
        if not self.spread:
            return (f"{self.a} vs {self.b} on {self.metric}: {self.verdict} ({self.direction} "
                    f"is better; diff {self.diff:+.3f} on every one of n={self.n} seeds: no "
                    f"spread to test against, so no CI and no p)")
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
    values = np.asarray([a, b], dtype=float)
    diffs = values[0] - values[1]
    # rounding in a - b is relative to a and b, not to the (small) difference
    mean, low, high, p_value = t_interval(diffs, alpha, critical, scale=np.abs(values).max())
    spread = not math.isnan(p_value)
    return Comparison(a_name, b_name, metric, len(diffs), float(np.mean(a)), float(np.mean(b)),
                      mean, *_tested(low, high, spread), p_value, alpha,
                      _nominal(len(diffs), critical), spread)


@dataclass(frozen=True)
class Trend:
    """Whether a metric rises along ordered variants: per seed, the least-squares slope of the
    metric against the variant's position (0, 1, 2, ...), then a one-sample t-test of the slopes
    over seeds with its confidence interval. `slope` is the mean change per step. Every seed
    with the same slope: no test, as in Comparison."""

    VERDICTS: ClassVar[tuple[str, ...]] = ("rising", "falling", NO_TREND, NO_SPREAD)

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
    spread: bool = True  # as in Comparison

    @property
    def verdict(self) -> str:
        if not self.spread:
            return NO_SPREAD
        if not self.p_value < level(self.alpha, self.nominal_alpha):
            return NO_TREND
        return "rising" if self.slope > 0 else "falling"

    def decided(self, margin: float | None = None) -> bool:
        """Whether the CI of the slope excludes 0 (no margin for trends); never without
        spread."""
        return self.spread and not self.ci_low <= 0.0 <= self.ci_high

    def describe(self) -> str:
        means = ", ".join(f"{name} {m:.3f}" for name, m in zip(self.variants, self.means,
                                                                strict=True))
        if not self.spread:
            return (f"trend of {self.metric} over {' < '.join(self.variants)}: {self.verdict} "
                    f"(slope {self.slope:+.3f}/step on every one of n={self.n} seeds: no "
                    f"spread to test against, so no CI and no p; means {means})")
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
    # rounding in the fitted slopes is relative to the values they were fitted to
    mean, low, high, p_value = t_interval(slopes, alpha, critical, scale=np.abs(table).max())
    spread = not math.isnan(p_value)
    return Trend(tuple(names), metric, int(table.shape[1]), tuple(map(float, table.mean(axis=1))),
                 mean, *_tested(low, high, spread), p_value, alpha,
                 _nominal(len(slopes), critical), spread)


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


def _tested(low: float, high: float, spread: bool) -> tuple[float, float]:
    """A claim's CI: none (NaN) without spread, where t_interval's collapsed interval would
    read as certainty at the CI's confidence."""
    return (low, high) if spread else (math.nan, math.nan)


def t_interval(
    sample: np.ndarray, alpha: float, critical: float | None = None,
    scale: float | None = None,
) -> tuple[float, float, float, float]:
    """Mean, two-sided (1 - alpha) t interval and the t-test p-value against 0; with
    `critical`, the interval mean +- critical * sem instead. `scale`: the size of the numbers
    the sample was computed from (ablab.stats.flat)."""
    n = len(sample)
    if n < 2:
        raise ValueError(f"a test over seeds needs n >= 2 values; got {n}")
    mean = float(sample.mean())
    if flat(sample, scale):
        # The same value on every seed (e.g. identical differences): no spread to test
        # against, so no test: p is NaN (not 0 or 1, see ablab.stats.flat). The interval is
        # that one value, what a summary of the seeds shows (ablab.stats.spread).
        return mean, mean, mean, math.nan
    sem = float(sample.std(ddof=1) / math.sqrt(n))
    t = float(stats.t.ppf(1 - alpha / 2, df=n - 1)) if critical is None else critical
    p_value = float(2 * stats.t.sf(abs(mean / sem), df=n - 1))
    return mean, mean - t * sem, mean + t * sem, p_value


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order. A NaN p (no test: no spread)
    stays NaN and is not one of the family's tests."""
    tested = [i for i, p in enumerate(p_values) if not math.isnan(p)]
    order = sorted(tested, key=lambda i: p_values[i])
    m = len(tested)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[index])))
        adjusted[index] = running
    return adjusted
