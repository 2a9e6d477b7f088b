"""Each figure function draws a non-blank PNG from plain arrays (cases the report test lacks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from ablab.report import figures

RNG = np.random.default_rng(0)
LABELS = np.arange(40) % 2
PROBS = np.stack([1 - LABELS * 0.7 - 0.1, LABELS * 0.7 + 0.1], axis=1)

DRAWINGS: dict[str, Callable[[Path], Path]] = {
    "reconstructions": lambda p: figures.reconstructions(
        RNG.random((6, 1, 8, 8)), RNG.random((6, 1, 8, 8)), p, title="ae"),
    "binary-roc": lambda p: figures.roc_curves(LABELS, PROBS, ["neg", "pos"], p),
    "colour-grid": lambda p: figures.image_grid(
        RNG.random((5, 3, 8, 8)), np.array([0, 1, 0, 1, 0]), np.array([0, 1, 1, 1, 0]),
        ["cat", "dog"], p),
    "sequence-grid": lambda p: figures.image_grid(
        RNG.random((4, 30, 6)), np.zeros(4, dtype=int), np.ones(4, dtype=int), ["a", "b"], p),
    "constant-tsne": lambda p: figures.tsne_pair(
        {"after epoch 1": np.zeros((40, 4)), "after training": RNG.random((40, 4))}, LABELS,
        ["a", "b"], p),
    "filters": lambda p: figures.filters(RNG.normal(size=(10, 3, 5, 5)), p),
    "diverged-curves": lambda p: figures.learning_curves(
        {"v": [[{"epoch": 1, "train_loss": 1.0, "val_loss": 1.0, "train_accuracy": 0.5,
                 "val_accuracy": 0.5, "samples_seen": 10},
                {"epoch": 2, "train_loss": None, "val_loss": None, "train_accuracy": 0.1,
                 "val_accuracy": 0.1, "samples_seen": 20}]]}, p, x_axis="samples_seen"),
}


@pytest.mark.parametrize("kind", list(DRAWINGS))
def test_figure_is_written_and_not_blank(kind: str, tmp_path: Path) -> None:
    path = DRAWINGS[kind](tmp_path / f"{kind}.png")
    assert path == tmp_path / f"{kind}.png"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no .partial left behind
    assert float(np.asarray(matplotlib.image.imread(path)).var()) > 1e-4
