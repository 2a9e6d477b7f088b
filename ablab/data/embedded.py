"""The embedded default data sets, registered when ablab is imported; they need no files.

`digits`: scikit-learn's bundled 8x8 digits.

`sequences`: a generated sequence task with a known answer for the window ablation (study S2).
One long sequence of feature vectors x_t ~ N(0, I) with one label per step. The label at step t
is a bucket of z_t = sum_{l=0..TRUE_LAG} w_l . x_{t-l} (one fixed random direction w_l per lag,
equal norms), cut at quantiles so the four classes have priors PRIORS. A model that sees the
current step plus X preceding steps can therefore compute z_t exactly when X >= TRUE_LAG, and
only a part of it (the lags it sees) when X < TRUE_LAG: accuracy rises with X up to TRUE_LAG and
plateaus after. Steps before the start of the sequence are zero vectors.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ablab.data.sources import fingerprint
from ablab.data.tensors import DataContext, TensorData, split
from ablab.registry import register_dataset

TRUE_LAG = 2  # the label at step t depends on steps t-TRUE_LAG .. t
PRIORS = (0.50, 0.30, 0.12, 0.08)  # class shares: strongly imbalanced, as in S2's data
CLASSES = ("class0", "class1", "class2", "class3")


@register_dataset
def digits(*, ctx: DataContext) -> TensorData:
    """1,797 images (1, 8, 8) scaled to [0, 1], 10 classes, stratified split from the seed."""
    from sklearn.datasets import load_digits  # on first use: sklearn costs a second to load

    bunch = load_digits()
    x = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None, :, :]
    y = np.asarray(bunch.target, dtype=np.int64)
    digest = "digits-" + hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()[:16]
    classes = tuple(str(c) for c in range(10))
    return split(x, y, ctx, classes, digest)


def generate(n_steps: int, features: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The raw sequence (n_steps, features) float32 and its labels (n_steps,) int64."""
    rng = np.random.default_rng(data_seed)
    x = rng.standard_normal((n_steps, features)).astype(np.float32)
    directions = rng.standard_normal((TRUE_LAG + 1, features))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    padded = np.concatenate([np.zeros((TRUE_LAG, features), np.float32), x])
    z = sum(padded[TRUE_LAG - lag : TRUE_LAG - lag + n_steps] @ directions[lag]
            for lag in range(TRUE_LAG + 1))
    cuts = np.quantile(z, np.cumsum(PRIORS)[:-1])
    return x, np.searchsorted(cuts, z).astype(np.int64)


def windows(x: np.ndarray, window: int) -> np.ndarray:
    """(n_steps, window + 1, features): each step with its `window` predecessors, oldest first."""
    padded = np.concatenate([np.zeros((window, x.shape[1]), x.dtype), x])
    view = np.lib.stride_tricks.sliding_window_view(padded, window + 1, axis=0)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


@register_dataset
def sequences(
    *, ctx: DataContext, window: int = 0, n_steps: int = 4000, features: int = 4,
    data_seed: int = 0,
) -> TensorData:
    """Samples x (n_steps, window + 1, features), labels (n_steps,) over 4 imbalanced classes.

    `window` = how many preceding steps the model sees beside the current one (S2's X); the
    sequence itself depends only on `data_seed`, so every window and seed sees the same labels.
    """
    if window < 0:
        raise ValueError(f"sequences: window={window} must be >= 0")
    if n_steps < 100 or features < 1:
        raise ValueError(f"sequences: need n_steps >= 100 and features >= 1, got {n_steps}, "
                         f"{features}")
    x, y = generate(n_steps, features, data_seed)
    options = {"window": window, "n_steps": n_steps, "features": features, "seed": data_seed}
    return split(windows(x, window), y, ctx, CLASSES, fingerprint("sequences", [], options))
