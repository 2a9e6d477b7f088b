"""UEA / UCR multivariate time series from `.ts` files (S2's real data).

`<root>/timeseries/<name>/<name>_TRAIN.ts` and `_TEST.ts`: the archive's train / test split is
kept, the validation split is carved (stratified) from the training file. Samples are x
(N, steps, channels) float32, raw values (no normalisation), one label per series.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from ablab.data import DataContext, TensorData, split_validation
from ablab.data.sources import (
    Arrays,
    CorruptData,
    cached_arrays,
    data_root,
    find_file,
    fingerprint,
)
from ablab.registry import register_dataset


def parse_ts(path: Path) -> tuple[np.ndarray, list[str], tuple[str, ...]]:
    """(series (N, steps, channels), labels, class names from @classLabel) of an equal-length
    `.ts` file; CorruptData naming the file and line otherwise."""
    classes: tuple[str, ...] = ()
    rows: list[np.ndarray] = []
    labels: list[str] = []
    in_data = False
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lower = line.lower()
        if lower.startswith("@classlabel"):
            classes = tuple(line.split()[2:])
        elif lower.startswith("@data"):
            in_data = True
        elif in_data:
            *dims, label = line.split(":")
            try:
                rows.append(np.array([[float(v) for v in d.split(",")] for d in dims]).T)
            except ValueError as error:
                raise CorruptData(f"{path}:{number}: {error}") from error
            labels.append(label)
    if not rows or not classes:
        raise CorruptData(f"{path}: no @classLabel header or no series after @data")
    if len({r.shape for r in rows}) != 1:
        raise CorruptData(f"{path}: series of unequal length or channel count are not supported")
    unknown = set(labels) - set(classes)
    if unknown:
        raise CorruptData(f"{path}: labels {sorted(unknown)} are not in @classLabel {classes}")
    return np.stack(rows).astype(np.float32), labels, classes


def decode(train: Path, test: Path) -> Arrays:
    x_train, train_labels, classes = parse_ts(train)
    x_test, test_labels, _ = parse_ts(test)
    index = {name: i for i, name in enumerate(classes)}
    return {"x_train": x_train, "y_train": np.array([index[s] for s in train_labels]),
            "x_test": x_test, "y_test": np.array([index[s] for s in test_labels]),
            "classes": np.array(classes)}


@register_dataset
def uea(
    *, ctx: DataContext, name: Literal["BasicMotions", "RacketSports"],
    window: int | None = None,
) -> TensorData:
    """A UEA multivariate set, x (N, steps, channels). `window` follows S2's meaning: the model
    sees the last step plus `window` preceding steps, i.e. the last window + 1 steps of each
    series (None keeps the whole series)."""
    folder = data_root(ctx, "uea", f"timeseries/{name}/{name}_TRAIN.ts and _TEST.ts")
    folder = folder / "timeseries" / name
    train, test = (find_file(folder, f"{name}_{part}.ts", "uea") for part in ("TRAIN", "TEST"))
    key = fingerprint(f"uea-{name}", [train, test], {})
    a = cached_arrays(ctx, key, lambda: decode(train, test))
    x_train, x_test = a["x_train"], a["x_test"]
    if window is not None:
        steps = x_train.shape[1]
        if not 0 <= window < steps:
            raise ValueError(f"uea {name}: window={window} must be in 0..{steps - 1} (the series "
                             f"have {steps} steps)")
        x_train, x_test = x_train[:, -(window + 1) :], x_test[:, -(window + 1) :]
    classes = tuple(str(c) for c in a["classes"])
    return split_validation(x_train, a["y_train"], x_test, a["y_test"], ctx, classes, key)
