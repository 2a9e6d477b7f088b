"""The gate's decision rule on hand-made seeds: floor, k x SE of the difference, Welch test,
zero spread, n=1, unreached targets, speed and --match variant."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ablab.gate.compare import compare_frames, judge, one_sided_p
from ablab.gate.export import ExportError
from ablab.gate.verdicts import EPOCHS_TO_TARGET, QUALITY, SPEED, Summary, Thresholds

LIMITS = Thresholds()


def verdict(base: list[float], current: list[float], limits: Thresholds = LIMITS) -> str:
    return judge(QUALITY, Summary.of(base), Summary.of(current), limits)[0]


def test_zero_spread_uses_the_floor_alone() -> None:
    """Deterministic CPU seeds: any drop beyond the floor is real, any drop within it passes."""
    assert verdict([0.90, 0.92, 0.94], [0.90, 0.92, 0.94]) == "ok"
    assert verdict([0.90, 0.90, 0.90], [0.895, 0.895, 0.895]) == "ok"
    assert verdict([0.90, 0.90, 0.90], [0.885, 0.885, 0.885]) == "REGRESSED"
    assert verdict([0.90, 0.90, 0.90], [0.93, 0.93, 0.93]) == "improved"


def test_one_seed_has_no_spread_so_the_floor_decides() -> None:
    assert verdict([0.90], [0.895]) == "ok"
    assert verdict([0.90], [0.85]) == "REGRESSED"
    assert one_sided_p(Summary.of([0.9]), Summary.of([0.8]), True) is None


def test_noisy_baseline_needs_k_standard_errors_or_the_test() -> None:
    noisy = [0.80, 0.90, 0.85, 0.95, 0.75]  # sd 0.079, SE 0.035: 3 SE = 0.106
    assert verdict(noisy, [0.83, 0.78, 0.88, 0.73, 0.83]) == "ok"  # 4 points down: within noise
    assert verdict(noisy, [0.70, 0.71, 0.69, 0.70, 0.70]) == "REGRESSED"  # 15 points down
    # 6 points down, under 3 SE, but tight current seeds make Welch's test significant
    p = one_sided_p(Summary.of(noisy), Summary.of([0.79, 0.79, 0.79, 0.79, 0.79]), True)
    assert p is not None
    assert p < 0.1
    assert verdict(noisy, [0.79] * 5, Thresholds(alpha=0.1)) == "REGRESSED"
    assert verdict(noisy, [0.79] * 5, Thresholds(alpha=0.01)) == "ok"


def test_a_noisy_run_is_judged_by_both_sides_spread() -> None:
    """A quiet baseline (SE 0.0006) and a noisy run (SE 0.043): a 2-point drop is 0.5 standard
    errors of the difference, seed noise, though it is 40 baseline standard errors (the old
    rule's k x baseline SE flagged it)."""
    quiet, noisy = [0.900, 0.901, 0.899], [0.80, 0.95, 0.88]
    assert verdict(quiet, noisy) == "ok"
    assert verdict(quiet, [0.85, 0.86, 0.84]) == "REGRESSED"  # 5 points with tight seeds
    spread = Summary.of(quiet).se_of_difference(Summary.of(noisy))
    assert spread == pytest.approx(math.hypot(0.001 / math.sqrt(3), 0.075055 / math.sqrt(3)),
                                   rel=1e-4)


def test_one_seed_on_one_side_weighs_the_other_sides_spread() -> None:
    """One seed has no known spread (0): the other side's SE alone is the difference's."""
    noisy = [0.80, 0.95, 0.88]
    assert Summary.of([0.9]).se_of_difference(Summary.of(noisy)) == Summary.of(noisy).se
    assert verdict([0.90], noisy) == "ok"  # 2 points down, well inside 3 x 0.043
    assert verdict([0.90], [0.70, 0.71, 0.69]) == "REGRESSED"


def test_floor_zero_makes_any_beyond_noise_drop_fail() -> None:
    assert verdict([0.9] * 3, [0.899] * 3, Thresholds(floor=0)) == "REGRESSED"


def test_welch_p_is_one_sided() -> None:
    base, worse = Summary.of([0.9, 0.91, 0.92]), Summary.of([0.8, 0.81, 0.82])
    p_worse = one_sided_p(base, worse, higher_is_better=True)
    p_better = one_sided_p(worse, base, higher_is_better=True)
    assert p_worse is not None
    assert p_worse < 0.001
    assert p_better is not None
    assert p_better > 0.999


def test_epochs_to_target_lower_is_better_and_unreached_counts() -> None:
    def epochs(base: list[float], current: list[float]) -> str:
        return judge(EPOCHS_TO_TARGET, Summary.of(base), Summary.of(current), LIMITS)[0]

    assert epochs([3, 3, 3], [3, 4, 3]) == "ok"  # a third of an epoch: under the floor
    assert epochs([3, 3, 3], [5, 5, 5]) == "REGRESSED"
    assert epochs([3, 3, 3], [3, 3, math.nan]) == "REGRESSED"  # one seed never got there
    assert epochs([3, math.nan, 3], [3, math.nan, 3]) == "ok"


def test_speed_uses_a_ratio() -> None:
    samples_per_second = SPEED[0]
    base = Summary.of([1000.0, 1010.0, 990.0])

    def speed(current: list[float]) -> str:
        return judge(samples_per_second, base, Summary.of(current), LIMITS)[0]

    assert speed([700.0, 705.0, 695.0]) == "ok"  # 30 % slower: within 1.5x
    assert speed([600.0, 605.0, 595.0]) == "REGRESSED"  # 1.67x slower


def frame(accuracy: list[float], samples_per_second: list[float]) -> pd.DataFrame:
    n = len(accuracy)
    return pd.DataFrame({"study": ["s"] * n, "variant": ["v"] * n, "cell_key": ["c"] * n,
                         "seed": range(n), "status": ["ok"] * n, "accuracy": accuracy,
                         "samples_per_second": samples_per_second})


def test_speed_is_gated_only_when_asked() -> None:
    base, slow = frame([0.9, 0.9], [1000.0, 1000.0]), frame([0.9, 0.9], [100.0, 100.0])
    quiet, _ = compare_frames(base, slow, Thresholds())
    assert not any(v.regressed for v in quiet)
    assert "samples_per_second" not in {v.metric for v in quiet}
    loud, _ = compare_frames(base, slow, Thresholds(speed=True))
    assert [v.metric for v in loud if v.regressed] == ["samples_per_second"]


def test_a_new_bad_status_is_a_regression() -> None:
    base, current = frame([0.9, 0.9], [1.0, 1.0]), frame([0.9, 0.9], [1.0, 1.0])
    current.loc[1, "status"] = "diverged"
    verdicts, _ = compare_frames(base, current, LIMITS)
    assert [(v.metric, v.verdict) for v in verdicts if v.regressed] == [("status", "REGRESSED")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("alpha", 0.0, "--alpha"), ("k", -1.0, "--k"), ("speed_ratio", 0.5, "--speed-ratio"),
     ("floor", math.nan, "--floor"), ("k", math.inf, "--k=inf"),  # inf: a gate that never fails
     ("speed_ratio", math.inf, "--speed-ratio=inf")],
)
def test_thresholds_are_validated(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Thresholds(**{field: value})  # type: ignore[arg-type]  # one float field per case


def test_match_variant_pairs_cells_whose_experiment_changed() -> None:
    """The label-noise drill: same study and variant, another experiment key."""
    base = frame([0.9, 0.91, 0.92], [1.0] * 3)
    noisy = frame([0.5, 0.52, 0.51], [1.0] * 3).assign(cell_key="noisy")
    by_cell, missing = compare_frames(base, noisy, LIMITS)
    assert not by_cell
    assert [(b[2], c[2]) for b, c in missing.changed] == [("c", "noisy")]
    by_variant, missing = compare_frames(base, noisy, LIMITS, match="variant")
    assert [(v.metric, v.verdict) for v in by_variant if v.regressed] == [
        ("accuracy", "REGRESSED")]
    assert not missing.any_lost
    with pytest.raises(ExportError, match="--match key: choose one of cell, variant"):
        compare_frames(base, noisy, LIMITS, match="key")
