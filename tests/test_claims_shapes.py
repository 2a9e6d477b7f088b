"""The claim shapes beyond a plain paired test: non-inferiority and a trend over variants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ablab.stats.claims import Comparison, Trend, holm, paired_comparison, trend_test
from ablab.stats.flat import NO_SPREAD
from ablab.stats.sequential import SeedCount, critical_value, simulate, stop_reason


def test_not_worse_reads_the_lower_bound() -> None:
    tied = paired_comparison([0.90, 0.91, 0.92], [0.905, 0.905, 0.915])
    assert tied.not_worse(0.02)
    assert not tied.not_worse(0.0)  # its CI reaches below zero
    worse = paired_comparison([0.80, 0.81, 0.79], [0.90, 0.91, 0.905])
    assert not worse.not_worse(0.02)


def test_rising_trend_is_detected_with_its_interval() -> None:
    found = trend_test([[0.50, 0.52, 0.51], [0.62, 0.63, 0.61], [0.93, 0.94, 0.92]],
                       names=["w0", "w1", "w2"])
    assert found.verdict == "rising"
    assert 0 < found.ci_low < found.slope < found.ci_high
    assert found.n == 3
    assert found.means == pytest.approx((0.51, 0.62, 0.93))
    assert "w0 < w1 < w2" in found.describe()


def test_flat_and_falling_trends() -> None:
    flat = trend_test([[0.5, 0.6, 0.4], [0.6, 0.4, 0.5]], names=["a", "b"])
    assert flat.verdict == "no detectable trend"
    falling = trend_test([[0.9, 0.91, 0.92], [0.5, 0.52, 0.5]], names=["a", "b"])
    assert falling.verdict == "falling"
    assert falling.ci_high < 0


def test_a_trend_needs_named_variants_and_seeds() -> None:
    with pytest.raises(ValueError, match="named variants"):
        trend_test([[0.5, 0.6]], names=["only"])
    with pytest.raises(ValueError, match="n >= 2"):
        trend_test([[0.5], [0.6]], names=["a", "b"])


def test_decided_against_zero_or_a_non_inferiority_margin() -> None:
    tied = paired_comparison([0.90, 0.91, 0.92], [0.905, 0.905, 0.915])  # CI [-0.013, +0.016]
    assert not tied.decided()  # straddles 0
    assert tied.decided(margin=0.05)  # wholly above -0.05: not more than 0.05 worse
    assert not tied.decided(margin=0.01)  # straddles -0.01
    loss = paired_comparison([0.30, 0.31, 0.32], [0.305, 0.305, 0.315], metric="loss")
    assert loss.decided(margin=0.05)  # lower is better: the margin lies at +0.05
    assert not loss.decided(margin=0.01)  # straddles +0.01


def test_a_sequential_look_reports_the_repeated_interval() -> None:
    a, b = [0.90, 0.93, 0.92, 0.95], [0.88, 0.90, 0.91, 0.92]
    fixed = paired_comparison(a, b)
    wide = paired_comparison(a, b, critical=10.0)
    assert wide.diff == fixed.diff
    assert wide.p_value == fixed.p_value
    assert wide.ci_low < fixed.ci_low < fixed.ci_high < wide.ci_high
    assert fixed.verdict == "better"
    assert wide.verdict == "no detectable difference"  # |t| = 4.9 is under this look's 10
    assert wide.nominal_alpha == pytest.approx(0.0021, abs=1e-4)  # 2 P(t_3 > 10)
    assert "95% repeated CI (nominal 99.79% at this look)" in wide.describe()


def test_a_sequential_trend_look_widens_its_interval_the_same_way() -> None:
    values = [[0.50, 0.52, 0.51, 0.49], [0.55, 0.58, 0.54, 0.56]]
    fixed = trend_test(values, names=["a", "b"])
    wide = trend_test(values, names=["a", "b"], critical=30.0)
    assert fixed.verdict == "rising"
    assert wide.verdict == "no detectable trend"
    assert wide.ci_low < 0 < wide.ci_high
    assert not wide.decided()
    assert fixed.decided()


def test_a_trend_over_seeds_with_identical_slopes_is_undecided() -> None:
    # Issue 19: 2 seeds, the same slope on both, was reported "p=0, rising".
    found = trend_test([[0.50, 0.70], [0.60, 0.80]], names=["a", "b"])
    assert found.verdict == NO_SPREAD == "undecided: no spread"
    assert not found.spread
    assert not found.decided()
    assert found.slope == pytest.approx(0.1)
    assert [math.isnan(v) for v in (found.ci_low, found.ci_high, found.p_value)] == [True] * 3
    assert "undecided: no spread (slope +0.100/step on every one of n=2 seeds" in found.describe()
    assert "p=" not in found.describe()
    assert found.as_dict()["verdict"] == NO_SPREAD


def test_a_comparison_with_one_difference_on_every_seed_is_undecided() -> None:
    # 0.9 - 0.8 and 0.4 - 0.3 differ in the last bits: rounding is not spread.
    a, b = [0.9, 0.4, 0.7], [0.8, 0.3, 0.6]
    assert len({x - y for x, y in zip(a, b, strict=True)}) > 1
    shifted = paired_comparison(a, b)
    same = paired_comparison(a, a)
    for found in (shifted, same):
        assert found.verdict == NO_SPREAD, found.describe()
        assert (found.decided(), found.decided(margin=0.5)) == (False, False)
        assert not found.not_worse(0.5)  # no CI: nothing to claim non-inferiority at
        assert [math.isnan(v) for v in (found.ci_low, found.ci_high, found.p_value)] == [True] * 3
    assert "diff +0.100 on every one of n=3 seeds: no spread to test against" in (
        shifted.describe())
    # the smallest real spread is still tested
    assert paired_comparison(a, [0.8, 0.3, 0.601]).verdict == "better"


def test_every_verdict_a_claim_returns_is_listed() -> None:
    assert set(Comparison.VERDICTS) == {"better", "worse", "no detectable difference", NO_SPREAD}
    assert set(Trend.VERDICTS) == {"rising", "falling", "no detectable trend", NO_SPREAD}


def test_seeds_until_decisive_trains_on_without_spread() -> None:
    seeds = SeedCount(2, 4)
    found = paired_comparison([0.9, 0.95], [0.8, 0.85], critical=critical_value(2, seeds, 0.05))
    assert stop_reason(seeds, 2, found.decided()) is None  # one more seed, not "decided"
    assert stop_reason(seeds, 4, found.decided()) == "reached the maximum 4 seeds"
    # The vectorised rule agrees: a claim whose differences never spread is never decided.
    diffs = np.array([[0.1, 0.1, 0.1, 0.1], [0.1, 0.12, 0.11, 0.13]])
    sign, used = simulate(diffs, seeds, 0.05)
    assert (sign[0], used[0]) == (0, 4)
    assert sign[1] == 1


def test_holm_leaves_untested_comparisons_out_of_the_family() -> None:
    adjusted = holm([0.01, math.nan, 0.04])
    assert adjusted[0] == pytest.approx(0.02)  # two tests, not three
    assert adjusted[2] == pytest.approx(0.04)
    assert math.isnan(adjusted[1])
