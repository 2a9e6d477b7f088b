"""MNIST / Fashion-MNIST: real files when ABLAB_DATA is set; small generated IDX files for the
error cases (truncated gzip, wrong magic number, missing files) and the augmentation check."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from ablab.data import DataContext
from ablab.data.sources import CorruptData, DataUnavailable
from ablab.registry import DATASETS
from datasets.expanded import NOISE_AMPLITUDE, expand
from datasets.mnist import FASHION_CLASSES, FILES
from tests.realdata import need

S4_CLASSES = (1, 3, 5, 7, 9)


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(root: Path, train: int = 200, test: int = 50, compress: bool = True) -> Path:
    """A small MNIST in torchvision's layout, 10 balanced classes; returns the raw folder."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {
        FILES[0]: (rng.integers(0, 256, (train, 28, 28)), 2051),
        FILES[1]: (np.arange(train) % 10, 2049),
        FILES[2]: (rng.integers(0, 256, (test, 28, 28)), 2051),
        FILES[3]: (np.arange(test) % 10, 2049),
    }
    for name, (array, magic) in arrays.items():
        payload = idx_bytes(array, magic)
        if compress:
            (raw / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (raw / name).write_bytes(payload)
    return raw


def ctx(root: Path | None, cache: Path, seed: int = 0) -> DataContext:
    return DataContext(seed=seed, root=root, cache=cache)


def cache_entries(cache: Path) -> list[Path]:
    folder = cache / "arrays"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("compress", [True, False])
def test_reads_generated_idx_files(tmp_path: Path, compress: bool) -> None:
    write_mnist(tmp_path / "data", compress=compress)
    data = DATASETS.get("mnist")(ctx=ctx(tmp_path / "data", tmp_path / "cache"))
    assert sum(data.counts()[:2]) == 200
    assert data.counts()[2] == 50
    assert data.input_shape == (1, 28, 28)
    assert 0.0 <= data.x_train.min()
    assert data.x_train.max() <= 1.0
    again = DATASETS.get("mnist")(ctx=ctx(tmp_path / "data", tmp_path / "cache"))
    assert torch.equal(again.x_train, data.x_train)
    assert again.fingerprint == data.fingerprint


def test_truncated_gzip_names_the_file_and_leaves_no_cache(tmp_path: Path) -> None:
    raw = write_mnist(tmp_path / "data")
    broken = raw / f"{FILES[0]}.gz"
    broken.write_bytes(broken.read_bytes()[:500])
    with pytest.raises(CorruptData, match=re.escape(str(broken))):
        DATASETS.get("mnist")(ctx=ctx(tmp_path / "data", tmp_path / "cache"))
    assert cache_entries(tmp_path / "cache") == []


def test_wrong_magic_names_the_file(tmp_path: Path) -> None:
    raw = write_mnist(tmp_path / "data", compress=False)
    broken = raw / FILES[1]
    broken.write_bytes(idx_bytes(np.arange(200) % 10, 2051))
    message = re.escape(f"{broken}: IDX magic number 2051, expected 2049")
    with pytest.raises(CorruptData, match=message):
        DATASETS.get("mnist")(ctx=ctx(tmp_path / "data", tmp_path / "cache"))
    assert cache_entries(tmp_path / "cache") == []


def test_missing_files_name_the_expected_path(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(DataUnavailable, match="MNIST/raw/train-images-idx3-ubyte"):
        DATASETS.get("mnist")(ctx=ctx(tmp_path / "data", tmp_path / "cache"))
    with pytest.raises(DataUnavailable, match="ABLAB_DATA"):
        DATASETS.get("fashion_mnist")(ctx=ctx(None, tmp_path / "cache"))


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    write_mnist(tmp_path / "data")
    context = ctx(tmp_path / "data", tmp_path / "cache")
    with pytest.raises(ValueError, match=r"classes=.*distinct labels from 0 to 9"):
        DATASETS.get("mnist")(ctx=context, classes=(1, 11))
    with pytest.raises(ValueError, match="train_subset=5 must be between 20 and 200"):
        DATASETS.get("mnist")(ctx=context, train_subset=5)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_real_files_have_70000_images(real_root: Path, session_cache: Path, name: str) -> None:
    need(real_root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw")
    data = DATASETS.get(name)(ctx=ctx(real_root, session_cache))
    train, val, test = data.counts()
    assert (train + val, test) == (60000, 10000)
    assert data.input_shape == (1, 28, 28)
    assert data.num_classes == 10
    assert data.x_test.min() == 0.0
    assert data.x_test.max() == 1.0


def test_real_class_subset_and_train_subset(real_root: Path, session_cache: Path) -> None:
    need(real_root / "FashionMNIST" / "raw")
    data = DATASETS.get("fashion_mnist")(
        ctx=ctx(real_root, session_cache), classes=S4_CLASSES, train_subset=1000)
    assert data.classes == tuple(FASHION_CLASSES[c] for c in S4_CLASSES)
    assert sum(data.counts()[:2]) == 1000
    assert data.counts()[2] == 5000  # the whole test split of the five classes
    shares = np.bincount(torch.cat([data.y_train, data.y_val]).numpy()) / 1000
    assert np.allclose(shares, 0.2)


def test_augment_4x_on_real_images(real_root: Path, session_cache: Path) -> None:
    """S4's protocol: originals, flipped, noisy, noisy-flipped; training split only."""
    need(real_root / "FashionMNIST" / "raw")
    data = DATASETS.get("fashion_mnist")(
        ctx=ctx(real_root, session_cache), classes=S4_CLASSES, train_subset=200)
    x, y = data.x_train, data.y_train
    bigger, labels = expand(x, y, "4x", seed=0)
    n = len(x)
    assert len(bigger) == 4 * n
    assert torch.equal(labels, y.repeat(4))
    assert torch.equal(bigger[:n], x)
    assert torch.equal(bigger[n : 2 * n], torch.flip(x, dims=(-1,)))
    noisy = bigger[2 * n : 3 * n]
    assert 0 < (noisy - x).abs().max() <= NOISE_AMPLITUDE + 1e-6
    assert 0.0 <= bigger.min()
    assert bigger.max() <= 1.0
    noisy_flipped = bigger[3 * n :] - torch.flip(x, dims=(-1,))
    assert 0 < noisy_flipped.abs().max() <= NOISE_AMPLITUDE + 1e-6
    assert not torch.equal(noisy_flipped, noisy - x)  # independent noise draws
