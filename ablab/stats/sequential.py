"""Seeds until decisive: a group-sequential paired t-test over the looks n = MIN..MAX seeds.

A claim looks at its paired differences after MIN seeds, then after each further seed, and
stops as soon as its confidence interval is decisive. Looking again after every seed with the
fixed-sample t-test would inflate the false-positive rate well above alpha (optional
stopping); here each look n has its own critical value c_n for |t|, chosen so that the chance
of crossing any of them under "no difference" is alpha in all:

- alpha is spent over the looks with the O'Brien-Fleming-type spending function of Lan and
  DeMets (1983), alpha(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)) at information fraction
  t = n / MAX: almost nothing at the first looks, most of alpha at the last;
- the c_n are computed by Monte Carlo under the null: for normal differences the joint law of
  the successive t statistics does not depend on the standard deviation, so one simulation of
  standard normal paths fits every claim. It is seeded (the same boundaries in every process
  and worker) and cached per (MIN, MAX, alpha).

The interval reported at look n is the repeated confidence interval mean +- c_n * sem
(Jennison and Turnbull 2000, ch. 9): the intervals of all looks cover the true difference
together with probability 1 - alpha, so a decision read off any of them, at whatever look the
claim stopped and against 0 or a non-inferiority margin, is wrong with probability <= alpha.
There is no futility stop: a claim that cannot be resolved runs to MAX seeds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

from ablab.stats.flat import flat

MC_PATHS = 400_000  # Monte Carlo error of the overall level: about sqrt(.05 * .95 / 4e5) = 3e-4
MC_SEED = 12  # fixed: every process computes the same boundaries
RANGE = re.compile(r"(\d+)\.\.(\d+)")
SEEDS_FORM = "give an integer >= 1 (N seeds) or a range MIN..MAX with 2 <= MIN < MAX, e.g. 3..8"


@dataclass(frozen=True)
class SeedCount:
    """`--ablab-seeds`: `low` seeds for every cell; up to `high` for undecided claims."""

    low: int
    high: int

    @property
    def sequential(self) -> bool:
        return self.high > self.low

    def __str__(self) -> str:
        return f"{self.low}..{self.high}" if self.sequential else str(self.low)


def parse_seed_count(text: str) -> SeedCount:
    """`N` (fixed) or `MIN..MAX` (seeds until decisive); a ValueError says what is allowed."""
    text = text.strip()
    if text.isdigit() and int(text) >= 1:
        return SeedCount(int(text), int(text))
    found = RANGE.fullmatch(text)
    if found is not None:
        low, high = int(found[1]), int(found[2])
        if 2 <= low < high:
            return SeedCount(low, high)
    raise ValueError(f"{text!r} is not allowed; {SEEDS_FORM}")


def spent(fraction: np.ndarray, alpha: float) -> np.ndarray:
    """O'Brien-Fleming-type alpha spending (Lan and DeMets 1983): alpha spent up to each
    information fraction in (0, 1]; all of alpha at 1."""
    z = stats.norm.ppf(1 - alpha / 2)
    return np.asarray(2 - 2 * stats.norm.cdf(z / np.sqrt(fraction)), dtype=float)


def t_from_sums(total: np.ndarray, squares: np.ndarray, n: int) -> np.ndarray:
    """One-sample t statistics against 0 from running sums of n values (vectorised)."""
    mean = total / n
    variance = np.maximum(squares - n * mean * mean, 0.0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(mean / np.sqrt(variance / n), dtype=float)


@lru_cache(maxsize=32)
def boundaries(low: int, high: int, alpha: float) -> tuple[float, ...]:
    """Critical |t| of the looks n = low..high (Monte Carlo under the null, see above)."""
    if not 2 <= low <= high:
        raise ValueError(f"looks {low}..{high} are not allowed; need 2 <= MIN <= MAX")
    rng = np.random.default_rng(MC_SEED)
    total = np.zeros(MC_PATHS)
    squares = np.zeros(MC_PATHS)
    alive = np.ones(MC_PATHS, dtype=bool)  # paths that crossed no earlier boundary
    looks = np.arange(low, high + 1)
    budget = np.diff(np.concatenate([[0.0], spent(looks / high, alpha)]))
    critical: list[float] = []
    for n in range(1, high + 1):
        draws = rng.standard_normal(MC_PATHS)
        total += draws
        squares += draws * draws
        if n < low:
            continue
        size = np.abs(t_from_sums(total, squares, n))
        survivors = np.sort(size[alive])[::-1]
        rejected = round(float(budget[n - low]) * MC_PATHS)  # this look's share of alpha
        # the (rejected + 1)-th largest survivor: exactly `rejected` paths lie above it
        c = float(survivors[min(rejected, len(survivors) - 1)])
        critical.append(c)
        alive &= ~(size > c)
    return tuple(critical)


def critical_value(n: int, seeds: SeedCount, alpha: float) -> float:
    """|t| that look n of a sequential claim must exceed; the fixed t quantile otherwise."""
    if not seeds.sequential:
        return float(stats.t.ppf(1 - alpha / 2, df=n - 1))
    if not seeds.low <= n <= seeds.high:
        raise ValueError(f"look n={n} is outside the design {seeds}")
    return boundaries(seeds.low, seeds.high, alpha)[n - seeds.low]


FIXED = "fixed seeds"


def stop_reason(seeds: SeedCount, n: int, decided: bool) -> str | None:
    """Why look n is a claim's last (stored with it), or None to train one more seed."""
    if not seeds.sequential:
        return FIXED
    if decided:
        return f"decided at {n} seeds"
    if n >= seeds.high:
        return f"reached the maximum {seeds.high} seeds"
    return None


def is_sequential(reason: str) -> bool:
    """Whether a stored claim stopped by the sequential design (its CI is a repeated CI)."""
    return reason not in ("", FIXED)


def nominal_alpha(n: int, critical: float) -> float:
    """The two-sided fixed-sample level whose t quantile at n values is `critical`."""
    return float(2 * stats.t.sf(critical, df=n - 1))


def simulate(
    diffs: np.ndarray, seeds: SeedCount, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Run many claims at once: `diffs[i, k]` is claim i's paired difference at seed k
    (at least seeds.high columns). Returns each claim's sign of decision (+1 a better by the
    difference's sign, -1, 0 undecided) and the seeds it used; the same rule as the fixtures
    (a look decides when |t| exceeds its critical value, i.e. its interval excludes 0, and
    never when its differences have no spread, ablab.stats.flat)."""
    claims = diffs.shape[0]
    sign = np.zeros(claims, dtype=int)
    used = np.full(claims, seeds.high)
    total = np.cumsum(diffs[:, :seeds.high], axis=1)
    squares = np.cumsum(diffs[:, :seeds.high] ** 2, axis=1)
    looks = range(seeds.low, seeds.high + 1) if seeds.sequential else [seeds.low]
    for n in looks:
        t = t_from_sums(total[:, n - 1], squares[:, n - 1], n)
        spread = ~flat(diffs[:, :n], axis=1)  # the running sums' |t| would be inf or NaN
        stop = (sign == 0) & spread & (np.abs(t) > critical_value(n, seeds, alpha))
        sign[stop] = np.sign(t[stop]).astype(int)
        used[stop] = n
    return sign, used


def fixed_power(effect: float, n: int, alpha: float) -> float:
    """Power of the fixed-sample two-sided paired t-test at n seeds and standardised effect:
    the most any valid design stopping by n can reach (for comparison with the simulation)."""
    c = stats.t.ppf(1 - alpha / 2, df=n - 1)
    shift = effect * math.sqrt(n)
    return float(stats.nct.sf(c, n - 1, shift) + stats.nct.cdf(-c, n - 1, shift))
