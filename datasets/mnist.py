"""MNIST and Fashion-MNIST from the original IDX files, in torchvision's layout.

Looks in `<root>/MNIST/raw` and `<root>/FashionMNIST/raw` for the four IDX files, each unpacked
or as `.gz`. With `ctx.download` and the files absent, torchvision's dataset classes download
them into `<cache>/downloads` (never into the data root). Decoded arrays are cached.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torchvision

from ablab.data import DataContext, TensorData, keep_classes, split_validation, stratified_subset
from ablab.data.sources import (
    Arrays,
    CorruptData,
    DataUnavailable,
    cached_arrays,
    cached_split,
    data_root,
    find_file,
    fingerprint,
)
from ablab.registry import register_dataset

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")
IDX_MAGIC = {3: 2051, 1: 2049}  # dimensions -> magic number of unsigned-byte IDX files
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
Downloader = Callable[..., object]


def read_idx(path: Path, dims: int) -> np.ndarray:
    """An unsigned-byte IDX array with `dims` dimensions; CorruptData naming the file if not."""
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as error:  # truncated or not gzip
        raise CorruptData(f"{path}: cannot decompress ({error})") from error
    magic = int.from_bytes(raw[:4], "big")
    if magic != IDX_MAGIC[dims]:
        raise CorruptData(f"{path}: IDX magic number {magic}, expected {IDX_MAGIC[dims]}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    body = raw[4 + 4 * dims :]
    if len(body) != math.prod(shape):
        raise CorruptData(f"{path}: {len(body)} data bytes, the header promises {shape}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def decode(paths: list[Path]) -> Arrays:
    x_train, y_train, x_test, y_test = (read_idx(p, 3 if "images" in p.name else 1)
                                        for p in paths)
    for images, labels, path in ((x_train, y_train, paths[1]), (x_test, y_test, paths[3])):
        if len(images) != len(labels):
            raise CorruptData(f"{path}: {len(labels)} labels for {len(images)} images")
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def raw_files(ctx: DataContext, dataset: str, folder: str, downloader: Downloader) -> list[Path]:
    """The IDX files: the data root's, else a download when allowed."""
    needs = f"{folder}/raw/ with {', '.join(FILES)} (each may be .gz)"
    if ctx.root is not None:
        try:
            return [find_file(ctx.root / folder / "raw", name, dataset) for name in FILES]
        except DataUnavailable:
            if not ctx.download:
                raise
    if ctx.download:
        downloads = ctx.cache / "downloads"
        downloader(root=str(downloads), train=True, download=True)
        downloader(root=str(downloads), train=False, download=True)
        return [find_file(downloads / folder / "raw", name, dataset) for name in FILES]
    data_root(ctx, dataset, needs)  # raises: no root
    raise AssertionError("unreachable")


def load_idx_set(
    ctx: DataContext, dataset: str, folder: str, names: tuple[str, ...],
    downloader: Downloader, classes: tuple[int, ...] | None, train_subset: int | None,
) -> TensorData:
    """Decode (or read from the cache), keep `classes`, subsample, carve the validation split."""
    paths = raw_files(ctx, dataset, folder, downloader)
    key = fingerprint(dataset, paths, {})
    options = {"classes": classes, "train_subset": train_subset}
    return cached_split(ctx, key, options, lambda: prepare(
        ctx, dataset, cached_arrays(ctx, key, lambda: decode(paths)), names, classes,
        train_subset, key))


def prepare(
    ctx: DataContext, dataset: str, a: Arrays, names: tuple[str, ...],
    classes: tuple[int, ...] | None, train_subset: int | None, key: str,
) -> TensorData:
    x_train, y_train, x_test, y_test = a["x_train"], a["y_train"], a["x_test"], a["y_test"]
    if classes is not None:
        x_train, y_train = keep_classes(x_train, y_train, classes, dataset)
        x_test, y_test = keep_classes(x_test, y_test, classes, dataset)
        names = tuple(names[c] for c in classes)
    if train_subset is not None:
        x_train, y_train = stratified_subset(x_train, y_train, train_subset, ctx.seed, dataset)
    return split_validation(images(x_train), y_train, images(x_test), y_test, ctx, names, key)


def images(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return (x[:, None].astype(np.float32)) / 255.0


@register_dataset
def mnist(
    *, ctx: DataContext, classes: tuple[int, ...] | None = None, train_subset: int | None = None
) -> TensorData:
    """MNIST digits (N, 1, 28, 28) in [0, 1]: 60,000 train (validation carved from it), 10,000
    test. `classes` keeps those labels (relabelled in the order given); `train_subset` keeps a
    stratified subset of the 60,000 before the validation split."""
    return load_idx_set(ctx, "mnist", "MNIST", MNIST_CLASSES, torchvision.datasets.MNIST,
                        classes, train_subset)


@register_dataset
def fashion_mnist(
    *, ctx: DataContext, classes: tuple[int, ...] | None = None, train_subset: int | None = None
) -> TensorData:
    """Fashion-MNIST, as `mnist` (S4 keeps classes=(1, 3, 5, 7, 9))."""
    return load_idx_set(ctx, "fashion_mnist", "FashionMNIST", FASHION_CLASSES,
                        torchvision.datasets.FashionMNIST, classes, train_subset)
