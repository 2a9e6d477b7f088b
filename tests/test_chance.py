"""The at-or-below-chance flag (ablab.stats.chance) beside the collapse flag: computed from
constructed predictions, kept off the status, and shown in the terminal table and REPORT.md."""

from __future__ import annotations

import numpy as np
import pytest

from ablab.checks import check_at_chance, check_learned
from ablab.report.markdown import summary_markdown
from ablab.spec import EpochRecord, Experiment, RunResult
from ablab.stats.chance import at_or_below_chance, majority_share
from ablab.stats.seeds import rows_frame, stored_at_chance, study_summary
from ablab.terminal import study_tables
from ablab.train.metrics import classification_metrics
from tests.report_rows import row

CLASSES = ("a", "b", "c")
LABELS = np.array([0] * 50 + [1] * 30 + [2] * 20)  # chance: 0.5


def metrics_of(predicted: np.ndarray) -> dict[str, object]:
    return classification_metrics(LABELS, np.eye(3)[predicted], CLASSES)


def skewed() -> np.ndarray:
    """88 % of the predictions on class b (every b, 48 a, 10 c), the rest right: 42 correct."""
    predicted = LABELS.copy()
    predicted[:48] = 1
    predicted[80:90] = 1
    return predicted


def result_of(metrics: dict[str, object], status: str) -> RunResult:
    history = [EpochRecord(1, 0.5, 0.5, 0.5, 0.5, 100, 0.1)]
    return RunResult(Experiment(), "k", status, {**metrics, "loss": 1.0}, history, {}, "fp")


def test_a_model_at_88_percent_on_one_class_below_chance_is_flagged_not_collapsed() -> None:
    metrics = metrics_of(skewed())
    assert np.mean(skewed() == 1) == pytest.approx(0.88)
    assert metrics["accuracy"] == pytest.approx(0.42)
    assert metrics["chance"] == pytest.approx(0.5)
    assert metrics["collapsed"] is False  # below the 95 % collapse share: its status stays ok
    assert metrics["at_chance"] is True
    with pytest.raises(AssertionError, match="at or below chance"):
        check_learned(result_of(metrics, "ok"), margin=-0.2)  # even a lenient margin


def test_the_majority_guess_is_at_chance_exactly_and_one_more_right_is_not() -> None:
    everything_a = metrics_of(np.zeros_like(LABELS))
    assert everything_a["accuracy"] == everything_a["chance"] == 0.5
    assert everything_a["at_chance"] is True
    assert everything_a["collapsed"] is True
    check_at_chance(result_of(everything_a, "collapsed"), margin=0.0)
    one_more = np.zeros_like(LABELS)
    one_more[50] = 1  # one b right: 51 correct against the majority guess's 50
    assert metrics_of(one_more)["at_chance"] is False
    assert at_or_below_chance(50, [50, 30, 20])
    assert not at_or_below_chance(51, [50, 30, 20])


def test_majority_share_needs_samples() -> None:
    assert majority_share([1, 3]) == 0.75
    with pytest.raises(ValueError, match="hold no samples"):
        majority_share([0, 0])


def test_rows_stored_before_the_flag_get_it_from_accuracy_and_supports() -> None:
    supports = {c: {"support": n} for c, n in zip(CLASSES, (50, 30, 20), strict=True)}
    assert stored_at_chance({"accuracy": 0.5, "per_class": supports}) is True
    assert stored_at_chance({"accuracy": 0.51, "per_class": supports}) is False
    assert stored_at_chance({"accuracy": 0.9, "at_chance": True}) is True  # the stored flag wins
    assert stored_at_chance({}) is False


def test_report_and_terminal_show_at_chance_beside_the_status() -> None:
    rows = [row(0, "ctl", 0, 0.9), row(1, "ctl", 1, 0.9), row(2, "x", 0, 0.4),
            row(3, "x", 1, 0.45, status="collapsed")]  # two classes of 10: chance 0.5
    text = summary_markdown(study_summary(rows_frame(rows)))
    assert "ok / diverged / collapsed; at chance" in text
    assert "1 / 0 / 1; 2" in text
    assert "2 / 0 / 0; 0" in text
    cells = [{"study": "toy", "variant": "x", "accuracy": 0.4, "f1_macro": 0.4, "status": s,
              "at_chance": True, "reused": False, "train_seconds": 1.0}
             for s in ("ok", "collapsed")]
    assert "1 collapsed, 1 ok; 2 at chance" in study_tables(cells)["toy"]


def test_report_shows_the_overfit_epoch_over_the_seeds_that_turned() -> None:
    rows = [row(i, "ctl", i, 0.9) for i in range(3)]
    for r, epoch in zip(rows, (12.0, None, 15.0), strict=True):
        r.metrics["overfit_epoch"] = epoch  # None: NaN as stored, loss still falling
    old = [row(3, "old", 0, 0.8)]  # stored before the metric existed
    text = summary_markdown(study_summary(rows_frame(rows + old)))
    assert "overfit epoch (seeds turned)" in text
    assert "13.5 (2/3)" in text
    assert "| n/a " in text
