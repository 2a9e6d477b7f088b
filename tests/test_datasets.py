"""Dataset factories: generated sets always; real files when ABLAB_DATA points at them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from ablab.data import DataContext
from ablab.data.embedded import PRIORS, TRUE_LAG, generate
from ablab.data.loading import load_data
from ablab.registry import DATASETS
from ablab.spec import Experiment


def context(tmp_path: Path, root: Path | None = None, seed: int = 0) -> DataContext:
    return DataContext(seed=seed, root=root, cache=tmp_path / "cache")


@pytest.mark.parametrize("window", [0, 1, 4])
def test_sequences_windows_hold_the_current_step_and_its_predecessors(
    tmp_path: Path, window: int
) -> None:
    data = DATASETS.get("sequences")(ctx=context(tmp_path), window=window, n_steps=500)
    assert data.input_shape == (window + 1, 4)
    assert data.num_classes == 4
    assert sum(data.counts()) == 500
    x, y = generate(500, 4, 0)
    # every sample's last step is some step of the raw sequence, with its label
    last = data.x_test[:, -1].numpy()
    rows = [int(np.flatnonzero((x == step).all(1))[0]) for step in last]
    assert (y[rows] == data.y_test.numpy()).all()
    if window:
        assert all((data.x_test[i, -2].numpy() == x[r - 1]).all() or r == 0
                   for i, r in enumerate(rows))


def test_sequences_priors_and_label_depends_on_true_lag() -> None:
    x, y = generate(20000, 4, 0)
    shares = np.bincount(y, minlength=4) / len(y)
    assert np.allclose(shares, PRIORS, atol=0.01)
    # the label is a function of steps t-TRUE_LAG..t: a linear probe on that window separates
    # the extreme classes perfectly; one on the current step alone does not
    from sklearn.linear_model import LogisticRegression

    def probe(lag: int) -> float:
        padded = np.concatenate([np.zeros((lag, 4), np.float32), x])
        features = np.hstack([padded[lag - k : lag - k + len(x)] for k in range(lag + 1)])
        model = LogisticRegression(max_iter=500).fit(features[:10000], y[:10000])
        return float(model.score(features[10000:], y[10000:]))

    assert probe(TRUE_LAG) > probe(0) + 0.25


def test_sequences_rejects_negative_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="window=-1"):
        DATASETS.get("sequences")(ctx=context(tmp_path), window=-1)


def test_sequences_fingerprint_names_the_window(tmp_path: Path) -> None:
    make = DATASETS.get("sequences")
    assert make(ctx=context(tmp_path), window=1).fingerprint != make(
        ctx=context(tmp_path), window=2).fingerprint


def test_expanded_enlarges_the_training_split_only(tmp_path: Path) -> None:
    """S4's protocol as the repository's `expanded` dataset: 4x the training split, the same
    validation and test splits, a fingerprint of its own."""
    from ablab.data import load_data
    from ablab.spec import Experiment

    plain = load_data(Experiment(dataset="digits"), cache=tmp_path)
    four = load_data(Experiment(dataset="expanded",
                                dataset_kwargs={"source": "digits", "copies": "4x"}),
                     cache=tmp_path)
    assert len(four.y_train) == 4 * len(plain.y_train)
    assert four.counts()[1:] == plain.counts()[1:]
    assert (four.x_val == plain.x_val).all()
    assert (four.x_test == plain.x_test).all()
    assert four.fingerprint != plain.fingerprint


def test_window_zero_is_checked_against_the_dataset() -> None:
    """window=0 is a real window (the current step only), so a dataset without a window
    argument must reject it at construction, not fail later in load_data."""
    from ablab.spec import Experiment

    with pytest.raises(ValueError, match="dataset 'digits' takes no argument 'window'"):
        Experiment(dataset="digits", window=0)
    assert Experiment(dataset="sequences", model="lstm", window=0).window == 0


def test_label_noise_flips_that_share_of_training_labels_only(tmp_path: Path) -> None:
    """`label_noise=0.6`: 60 % of the training labels move to another class, drawn from the
    cell's seed; validation and test labels stay true, and the key is a new cell's."""
    clean_exp = Experiment(dataset="digits", model="mlp", seed=1)
    noisy_exp = dataclasses.replace(clean_exp, label_noise=0.6)
    clean, noisy = (load_data(e, cache=tmp_path) for e in (clean_exp, noisy_exp))
    changed = (clean.y_train != noisy.y_train).float().mean().item()
    assert changed == pytest.approx(0.6, abs=1 / len(clean.y_train))
    assert torch.equal(clean.x_train, noisy.x_train)
    assert torch.equal(clean.y_val, noisy.y_val)
    assert torch.equal(clean.y_test, noisy.y_test)
    again = load_data(noisy_exp, cache=tmp_path)
    assert torch.equal(again.y_train, noisy.y_train)  # the seed decides which labels flip
    other = load_data(dataclasses.replace(noisy_exp, seed=2), cache=tmp_path)
    assert not torch.equal(other.y_train, noisy.y_train)
    assert noisy_exp.cell_key("f") != clean_exp.cell_key("f")
    with pytest.raises(ValueError, match=r"label_noise=1.0 is not allowed; .* in \[0, 1\)"):
        dataclasses.replace(clean_exp, label_noise=1.0)
