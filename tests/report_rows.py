"""Synthetic stored rows for the report's tests (the shape SqlStore.rows returns)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ablab.store.base import RunRow

CLASSES = ("a", "b")


def row(
    row_id: int, variant: str, seed: int, accuracy: float, *, study: str = "toy",
    status: str = "ok", control: str | None = None, epochs_to_target: float | None = None,
    target: float | None = None, artifacts: dict[str, Any] | None = None,
) -> RunRow:
    """One stored row with a two-epoch history and a per-class report."""
    metrics: dict[str, Any] = {
        "accuracy": accuracy, "f1_macro": accuracy - 0.01, "loss": 1 - accuracy,
        "precision_macro": accuracy, "recall_macro": accuracy, "f1_weighted": accuracy,
        "precision_weighted": accuracy, "recall_weighted": accuracy,
        "per_class": {c: {"precision": accuracy, "recall": accuracy, "f1": accuracy,
                          "support": 10} for c in CLASSES},
        "confusion_matrix": [[8, 2], [1, 9]],
    }
    if target is not None:
        metrics["epochs_to_target"] = epochs_to_target
        metrics["seconds_to_target"] = None if epochs_to_target is None else epochs_to_target / 2
    if artifacts is not None:
        metrics["artifacts"] = artifacts
    history = [
        {"epoch": e, "train_loss": 1.0 / e, "train_accuracy": accuracy * e / 2,
         "val_loss": 1.1 / e, "val_accuracy": accuracy * e / 2.1, "samples_seen": 100 * e,
         "seconds": 0.5}
        for e in (1, 2)
    ]
    return RunRow.from_stored({
        "id": row_id, "session_id": "s1", "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "study": study, "node_id": f"ablations/test_toy.py::test[{variant}-seed{seed}]",
        "variant": variant, "params": {}, "control": control, "seed": seed,
        "experiment": {"target_accuracy": target}, "key": f"k{row_id}", "cell_key": variant,
        "status": status, "accuracy": accuracy, "f1_macro": accuracy - 0.01,
        "metrics": metrics, "history": history,
        "timings": {"train_seconds": 1.0, "samples_per_second": 200.0, "epochs_run": 2.0},
        "environment": {"hostname": "box", "cpu_count": 2, "device": "cpu",
                        "device_name": "x86_64", "torch": "2.x", "cuda": None,
                        "python": "3.11", "git_sha": "abc", "git_dirty": False},
        "data_fingerprint": "fp", "trial": None,
    })


def study_rows(shifts: dict[str, list[float]], base: list[float],
               control: str | None = None) -> list[RunRow]:
    """A control variant "ctl" with accuracies `base` and one variant per entry of `shifts`
    whose accuracy on seed i is base[i] + shift[i]."""
    rows = [row(i, "ctl", i, a, control=control) for i, a in enumerate(base)]
    for variant, shift in shifts.items():
        rows += [row(len(rows), variant, i, a + d, control=control)
                 for i, (a, d) in enumerate(zip(base, shift, strict=True))]
    return rows
