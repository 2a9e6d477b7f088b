"""CIFAR-10 from the python batches (`<root>/cifar-10-batches-py`), optionally two classes (S6).

The archive's train / test split is kept; validation is carved from the 50,000 training images.
With `ctx.download` and the files absent, torchvision downloads them into `<cache>/downloads`.
"""

from __future__ import annotations

from pathlib import Path
from pickle import UnpicklingError
from typing import Any

import numpy as np
import torchvision

from ablab.data import DataContext, TensorData, keep_classes, split_validation, stratified_subset
from ablab.data.safe_pickle import load as safe_load
from ablab.data.sources import (
    Arrays,
    CorruptData,
    DataUnavailable,
    cached_arrays,
    cached_split,
    data_root,
    fingerprint,
)
from ablab.registry import register_dataset

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
FILES = (*TRAIN_BATCHES, "test_batch", "batches.meta")


def unpickle(path: Path) -> dict[bytes, Any]:
    try:
        batch = safe_load(path, encoding="bytes")  # data types only: no code from the file
    except (UnpicklingError, EOFError, OSError, ValueError) as error:
        raise CorruptData(f"{path}: not a CIFAR-10 python batch ({error})") from error
    if not isinstance(batch, dict):
        raise CorruptData(f"{path}: not a CIFAR-10 python batch (no dict inside)")
    return batch


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    batch = unpickle(path)
    try:
        data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (KeyError, ValueError) as error:
        raise CorruptData(f"{path}: missing or malformed data/labels ({error})") from error
    if len(data) != len(labels):
        raise CorruptData(f"{path}: {len(labels)} labels for {len(data)} images")
    return data, labels


def decode(folder: Path) -> Arrays:
    parts = [read_batch(folder / name) for name in TRAIN_BATCHES]
    x_test, y_test = read_batch(folder / "test_batch")
    meta = unpickle(folder / "batches.meta")
    try:
        names = [n.decode() for n in meta[b"label_names"]]
    except (KeyError, AttributeError) as error:
        raise CorruptData(f"{folder / 'batches.meta'}: no label_names ({error})") from error
    return {"x_train": np.concatenate([p[0] for p in parts]),
            "y_train": np.concatenate([p[1] for p in parts]),
            "x_test": x_test, "y_test": y_test, "classes": np.array(names)}


def batches_folder(ctx: DataContext) -> Path:
    needs = f"{FOLDER}/ with {', '.join(FILES)}"
    if ctx.root is not None and all((ctx.root / FOLDER / f).is_file() for f in FILES):
        return ctx.root / FOLDER
    if ctx.download:
        downloads = ctx.cache / "downloads"
        torchvision.datasets.CIFAR10(root=str(downloads), download=True)
        return downloads / FOLDER
    folder = data_root(ctx, "cifar10", needs) / FOLDER
    missing = [f for f in FILES if not (folder / f).is_file()]
    raise DataUnavailable(f"cifar10: missing {', '.join(missing)} in {folder}")


@register_dataset
def cifar10(
    *, ctx: DataContext, binary: tuple[int, int] | None = None, train_subset: int | None = None
) -> TensorData:
    """CIFAR-10 images (N, 3, 32, 32) in [0, 1]; `binary=(a, b)` keeps classes a and b as
    labels 0 and 1; `train_subset` keeps a stratified subset of the training images."""
    folder = batches_folder(ctx)
    key = fingerprint("cifar10", [folder / f for f in FILES], {})
    options = {"binary": binary, "train_subset": train_subset}
    return cached_split(ctx, key, options, lambda: prepare(ctx, key, folder, binary,
                                                           train_subset))


def prepare(
    ctx: DataContext, key: str, folder: Path, binary: tuple[int, int] | None,
    train_subset: int | None,
) -> TensorData:
    a = cached_arrays(ctx, key, lambda: decode(folder))
    x_train, y_train, x_test, y_test = a["x_train"], a["y_train"], a["x_test"], a["y_test"]
    names = tuple(str(c) for c in a["classes"])
    if binary is not None:
        if len(binary) != 2:
            raise ValueError(f"cifar10: binary={binary} must name exactly two classes")
        x_train, y_train = keep_classes(x_train, y_train, tuple(binary), "cifar10")
        x_test, y_test = keep_classes(x_test, y_test, tuple(binary), "cifar10")
        names = (names[binary[0]], names[binary[1]])
    if train_subset is not None:
        x_train, y_train = stratified_subset(x_train, y_train, train_subset, ctx.seed, "cifar10")
    return split_validation(x_train.astype(np.float32) / 255.0, y_train,
                            x_test.astype(np.float32) / 255.0, y_test, ctx, names, key)
