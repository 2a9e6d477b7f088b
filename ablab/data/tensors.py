"""In-memory datasets: the tensors every dataset factory returns, the seeded split, subsets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _train_test_split(*arrays: Any, **options: Any) -> list[Any]:
    """scikit-learn's split, imported on first use: importing sklearn costs about a second,
    and every pytest run that loads ablab's plugin imports this module."""
    from sklearn.model_selection import train_test_split

    return list(train_test_split(*arrays, **options))


@dataclass(frozen=True)
class DataContext:
    """What a dataset factory is told about the run: seed, where data lives, split fractions."""

    seed: int
    root: Path | None
    cache: Path
    download: bool = False
    val_fraction: float = 0.15
    test_fraction: float = 0.15


@dataclass(frozen=True)
class TensorData:
    """Train / validation / test tensors, class names and a fingerprint of the source."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]
    fingerprint: str

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def counts(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def to(self, device: torch.device) -> TensorData:
        return replace(
            self,
            x_train=self.x_train.to(device), y_train=self.y_train.to(device),
            x_val=self.x_val.to(device), y_val=self.y_val.to(device),
            x_test=self.x_test.to(device), y_test=self.y_test.to(device),
        )


def split(
    x: np.ndarray, y: np.ndarray, ctx: DataContext, classes: tuple[str, ...], fingerprint: str
) -> TensorData:
    """Stratified train / validation / test split made from the seed."""
    x_rest, x_test, y_rest, y_test = _train_test_split(
        x, y, test_size=ctx.test_fraction, stratify=y, random_state=ctx.seed
    )
    return split_validation(x_rest, y_rest, x_test, y_test, ctx, classes, fingerprint)


def split_validation(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
    ctx: DataContext, classes: tuple[str, ...], fingerprint: str,
) -> TensorData:
    """Carve a stratified validation split from the training data; the test split stays fixed."""
    val_share = ctx.val_fraction / (1 - ctx.test_fraction)
    x_tr, x_val, y_tr, y_val = _train_test_split(
        x_train, y_train, test_size=val_share, stratify=y_train, random_state=ctx.seed
    )
    return TensorData(
        x_train=_floats(x_tr), y_train=_labels(y_tr),
        x_val=_floats(x_val), y_val=_labels(y_val),
        x_test=_floats(x_test), y_test=_labels(y_test),
        classes=classes, fingerprint=fingerprint,
    )


NOISE_STREAM = 0x1ABE1  # a generator of its own: the split and init streams stay as they were


def flip_labels(data: TensorData, share: float, seed: int) -> TensorData:
    """`data` with round(share x n) training labels, drawn without replacement, each moved to a
    uniformly drawn *other* class; validation and test labels stay true, so the damage shows."""
    y = data.y_train.numpy().copy()
    rng = np.random.default_rng([seed, NOISE_STREAM])
    chosen = rng.choice(len(y), size=round(share * len(y)), replace=False)
    shift = rng.integers(1, data.num_classes, size=len(chosen))  # never 0: the label changes
    y[chosen] = (y[chosen] + shift) % data.num_classes
    return replace(data, y_train=_labels(y))


def _floats(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _labels(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))


def keep_classes(
    x: np.ndarray, y: np.ndarray, classes: tuple[int, ...], dataset: str
) -> tuple[np.ndarray, np.ndarray]:
    """Only the samples of `classes`, relabelled 0.. in the order given."""
    if len(set(classes)) != len(classes) or not set(classes) <= set(range(10)) or not classes:
        raise ValueError(f"{dataset}: classes={classes} must be distinct labels from 0 to 9")
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(classes)] = np.arange(len(classes))
    keep = lookup[y] >= 0
    return x[keep], lookup[y[keep]]


def stratified_subset(
    x: np.ndarray, y: np.ndarray, size: int, seed: int, dataset: str
) -> tuple[np.ndarray, np.ndarray]:
    """`size` training samples with the class shares of the whole training split."""
    classes = len(np.unique(y))
    if not 2 * classes <= size <= len(y):
        raise ValueError(f"{dataset}: train_subset={size} must be between {2 * classes} and "
                         f"{len(y)}")
    if size == len(y):
        return x, y
    x_sub, _, y_sub, _ = _train_test_split(x, y, train_size=size, stratify=y, random_state=seed)
    return x_sub, y_sub
