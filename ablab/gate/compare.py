"""`python -m ablab compare`: the regression gate. A session's cells against a baseline table,
each cell's mean over seeds judged against the spread over seeds of *both* sides.

A cell regresses on a metric when its mean is worse than the baseline's by more than the floor
AND by more than k standard errors of the difference of the two means, sqrt(se_b^2 + se_c^2),
or by a one-sided Welch test at alpha. Both read one statistic, Welch's t = drop / that standard
error: k x SE is a fixed cut on it, the test a cut that knows how few seeds gave it (at 3 + 3
seeds p < 0.01 needs t > 3.7). The floor keeps a real-but-tiny difference from failing a night;
the two cuts keep seed noise from failing it. With zero spread on both sides (a deterministic CPU
run) or one seed on both, the floor alone decides: there is no spread to weigh the drop against,
and a deterministic run repeats exactly, so any change beyond the floor is real
(docs/regression-gate.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
from scipy import stats

from ablab.gate.export import ExportError
from ablab.gate.verdicts import (
    EPOCHS_TO_TARGET,
    QUALITY,
    SPEED,
    Metric,
    Missing,
    Summary,
    Thresholds,
    Verdict,
)

CELL = ["study", "variant", "cell_key"]
# --match variant: pair cells by study and variant alone, for a deliberate what-if run whose
# experiments differ from the baseline's on purpose (e.g. `--ablab-set label_noise=0.6`).
MATCHES = ("cell", "variant")
ANY_KEY = "(any)"
REQUIRED = [*CELL, "seed", "status", "accuracy"]
OK_STATUSES = ("ok",)


def one_sided_p(base: Summary, current: Summary, higher_is_better: bool) -> float | None:
    """Welch's one-sided p-value that `current` is worse than `base`; None without spread or
    with fewer than two seeds on a side (the test is undefined there)."""
    if base.n < 2 or current.n < 2:
        return None
    if base.sd == 0 and current.sd == 0:
        return None
    result = stats.ttest_ind_from_stats(
        current.mean, current.sd, current.n, base.mean, base.sd, base.n, equal_var=False,
        alternative="less" if higher_is_better else "greater")
    return float(result.pvalue)


def judge(
    metric: Metric, base: Summary, current: Summary, limits: Thresholds
) -> tuple[str, float, float | None]:
    """(verdict, allowed worsening, p-value) of one metric of one cell."""
    if metric.target and current.unreached / max(current.n + current.unreached, 1) > (
        base.unreached / max(base.n + base.unreached, 1)
    ):
        return "REGRESSED", math.nan, None  # more seeds miss the target than in the baseline
    if current.n == 0 or base.n == 0:
        return "ok", math.nan, None
    sign = 1.0 if metric.higher_is_better else -1.0
    worse = sign * (base.mean - current.mean)
    allowed = limits.allowed(metric, base.mean)
    noise = limits.k * base.se_of_difference(current)
    p = one_sided_p(base, current, metric.higher_is_better)
    significant = p is not None and p < limits.alpha
    if worse > allowed and (worse > noise or significant):
        return "REGRESSED", allowed, p
    if -worse > allowed and -worse > noise:
        return "improved", allowed, p
    return "ok", allowed, p


def _verdict(cell: tuple[str, ...], metric: Metric, base: pd.Series, current: pd.Series,
             limits: Thresholds) -> Verdict | None:
    b, c = Summary.of(base), Summary.of(current)
    if b.n == 0 and b.unreached == 0:
        return None  # the baseline has nothing to hold this cell to
    verdict, allowed, p = judge(metric, b, c, limits)
    change = c.mean - b.mean
    return Verdict(cell[0], cell[1], metric.column, b.describe(), c.describe(),
                   "n/a" if math.isnan(change) else f"{change:+.4g}",
                   "n/a" if math.isnan(allowed) else f"{allowed:.4g}",
                   "n/a" if p is None else f"{p:.3g}", verdict)


def _status_verdict(cell: tuple[str, ...], base: pd.Series, current: pd.Series) -> Verdict:
    """A status the baseline never had (diverged, collapsed) is a regression in itself."""
    new_bad = sorted(set(current) - set(base) - set(OK_STATUSES))
    return Verdict(cell[0], cell[1], "status", _counts(base), _counts(current), "", "", "",
                   "REGRESSED" if new_bad else "ok")


def _counts(statuses: pd.Series) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(statuses.value_counts().items()))


def metrics_for(limits: Thresholds, extra: Iterable[str]) -> list[Metric]:
    chosen = [QUALITY, *(Metric(name, True) for name in extra), EPOCHS_TO_TARGET]
    return chosen + list(SPEED) if limits.speed else chosen


def _cells(frame: pd.DataFrame) -> dict[tuple[str, ...], pd.DataFrame]:
    """(study, variant, cell_key) -> that cell's rows, one per seed."""
    return {tuple(str(part) for part in cell): rows
            for cell, rows in frame.groupby(CELL, sort=True)}


def check_columns(frame: pd.DataFrame, what: str) -> None:
    if frame.empty:
        raise ExportError(f"{what} has no rows")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ExportError(f"{what} lacks column(s) {', '.join(missing)}; "
                          f"it needs {', '.join(REQUIRED)} (write it with `python -m ablab "
                          f"export`)")


def _check_numbers(frame: pd.DataFrame, what: str, columns: Iterable[str]) -> None:
    """The gated columns hold numbers (NaN allowed): a text value in an edited table, or a
    text column given to --metric, is one line naming it, not pandas' own error."""
    for column in columns:
        if column in frame.columns and not pd.api.types.is_numeric_dtype(frame[column]):
            found = pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()
            example = frame[column][found].iloc[0] if found.any() else frame[column].iloc[0]
            raise ExportError(f"{what}: column {column} holds {example!r}, not a number; a "
                              "gated column (accuracy, --metric, timings) must be numeric")


def compare_frames(
    baseline: pd.DataFrame, current: pd.DataFrame, limits: Thresholds,
    extra_metrics: Iterable[str] = (), match: str = "cell",
) -> tuple[list[Verdict], Missing]:
    """Verdicts for every cell both sides have, and the cells only one side has; `match`
    "variant" ignores the experiment key (see MATCHES)."""
    check_columns(baseline, "baseline")
    check_columns(current, "this run")
    if match not in MATCHES:
        raise ExportError(f"--match {match}: choose one of {', '.join(MATCHES)}")
    if match == "variant":
        baseline, current = baseline.assign(cell_key=ANY_KEY), current.assign(cell_key=ANY_KEY)
    unknown = [name for name in extra_metrics if name not in baseline.columns]
    if unknown:
        raise ExportError(f"--metric {', '.join(unknown)}: no such column in the baseline")
    metrics = metrics_for(limits, extra_metrics)
    for frame, what in ((baseline, "baseline"), (current, "this run")):
        _check_numbers(frame, what, [m.column for m in metrics])
    base_cells = _cells(baseline)
    current_cells = _cells(current)
    verdicts: list[Verdict] = []
    for cell in sorted(set(base_cells) & set(current_cells)):
        b, c = base_cells[cell], current_cells[cell]
        verdicts.append(_status_verdict(cell, b["status"], c["status"]))
        for metric in metrics:
            if metric.column in b.columns and metric.column in c.columns:
                found = _verdict(cell, metric, b[metric.column], c[metric.column], limits)
                if found is not None:
                    verdicts.append(found)
    return verdicts, Missing.between(set(base_cells), set(current_cells))
