"""The numbers behind a report: rows -> one line per cell and seed -> per-variant summary.

Each variant's control is the one its module's `CONTROL` gives it (one per group of variants
is allowed, ablab.controls; the `run` fixture stores it in each row's `control` column;
RunRow.from_stored reads older rows' `_control` param). A stored control that names no variant
of these rows (older rows, a `-k` that deselected it) falls back to the study's one declared
control that does, else to the variant of the study's first row. Each variant is compared with
its control on test accuracy by a paired t-test over the seeds both ran, Holm-corrected over the
study's comparisons.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ablab.spec import STATUSES
from ablab.stats.chance import at_or_below_chance
from ablab.stats.claims import Comparison, holm, paired_comparison
from ablab.stats.direction import direction
from ablab.stats.spread import over_seeds
from ablab.store.base import RunRow

FRAME_COLUMNS = ["id", "session_id", "study", "variant", "seed", "status", "accuracy",
                 "f1_macro", "loss", "epochs_to_target", "seconds_to_target", "target_accuracy",
                 "samples_per_second", "train_seconds", "epochs_run", "control", "at_chance",
                 "overfit_epoch", "overfit_recorded"]


RANKED_BY = {"accuracy": "acc_mean", "f1_macro": "f1_mean", "loss": "loss_mean"}


def as_float(value: Any) -> float:
    """A stored number (None for NaN, see the store) as a float."""
    return math.nan if value is None else float(value)


def rows_frame(rows: Sequence[RunRow]) -> pd.DataFrame:
    """One line per trained cell and seed; the newest row wins when a cell and seed repeat
    (reports over several sessions)."""
    records = []
    for row in rows:
        metrics, timings = row.metrics, row.timings
        records.append({
            "id": row.id, "session_id": row.session_id, "study": row.study,
            "variant": row.variant, "seed": int(row.seed), "status": row.status,
            "accuracy": as_float(metrics.get("accuracy")),
            "f1_macro": as_float(metrics.get("f1_macro")), "loss": as_float(metrics.get("loss")),
            "epochs_to_target": as_float(metrics.get("epochs_to_target")),
            "seconds_to_target": as_float(metrics.get("seconds_to_target")),
            "target_accuracy": as_float(row.experiment.get("target_accuracy")),
            "samples_per_second": as_float(timings.get("samples_per_second")),
            "train_seconds": as_float(timings.get("train_seconds")),
            "epochs_run": as_float(timings.get("epochs_run")),
            "control": row.control,
            "at_chance": stored_at_chance(metrics),
            "overfit_epoch": as_float(metrics.get("overfit_epoch")),
            "overfit_recorded": "overfit_epoch" in metrics,  # NaN is stored as null
        })
    frame = pd.DataFrame.from_records(records, columns=FRAME_COLUMNS).sort_values("id")
    frame = frame.drop_duplicates(["study", "variant", "seed"], keep="last")
    return frame.reset_index(drop=True)


def stored_at_chance(metrics: dict[str, Any]) -> bool:
    """A row's at-chance flag; rows stored before the flag existed get it from their accuracy
    and per-class supports (the same rule, ablab.stats.chance)."""
    if "at_chance" in metrics:
        return bool(metrics["at_chance"])
    support = [int(c["support"]) for c in (metrics.get("per_class") or {}).values()]
    accuracy = as_float(metrics.get("accuracy"))
    if not support or not math.isfinite(accuracy):
        return False
    return at_or_below_chance(round(accuracy * sum(support)), support)


def control_variant(study: pd.DataFrame) -> str:
    """The study's fallback control: a stored control that names a variant of these rows (the
    newest), else the first row's variant."""
    known = set(study["variant"])
    declared = [c for c in study.sort_values("id")["control"].dropna() if c in known]
    return str(declared[-1]) if declared else str(study.sort_values("id")["variant"].iloc[0])


def controls(study: pd.DataFrame) -> dict[str, str]:
    """variant -> the variant it is compared with: its own newest stored control when that is
    a variant of these rows, else the study's fallback (control_variant)."""
    fallback, known = control_variant(study), set(study["variant"])
    chosen: dict[str, str] = {}
    for variant, rows in study.sort_values("id").groupby("variant", sort=False):
        stored = [c for c in rows["control"].dropna() if c in known]
        chosen[str(variant)] = str(stored[-1]) if stored else fallback
    return chosen


def mean_ci(values: Sequence[float]) -> tuple[float, float, float, float, int]:
    """(mean, std, CI low, CI high, n) of the finite values; a t interval at 1 - ALPHA."""
    found = over_seeds(values)
    return found.mean, found.sd, found.low, found.high, found.n


def _bounded(values: Sequence[float]) -> tuple[float, float, float, float, int]:
    """mean_ci for a metric in [0, 1]: the interval is clipped to that range."""
    mean, std, low, high, n = mean_ci(values)
    return mean, std, max(low, 0.0), min(high, 1.0), n


def _paired(control: pd.DataFrame, variant: pd.DataFrame, name: str, control_name: str,
            metric: str) -> Comparison | None:
    """The paired comparison over the seeds both ran with a finite value, or None (< 2)."""
    a = variant.set_index("seed")[metric].dropna()
    b = control.set_index("seed")[metric].dropna()
    seeds = sorted(set(a.index) & set(b.index))
    if len(seeds) < 2:
        return None
    return paired_comparison([float(a[s]) for s in seeds], [float(b[s]) for s in seeds],
                             a_name=name, b_name=control_name, metric=metric)


def _to_target(group: pd.DataFrame, column: str) -> tuple[float, int]:
    reached = group[column].dropna()
    return (float(reached.mean()) if len(reached) else math.nan), len(reached)


def _overfit(group: pd.DataFrame) -> dict[str, Any]:
    """Mean overfitting epoch over the seeds whose validation loss turned up, and how many."""
    turned = group["overfit_epoch"].dropna()
    return {"overfit_epoch": float(turned.mean()) if len(turned) else math.nan,
            "overfit_turned": len(turned),
            "overfit_recorded": int(group["overfit_recorded"].sum())}


def study_summary(study: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """One line per variant (first-seen order): accuracy, macro F1 and test loss over seeds,
    the paired difference to the control (Holm-corrected p, verdict), time to target,
    throughput, status counts, how many seeds were at or below chance, and the mean epoch of
    the overfitting turn over the seeds whose validation loss turned (`overfit_turned` of
    them; the others still fell at their last epoch); `best` marks the best mean of `metric`
    in its direction (highest accuracy, lowest loss) and `runner_up` holds the best line's
    paired comparison with the second best (None elsewhere or with < 2 paired seeds)."""
    if metric not in RANKED_BY:
        raise ValueError(f"metric={metric!r} is not allowed; a study summary ranks by one of "
                         f"{', '.join(RANKED_BY)}")
    control_of = controls(study)
    groups = dict(list(study.groupby("variant", sort=False)))
    lines: list[dict[str, Any]] = []
    comparisons: list[Comparison | None] = []
    for variant, group in groups.items():
        acc, f1 = _bounded(list(group["accuracy"])), _bounded(list(group["f1_macro"]))
        loss = over_seeds(list(group["loss"]))
        epochs, reached = _to_target(group, "epochs_to_target")
        control = control_of[str(variant)]
        comparison = (None if variant == control else
                      _paired(groups[control], group, str(variant), control, metric))
        lines.append({
            "variant": variant, "n": len(group), "control": control,
            "is_control": variant in control_of.values(),
            "acc_mean": acc[0], "acc_std": acc[1], "acc_low": acc[2], "acc_high": acc[3],
            "f1_mean": f1[0], "f1_std": f1[1], "f1_low": f1[2], "f1_high": f1[3],
            "loss_mean": loss.mean, "loss_std": loss.sd,
            "diff": comparison.diff if comparison else math.nan,
            "diff_low": comparison.ci_low if comparison else math.nan,
            "diff_high": comparison.ci_high if comparison else math.nan,
            "p": comparison.p_value if comparison else math.nan,
            "has_target": bool(group["target_accuracy"].notna().any()),
            "epochs_to_target": epochs, "reached": reached,
            "seconds_to_target": _to_target(group, "seconds_to_target")[0],
            "samples_per_second": float(group["samples_per_second"].mean()),
            **{status: int((group["status"] == status).sum()) for status in STATUSES},
            "at_chance": int(group["at_chance"].sum()),
            **_overfit(group),
        })
        comparisons.append(comparison)
    _add_verdicts(lines, comparisons)
    summary = pd.DataFrame.from_records(lines)
    ranked = summary[RANKED_BY[metric]].dropna().sort_values(
        ascending=direction(metric) == "lower", kind="stable")
    summary["best"] = summary.index == (ranked.index[0] if len(ranked) else -1)
    runner_up = None
    if len(ranked) >= 2:
        best, second = (str(summary.at[i, "variant"]) for i in ranked.index[:2])
        runner_up = _paired(groups[second], groups[best], best, second, metric)
    summary["runner_up"] = pd.Series([runner_up if best_line else None
                                      for best_line in summary["best"]], dtype=object)
    return summary


def _add_verdicts(lines: list[dict[str, Any]], comparisons: list[Comparison | None]) -> None:
    """Holm over the study's comparisons, then the plain verdict from the corrected p."""
    tested = [(line, c) for line, c in zip(lines, comparisons, strict=True) if c is not None]
    adjusted = holm([c.p_value for _, c in tested]) if tested else []
    for line in lines:
        line["p_holm"] = math.nan
        line["verdict"] = "control" if line["is_control"] else "n/a: needs >= 2 paired seeds"
    for (line, comparison), p_holm in zip(tested, adjusted, strict=True):
        line["p_holm"] = p_holm
        line["verdict"] = dataclasses.replace(comparison, p_value=p_holm).verdict
