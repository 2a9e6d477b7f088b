"""The claim shapes beyond a plain paired test: non-inferiority and a trend over variants."""

from __future__ import annotations

import pytest

from ablab.stats.claims import paired_comparison, trend_test


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
