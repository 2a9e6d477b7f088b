"""Which stored rows a claim reads, and the direction every verdict follows."""

from __future__ import annotations

import pytest

from ablab.stats.cell_values import THIS_SESSION, metric_value, pick_cells
from ablab.stats.claims import paired_comparison
from ablab.stats.direction import direction
from ablab.store import RunRow


def row(session: str, variant: str, seed: int, acc: float, *, cell_key: str = "k",
        profile: str = "smoke") -> RunRow:
    return RunRow(session_id=session, study="s", node_id="", variant=variant, params={},
                  seed=seed, experiment={}, key=f"{cell_key}-{seed}", cell_key=cell_key,
                  status="ok", metrics={"accuracy": acc},
                  history=[{"train_loss": 0.5, "val_loss": 0.75}], timings={},
                  environment={}, data_fingerprint="fp", settings={"profile": profile})


def test_this_sessions_rows_win_over_older_ones() -> None:
    rows = [row("old", "a", 0, 0.1), row("new", "a", 0, 0.9), row("old", "a", 0, 0.2)]
    picked = pick_cells(rows, ["a"], [0], session="new", metric="accuracy", profile="smoke")
    assert picked.values == {"a": {0: 0.9}}
    assert picked.source == THIS_SESSION


def test_cells_not_run_here_come_from_the_latest_row_of_the_same_identity() -> None:
    rows = [row("s1", "a", 0, 0.1, cell_key="before"), row("s1", "a", 1, 0.2, cell_key="before"),
            row("s2", "a", 0, 0.5, cell_key="now"), row("s3", "a", 1, 0.7, cell_key="now"),
            row("s4", "a", 1, 0.99, profile="full")]
    picked = pick_cells(rows, ["a"], [0, 1], session="s9", metric="accuracy", profile="smoke")
    assert picked.values == {"a": {0: 0.5, 1: 0.7}}
    assert picked.missing == []
    assert "s2 (a seed 0)" in picked.source
    assert "s3 (a seed 1)" in picked.source


def test_a_cell_that_failed_here_is_missing_despite_an_older_row() -> None:
    rows = [row("s1", "a", 0, 0.5), row("s1", "a", 1, 0.5)]
    picked = pick_cells(rows, ["a", "b"], [0, 1], session="s2", metric="accuracy",
                        profile="smoke", failed_here={("a", 1)})
    assert picked.missing == [("a", 1), ("b", 0), ("b", 1)]


def test_overfit_gap_is_read_from_the_stored_history() -> None:
    assert metric_value(row("s", "a", 0, 0.5), "overfit_gap") == pytest.approx(0.25)
    with pytest.raises(ValueError, match="metric='acc' is not allowed; known metrics: accuracy"):
        metric_value(row("s", "a", 0, 0.5), "acc")


@pytest.mark.parametrize(("metric", "verdict"), [
    ("accuracy", "worse"), ("loss", "better"), ("overfit_gap", "better"), ("f1_macro", "worse"),
])
def test_verdict_words_follow_the_metrics_direction(metric: str, verdict: str) -> None:
    lower_for_a = paired_comparison([0.1, 0.2, 0.15], [0.5, 0.62, 0.55], metric=metric)
    assert lower_for_a.diff < 0
    assert lower_for_a.verdict == verdict
    assert f"({direction(metric)} is better;" in lower_for_a.describe()


def test_non_inferiority_on_a_lower_is_better_metric_bounds_the_upper_side() -> None:
    slightly_higher_loss = paired_comparison([0.51, 0.52, 0.50], [0.50, 0.50, 0.50],
                                             metric="loss")
    assert slightly_higher_loss.not_worse(0.1)
    assert not slightly_higher_loss.not_worse(0.01)
