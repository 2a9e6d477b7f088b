"""Calibration of claims, measured without training: per-seed scores are drawn from known
distributions, and the same decision rule as the claim fixtures (ablab.stats.sequential and
ablab.stats.claims) runs over many simulated claims at once.

Scores: variant a's score on seed s is base_s + effect + noise, b's is base_s + noise, with a
per-seed base shared by both (what pairing by seed removes) and independent normal noise of SD
NOISE_SD per variant. The effect size d is measured in standard deviations of the per-seed
paired difference a - b (SD = NOISE_SD * sqrt(2)), the quantity the paired t-test divides by.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ablab.stats.claims import ALPHA, paired_comparison
from ablab.stats.sequential import (
    MC_PATHS,
    SeedCount,
    critical_value,
    fixed_power,
    simulate,
    stop_reason,
)

CLAIMS = 100_000  # simulated claims per setting (vectorised: about a second in all)
NOISE_SD = 0.01  # per variant and seed, e.g. test accuracy
DIFF_SD = NOISE_SD * math.sqrt(2)  # SD of the paired difference: the unit of d
SEQUENTIAL = SeedCount(3, 10)
# Monte Carlo tolerance on a rate near alpha: 3 binomial standard errors of the simulation
# (3 * sqrt(.05 * .95 / 1e5) = 0.0021) plus 3 of the boundaries' own simulation (MC_PATHS).
TOLERANCE = 3 * math.sqrt(ALPHA * (1 - ALPHA)) * (1 / math.sqrt(CLAIMS) + 1 / math.sqrt(MC_PATHS))


def scores(d: float, seed: int, seeds: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(a, b): CLAIMS x seeds per-seed scores with a true difference of d paired SDs."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.9, 0.03, size=(CLAIMS, seeds))
    a = base + d * DIFF_SD + rng.normal(0.0, NOISE_SD, size=(CLAIMS, seeds))
    b = base + rng.normal(0.0, NOISE_SD, size=(CLAIMS, seeds))
    return a, b


def rates(d: float, count: SeedCount, seed: int) -> tuple[float, float, float]:
    """(rate of better or worse, rate of better, mean seeds used) over CLAIMS claims."""
    a, b = scores(d, seed)
    sign, used = simulate(a - b, count, ALPHA)
    return float(np.mean(sign != 0)), float(np.mean(sign > 0)), float(np.mean(used))


def naive_rate(seed: int) -> float:
    """Optional stopping done wrong: the fixed 95% t-test after every seed from 3 to 10."""
    a, b = scores(0.0, seed)
    hit = np.zeros(CLAIMS, dtype=bool)
    for n in range(SEQUENTIAL.low, SEQUENTIAL.high + 1):
        sign, _ = simulate((a - b)[:, :n], SeedCount(n, n), ALPHA)
        hit |= sign != 0
    return float(np.mean(hit))


def test_false_positives_stay_at_alpha_with_and_without_seeds_until_decisive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fixed3, _, _ = rates(0.0, SeedCount(3, 3), seed=1)
    fixed10, _, _ = rates(0.0, SeedCount(10, 10), seed=2)
    sequential, _, seeds_used = rates(0.0, SEQUENTIAL, seed=3)
    naive = naive_rate(seed=4)
    with capsys.disabled():
        print(f"\nno true difference, {CLAIMS} claims each, alpha {ALPHA}: false-positive rate "
              f"fixed 3 seeds {fixed3:.4f}, fixed 10 seeds {fixed10:.4f}, seeds until decisive "
              f"3..10 {sequential:.4f} (mean {seeds_used:.2f} seeds); naive re-testing after "
              f"every seed {naive:.4f} (tolerance {TOLERANCE:.4f})")
    assert fixed3 <= ALPHA + TOLERANCE
    assert fixed10 <= ALPHA + TOLERANCE
    assert sequential <= ALPHA + TOLERANCE
    # The check has teeth: re-testing at 95% after every seed inflates the rate (about 0.13).
    assert naive > ALPHA + 10 * TOLERANCE


def test_a_one_sd_difference_is_detected_within_10_seeds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    detected, right_way, seeds_used = rates(1.0, SEQUENTIAL, seed=5)
    fixed10, _, _ = rates(1.0, SeedCount(10, 10), seed=6)
    larger, _, larger_seeds = rates(1.2, SEQUENTIAL, seed=7)
    bound = fixed_power(1.0, 10, ALPHA)
    with capsys.disabled():
        print(f"\ntrue difference d = 1 paired SD, {CLAIMS} claims: detected within 10 seeds "
              f"{detected:.4f} by seeds until decisive 3..10 (right direction {right_way:.4f}, "
              f"mean {seeds_used:.2f} seeds); fixed 10 seeds {fixed10:.4f} (exact "
              f"{bound:.4f}, the most any valid test stopping by 10 seeds can reach); "
              f"d = 1.2: {larger:.4f} (mean {larger_seeds:.2f} seeds)")
    # Measured 0.740: the 80 % is not reached at d = 1. The fixed 10-seed t-test gets
    # 0.803, and every early look costs some of it; see docs/studies.md. Asserted as measured.
    assert detected >= 0.74 - 3 * math.sqrt(0.74 * 0.26 / CLAIMS)
    assert abs(fixed10 - bound) <= 3 * math.sqrt(bound * (1 - bound) / CLAIMS)
    assert detected <= bound + 3 * math.sqrt(bound * (1 - bound) / CLAIMS)
    assert larger >= 0.80  # measured 0.88: the 80 % is reached a little above d = 1
    assert right_way == detected  # a wrong-sign decision at d = 1 is practically impossible
    assert seeds_used < 9.0  # and the decided ones stop early


@pytest.mark.parametrize("d", [0.0, 1.0, 3.0])
def test_the_simulation_decides_as_the_claim_fixtures_do(d: float) -> None:
    """The vectorised rule against the fixtures' path, claim by claim: paired_comparison at
    each look's critical value, stopping when stop_reason says so."""
    a, b = scores(d, seed=8)
    sign, used = simulate(a[:300] - b[:300], SEQUENTIAL, ALPHA)
    for i in range(300):
        for n in range(SEQUENTIAL.low, SEQUENTIAL.high + 1):
            found = paired_comparison(a[i, :n].tolist(), b[i, :n].tolist(),
                                      critical=critical_value(n, SEQUENTIAL, ALPHA))
            stopped = stop_reason(SEQUENTIAL, n, found.decided())
            if stopped is not None:
                break
        assert used[i] == n
        expected = {"better": 1, "worse": -1}.get(found.verdict, 0)
        assert sign[i] == expected, (i, found.describe())
