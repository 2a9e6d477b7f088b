"""`python -m ablab compare`: the regression gate. A session's cells against a baseline table,
each cell's mean over seeds judged against the baseline's spread over seeds.

A cell regresses on a metric when its mean is worse than the baseline's by more than the floor
AND either by more than k baseline standard errors or by a one-sided Welch test at alpha. The
floor keeps a real-but-tiny difference from failing a night; k x SE and the test keep seed noise
from failing it. With zero spread (a deterministic CPU run) or one seed, the floor alone decides.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats

from ablab.atomic import write_text
from ablab.export import ExportError, read_table, session_frame
from ablab.gate_table import Missing, markdown

CELL = ["study", "variant", "cell_key"]
REQUIRED = [*CELL, "seed", "status", "test_accuracy"]
OK_STATUSES = ("ok",)


@dataclass(frozen=True)
class Metric:
    """A compared column. Quality floors are absolute (in the metric's units); speed floors are
    a ratio, because seconds and samples/s scale with the machine."""

    column: str
    higher_is_better: bool
    speed: bool = False
    target: bool = False  # NaN means "target never reached", which counts against the cell


QUALITY = Metric("test_accuracy", True)
EPOCHS_TO_TARGET = Metric("epochs_to_target", False, target=True)
SPEED = (Metric("samples_per_second", True, speed=True),
         Metric("seconds_to_target", False, speed=True, target=True))


@dataclass(frozen=True)
class Thresholds:
    """The gate's tolerances (see notes/README-gate.md for why these defaults)."""

    floor: float = 0.01  # accuracy-like metrics: one point
    epochs_floor: float = 1.0  # epochs to target
    k: float = 3.0
    alpha: float = 0.01
    speed: bool = False  # timings are compared only when asked
    speed_ratio: float = 1.5

    def __post_init__(self) -> None:
        for name in ("floor", "epochs_floor", "k"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 0")
        if not 0 < self.alpha < 1:
            raise ValueError(f"--alpha={self.alpha} is not allowed; it must be in (0, 1)")
        if not self.speed_ratio >= 1:
            raise ValueError(f"--speed-ratio={self.speed_ratio} is not allowed; it must be >= 1")

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
        all_values = [float(v) for v in values]
        finite = [v for v in all_values if math.isfinite(v)]
        sd = statistics.stdev(finite) if len(finite) > 1 else 0.0
        mean = statistics.fmean(finite) if finite else math.nan
        return cls(mean, sd, len(finite), len(all_values) - len(finite))

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n > 1 else 0.0

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
    noise = limits.k * base.se
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


def compare_frames(
    baseline: pd.DataFrame, current: pd.DataFrame, limits: Thresholds,
    extra_metrics: Iterable[str] = (),
) -> tuple[list[Verdict], Missing]:
    """Verdicts for every cell both sides have, and the cells only one side has."""
    check_columns(baseline, "baseline")
    check_columns(current, "this run")
    unknown = [name for name in extra_metrics if name not in baseline.columns]
    if unknown:
        raise ExportError(f"--metric {', '.join(unknown)}: no such column in the baseline")
    base_cells = _cells(baseline)
    current_cells = _cells(current)
    metrics = metrics_for(limits, extra_metrics)
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


def _limits(args: argparse.Namespace) -> Thresholds:
    return Thresholds(floor=args.floor, epochs_floor=args.epochs_floor, k=args.k,
                      alpha=args.alpha, speed=args.speed, speed_ratio=args.speed_ratio)


def main(args: argparse.Namespace) -> int:
    limits = _limits(args)
    baseline_path = Path(args.baseline)
    baseline = read_table(baseline_path)
    if args.current is not None:
        source, current = str(args.current), read_table(Path(args.current))
    else:
        session, current = session_frame(args.db, args.session)
        source = f"session {session}"
    verdicts, missing = compare_frames(baseline, current, limits, args.metric)
    failed = any(v.regressed for v in verdicts) or (args.fail_missing and missing.any_lost)
    text = markdown(source, str(baseline_path), verdicts, missing, limits, failed,
                    args.fail_missing)
    print(text, end="")
    if args.out:
        write_text(Path(args.out), text)
    return 1 if failed else 0


def add_parser(subparsers: Any) -> None:
    defaults = Thresholds()
    parser = subparsers.add_parser(
        "compare", help="the regression gate: a session against a baseline table",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, metavar="FILE",
                        help="baseline table (.csv or .parquet) written by `ablab export`")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--session", default=None, metavar="ID",
                        help="session to judge (default: the newest in --db)")
    source.add_argument("--current", default=None, metavar="FILE",
                        help="judge an exported table instead of a database session")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="results database (default ABLAB_DB or sqlite:///results/ablab.db)")
    parser.add_argument("--out", default=None, metavar="FILE.md",
                        help="also write the Markdown report here")
    parser.add_argument("--floor", type=float, default=defaults.floor,
                        help=f"accuracy drop always tolerated (default {defaults.floor})")
    parser.add_argument("--epochs-floor", type=float, default=defaults.epochs_floor,
                        help="extra epochs to target always tolerated "
                             f"(default {defaults.epochs_floor})")
    parser.add_argument("-k", "--k", type=float, default=defaults.k,
                        help=f"baseline standard errors a drop must exceed (default {defaults.k})")
    parser.add_argument("--alpha", type=float, default=defaults.alpha,
                        help=f"one-sided Welch test level (default {defaults.alpha})")
    parser.add_argument("--metric", action="append", default=[], metavar="COLUMN",
                        help="also gate this higher-is-better column (e.g. f1_macro); repeatable")
    parser.add_argument("--speed", action="store_true",
                        help="also gate samples_per_second and seconds_to_target (only on a "
                             "fixed, otherwise idle machine)")
    parser.add_argument("--speed-ratio", type=float, default=defaults.speed_ratio,
                        help="with --speed: how many times slower a cell may get "
                             f"(default {defaults.speed_ratio})")
    parser.add_argument("--fail-missing", action="store_true",
                        help="also fail when baseline cells are missing from the run or their "
                             "experiment changed (CI: the baseline must be refreshed)")
    parser.set_defaults(func=main)
