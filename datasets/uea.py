"""UEA / UCR time series from `.ts` files (S2's real data): any set, by its folder name.

`<root>/timeseries/<Name>/<Name>_TRAIN.ts` and `_TEST.ts` (or `.ts.gz`): the archive's train /
test split is kept, the validation split is carved (stratified) from the training file.
Samples are x (N, steps, dimensions) float32, raw values (no normalisation), one label per
series. Unequal lengths, missing values and timestamps follow datasets/ts_format.py's policy;
`python -m ablab datasets` lists every set found under `<root>/timeseries/`.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ablab.data import DataContext, TensorData, split_validation
from ablab.data.sources import (
    Arrays,
    CorruptData,
    DataUnavailable,
    cached_arrays,
    data_root,
    find_file,
    fingerprint,
)
from ablab.registry import DATASETS, register_dataset
from datasets import ts_format

DECODER_VERSION = 2  # in the cache key: a changed parser never serves arrays decoded before
NEEDS = "timeseries/<Name>/<Name>_TRAIN.ts and <Name>_TEST.ts"


def uea_sets(root: Path | None) -> list[str]:
    """The names of the sets under `<root>/timeseries/` (folders holding both files), sorted;
    DataUnavailable saying what to put where when there is none."""
    folder = (root or Path("<data root>")) / "timeseries"
    found = sorted(p.name for p in folder.glob("*/") if p.is_dir() and all(
        any((p / f"{p.name}_{part}.ts{gz}").is_file() for gz in ("", ".gz"))
        for part in ("TRAIN", "TEST")))
    if root is None or not found:
        raise DataUnavailable(f"uea: no set under {folder}; put {NEEDS} there")
    return found


def read(path: Path) -> ts_format.TsFile:
    if path.suffix == ".gz":
        with gzip.open(path, "rt") as handle:
            return ts_format.parse_text(path, handle.read())
    return ts_format.parse_text(path, path.read_text())


def decode(train_path: Path, test_path: Path) -> Arrays:
    train, test = read(train_path), read(test_path)
    if len(train.cases[0]) != len(test.cases[0]):
        raise CorruptData(f"{test_path}: {len(test.cases[0])} dimensions, "
                          f"{train_path.name} has {len(train.cases[0])}")
    steps = max(train.longest, test.longest)
    classes = ts_format.class_order(train, test)
    return {"x_train": ts_format.to_array(train, steps),
            "y_train": ts_format.label_indices(train, classes),
            "x_test": ts_format.to_array(test, steps),
            "y_test": ts_format.label_indices(test, classes), "classes": np.array(classes)}


def _variants(root: Path | None) -> list[dict[str, object]]:
    return [{"name": name} for name in uea_sets(root)]


@register_dataset
@DATASETS.listed_by(_variants)
def uea(*, ctx: DataContext, name: str, window: int | None = None) -> TensorData:
    """A UEA / UCR set by folder name, x (N, steps, dimensions). `window` follows S2's meaning:
    the model sees the last step plus `window` preceding steps, i.e. the last window + 1 steps
    of each (left-padded) series; None keeps the whole series."""
    root = data_root(ctx, "uea", NEEDS)
    folder = root / "timeseries" / name
    if not folder.is_dir():
        found = ", ".join(uea_sets(root))
        raise DataUnavailable(f"uea: no folder {folder}; sets found: {found}")
    train, test = (find_file(folder, f"{name}_{part}.ts", "uea") for part in ("TRAIN", "TEST"))
    key = fingerprint(f"uea-{name}", [train, test], {"decoder": DECODER_VERSION})
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
