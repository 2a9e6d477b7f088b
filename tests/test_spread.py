"""One summary over seeds: the terminal table, REPORT.md and the gate report the same numbers."""

from __future__ import annotations

import math

import pytest

from ablab.gate.verdicts import Summary
from ablab.stats.seeds import mean_ci
from ablab.stats.spread import over_seeds
from ablab.terminal import mean_std

SEEDS = [0.91, 0.87, math.nan, 0.9]


def test_terminal_report_and_gate_agree_on_mean_spread_and_n() -> None:
    found = over_seeds(SEEDS)
    assert (found.n, found.nonfinite) == (3, 1)
    assert found.mean == pytest.approx(0.8933333, abs=1e-6)
    assert found.low < found.mean < found.high
    assert mean_std(SEEDS) == f"{found.mean:.3f} ± {found.sd:.3f}"
    assert mean_ci(SEEDS) == (found.mean, found.sd, found.low, found.high, found.n)
    gate = Summary.of(SEEDS)
    assert (gate.mean, gate.sd, gate.n, gate.unreached) == (found.mean, found.sd, 3, 1)


def test_one_seed_has_a_mean_and_no_spread() -> None:
    assert mean_std([0.5, None]) == "0.500"
    assert math.isnan(over_seeds([0.5]).sd)
    assert Summary.of([0.5]).sd == 0.0  # the gate's floor alone decides (regression-gate.md)
    assert mean_std([None, math.nan]) == "n/a"
