"""The report's statistics against known cases."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from ablab.report.markdown import findings, summary_markdown
from ablab.stats.flat import NO_SPREAD
from ablab.stats.seeds import control_variant, mean_ci, rows_frame, study_summary
from ablab.store.base import RunRow
from tests.report_rows import row, study_rows

BASE = [0.80, 0.82, 0.79, 0.81, 0.83]


def summary_of(rows: list[RunRow]) -> dict[str, dict[str, Any]]:
    table = study_summary(rows_frame(rows))
    return {str(line["variant"]): dict(line) for _, line in table.iterrows()}


def test_identical_variant_is_undecided_without_spread() -> None:
    # The same difference (0) on every seed: a t-test has nothing to divide by.
    table = study_summary(rows_frame(study_rows({"same": [0.0] * 5, "up": [0.05] * 5}, BASE)))
    lines = {str(line["variant"]): dict(line) for _, line in table.iterrows()}
    for name, diff in (("same", 0.0), ("up", 0.05)):
        assert lines[name]["verdict"] == NO_SPREAD
        assert lines[name]["diff"] == pytest.approx(diff)
        assert math.isnan(lines[name]["p_holm"])  # not one of Holm's tests
    assert lines["ctl"]["verdict"] == "control"
    text = findings(table)
    assert "Undecided against the control (the same difference on every seed, no spread to " \
           "test against): `same`, `up`." in text
    assert "Holm-corrected over the 0 comparisons" in text
    assert "| undecided: no spread |" in summary_markdown(table)


def test_shifted_variants_are_better_and_worse() -> None:
    noise = [0.004, -0.003, 0.002, -0.001, 0.0]
    rows = study_rows({"up": [0.05 + n for n in noise], "down": [-0.05 + n for n in noise]},
                      BASE)
    lines = summary_of(rows)
    assert lines["up"]["verdict"] == "better"
    assert lines["down"]["verdict"] == "worse"
    assert lines["up"]["best"]
    assert lines["up"]["runner_up"].b == "ctl"  # the second best, compared paired by seed
    assert lines["up"]["runner_up"].verdict == "better"
    assert lines["down"]["runner_up"] is None
    assert lines["up"]["diff_low"] > 0
    # Holm never lowers a p-value; with two tests the smaller one is doubled.
    assert lines["up"]["p_holm"] >= lines["up"]["p"]


def test_noisy_small_shift_is_not_declared_real() -> None:
    noise = [0.03, -0.04, 0.05, -0.03, 0.0]
    lines = summary_of(study_rows({"noisy": [0.002 + n for n in noise]}, BASE))
    assert lines["noisy"]["verdict"] == "no detectable difference"


def test_holm_can_turn_a_raw_rejection_into_no_difference() -> None:
    # Each variant alone would pass at 0.05 (raw p ~0.02-0.04); Holm over several must not.
    noise = [0.01, -0.012, 0.011, -0.009, 0.0]
    shifts = {f"v{i}": [0.015 + n for n in noise] for i in range(4)}
    lines = summary_of(study_rows(shifts, BASE))
    raw = lines["v0"]["p"]
    assert raw < 0.05
    assert lines["v0"]["p_holm"] == pytest.approx(min(1.0, 4 * raw))
    assert lines["v0"]["verdict"] == "no detectable difference"


def test_control_is_declared_else_first_row() -> None:
    rows = study_rows({"b": [0.0] * 3}, BASE[:3])
    assert control_variant(rows_frame(rows)) == "ctl"
    declared = study_rows({"b": [0.0] * 3}, BASE[:3], control="b")
    assert control_variant(rows_frame(declared)) == "b"
    unknown = study_rows({"b": [0.0] * 3}, BASE[:3], control="not-run")
    assert control_variant(rows_frame(unknown)) == "ctl"
    # Rows written before the control column kept it in params.
    legacy = [RunRow.from_stored({**dataclasses.asdict(r), "control": None,
                                  "params": {"_control": "b"}}) for r in rows]
    assert control_variant(rows_frame(legacy)) == "b"


def test_one_seed_gives_no_interval_and_no_verdict() -> None:
    rows = [row(0, "ctl", 0, 0.8), row(1, "x", 0, 0.9)]
    lines = summary_of(rows)
    assert math.isnan(lines["x"]["acc_low"])
    assert lines["x"]["verdict"] == "n/a: needs >= 2 paired seeds"


def test_mean_ci_matches_a_t_interval() -> None:
    mean, std, low, high, n = mean_ci([1.0, 2.0, 3.0])
    assert (mean, std, n) == (2.0, 1.0, 3)
    assert high - mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)  # t(0.975, 2)
    assert mean - low == pytest.approx(high - mean)
    assert mean_ci([math.nan])[4] == 0


def test_status_counts_time_to_target_and_best_mark() -> None:
    rows = [row(0, "ctl", 0, 0.8, target=0.7, epochs_to_target=2),
            row(1, "ctl", 1, 0.8, target=0.7, epochs_to_target=None),
            row(2, "x", 0, 0.9, target=0.7, epochs_to_target=1, status="collapsed"),
            row(3, "x", 1, 0.9, target=0.7, epochs_to_target=1, status="diverged")]
    table = study_summary(rows_frame(rows))
    text = summary_markdown(table)
    assert "2.0 (1/2)" in text  # the control reached the target on one seed of two
    assert "| **x** (best)" in text
    assert "0 / 1 / 1" in text
    assert "2 / 0 / 0" in text


def test_newest_row_wins_when_a_cell_repeats() -> None:
    rows = [row(0, "ctl", 0, 0.5), row(1, "ctl", 0, 0.7)]
    frame = rows_frame(rows)
    assert list(frame["accuracy"]) == [0.7]


def test_on_loss_the_lowest_mean_is_best_and_a_drop_is_better() -> None:
    noise = [0.004, -0.003, 0.002, -0.001, 0.0]
    rows = study_rows({"up": [0.05 + n for n in noise], "down": [-0.05 + n for n in noise]},
                      BASE)  # test loss is 1 - accuracy in these rows
    table = study_summary(rows_frame(rows), metric="loss")
    lines = {str(line["variant"]): dict(line) for _, line in table.iterrows()}
    assert lines["up"]["best"]
    assert lines["up"]["loss_mean"] < lines["ctl"]["loss_mean"]
    assert lines["up"]["diff"] < 0
    assert (lines["up"]["verdict"], lines["down"]["verdict"]) == ("better", "worse")
    with pytest.raises(ValueError, match="metric='overfit_gap' is not allowed; a study summary"):
        study_summary(rows_frame(rows), metric="overfit_gap")
