"""What the gate decides about: compared metrics, tolerances, a cell's summary over seeds, the
verdict per cell and metric, and the cells only one side has."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ablab.stats.spread import over_seeds

Cell = tuple[str, ...]  # (study, variant, cell_key)


@dataclass(frozen=True)
class Metric:
    """A compared column. Quality floors are absolute (in the metric's units); speed floors are
    a ratio, because seconds and samples/s scale with the machine."""

    column: str
    higher_is_better: bool
    speed: bool = False
    target: bool = False  # NaN means "target never reached", which counts against the cell


QUALITY = Metric("accuracy", True)
EPOCHS_TO_TARGET = Metric("epochs_to_target", False, target=True)
SPEED = (Metric("samples_per_second", True, speed=True),
         Metric("seconds_to_target", False, speed=True, target=True))


@dataclass(frozen=True)
class Thresholds:
    """The gate's tolerances (see docs/regression-gate.md for why these defaults)."""

    floor: float = 0.01  # accuracy-like metrics: one point
    epochs_floor: float = 1.0  # epochs to target
    k: float = 3.0
    alpha: float = 0.01
    speed: bool = False  # timings are compared only when asked
    speed_ratio: float = 1.5

    def __post_init__(self) -> None:
        # Finite too: an infinite floor, k or ratio would tolerate every drop, a gate that
        # cannot fail.
        for name in ("floor", "epochs_floor", "k"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"--{name.replace('_', '-')}={value} is not allowed; it must "
                                 "be a finite number >= 0")
        if not 0 < self.alpha < 1:
            raise ValueError(f"--alpha={self.alpha} is not allowed; it must be in (0, 1)")
        if not (math.isfinite(self.speed_ratio) and self.speed_ratio >= 1):
            raise ValueError(f"--speed-ratio={self.speed_ratio} is not allowed; it must be a "
                             "finite number >= 1")

    def allowed(self, metric: Metric, baseline_mean: float) -> float:
        """How much worse than the baseline a mean may be before the floor is crossed."""
        if metric.speed:
            if metric.higher_is_better:
                return abs(baseline_mean) * (1 - 1 / self.speed_ratio)
            return abs(baseline_mean) * (self.speed_ratio - 1)
        return self.epochs_floor if metric.target else self.floor


@dataclass(frozen=True)
class Summary:
    """Mean, standard deviation and count of one cell's finite values over seeds."""

    mean: float
    sd: float
    n: int
    unreached: int = 0  # seeds that never reached the target (target metrics)

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        found = over_seeds(values)
        # One seed has no known spread: 0 lets the floor alone decide (docs/regression-gate.md).
        return cls(found.mean, found.sd if found.n > 1 else 0.0, found.n, found.nonfinite)

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n > 1 else 0.0

    def se_of_difference(self, other: Summary) -> float:
        """Standard error of (this mean - other mean) for independent seeds: each side's spread
        counts, so a noisy run is not judged against a quiet baseline's error alone."""
        return math.hypot(self.se, other.se)

    def describe(self) -> str:
        text = "n/a" if self.n == 0 else f"{self.mean:.4g} ± {self.sd:.2g} (n={self.n})"
        return f"{text}, {self.unreached} unreached" if self.unreached else text


@dataclass(frozen=True)
class Verdict:
    """One cell on one metric."""

    study: str
    variant: str
    metric: str
    baseline: str
    current: str
    change: str
    allowed: str
    p: str
    verdict: str  # "ok", "improved" or "REGRESSED"

    @property
    def regressed(self) -> bool:
        return self.verdict == "REGRESSED"


@dataclass(frozen=True)
class Missing:
    """Cells on one side only. `changed`: same study and variant, another experiment key (the
    experiment was edited, so the baseline must be refreshed)."""

    lost: list[Cell]  # in the baseline, not in this run
    new: list[Cell]  # in this run, not in the baseline
    changed: list[tuple[Cell, Cell]]  # (baseline cell, this run's cell)

    @classmethod
    def between(cls, baseline: set[Cell], current: set[Cell]) -> Missing:
        only_base, only_current = sorted(baseline - current), sorted(current - baseline)
        current_names = {cell[:2]: cell for cell in only_current}
        changed = [(cell, current_names[cell[:2]]) for cell in only_base
                   if cell[:2] in current_names]
        moved = {new for _, new in changed}
        return cls([c for c in only_base if c[:2] not in current_names],
                   [c for c in only_current if c not in moved], changed)

    @property
    def any_lost(self) -> bool:
        return bool(self.lost or self.changed)
