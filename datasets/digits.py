"""scikit-learn's bundled 8x8 digits: the embedded default image set (needs no files)."""

from __future__ import annotations

import hashlib

import numpy as np
from sklearn.datasets import load_digits

from ablab.data import DataContext, TensorData, split
from ablab.registry import register_dataset


@register_dataset
def digits(*, ctx: DataContext) -> TensorData:
    """1,797 images (1, 8, 8) scaled to [0, 1], 10 classes, stratified split from the seed."""
    bunch = load_digits()
    x = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None, :, :]
    y = np.asarray(bunch.target, dtype=np.int64)
    fingerprint = "digits-" + hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()[:16]
    classes = tuple(str(c) for c in range(10))
    return split(x, y, ctx, classes, fingerprint)
