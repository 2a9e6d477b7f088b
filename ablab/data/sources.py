"""Reading dataset source files: the errors users see, fingerprints, and the decoded-array cache.

Decoded arrays are cached under `ctx.cache` as one folder of `.npy` files per (dataset,
source fingerprint, options). A cache entry is written to a temporary folder and renamed, so a
crash or a corrupt source (which raises before anything is written) never leaves a
half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ablab.data.cache_entry import Arrays as Arrays  # re-exported: the datasets use it
from ablab.data.cache_entry import DamagedEntry, read_entry, write_entry
from ablab.data.tensors import DataContext, TensorData

CACHE_VERSION = 1  # bump when a decoder changes what it produces
_HASHES: dict[tuple[str, int, int], str] = {}  # per process: (path, size, mtime) -> sha256


class DataUnavailable(FileNotFoundError):
    """The files a dataset needs are not there; the message says which files to put where."""


class CorruptData(ValueError):
    """A source file exists but cannot be decoded; the message names the file."""


def data_root(ctx: DataContext, dataset: str, needs: str) -> Path:
    """The data root, or a DataUnavailable saying what to put under it."""
    if ctx.root is None:
        raise DataUnavailable(
            f"{dataset}: no data root; set ABLAB_DATA or --ablab-data to a folder holding {needs}"
        )
    return ctx.root


def find_file(folder: Path, name: str, dataset: str) -> Path:
    """`folder/name`, unpacked or as `name.gz`; else a DataUnavailable naming both."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataUnavailable(f"{dataset}: missing {folder / name} (or {name}.gz) in {folder}")


def file_hash(path: Path) -> str:
    """sha256 of a file's content, memoised per process by path, size and mtime."""
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASHES[memo] = digest.hexdigest()
    return _HASHES[memo]


def fingerprint(dataset: str, sources: Iterable[Path], options: dict[str, Any]) -> str:
    """Identity of decoded data: the dataset, its files' content (by name) and its options."""
    digest = hashlib.sha256(f"{dataset}:v{CACHE_VERSION}".encode())
    for path in sorted(sources, key=lambda p: str(p)):
        digest.update(f"{path.name}:{file_hash(path)};".encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    return f"{dataset}-{digest.hexdigest()[:16]}"


def cached_arrays(
    ctx: DataContext, key: str, decode: Callable[[], Arrays]
) -> Arrays:
    """The arrays cached under `key` (a folder of .npy files and their manifest), or
    `decode()` written to a temporary folder and renamed into place first. An entry that does
    not match its manifest is rebuilt, with one line on stderr saying why."""
    folder = ctx.cache / "arrays" / key
    if folder.is_dir():
        try:
            return read_entry(folder)
        except DamagedEntry as error:
            print(f"ablab: warning: cache entry {folder} is damaged or from an older ablab "
                  f"({error}); rebuilding it", file=sys.stderr)
            shutil.rmtree(folder, ignore_errors=True)
    arrays = decode()
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{key}-", suffix=".partial"))
    try:
        write_entry(partial, arrays)
        partial.rename(folder)
    except OSError:
        if not folder.is_dir():  # another process may have renamed the same entry first
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return arrays


SPLIT_FIELDS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def cached_split(
    ctx: DataContext, key: str, options: dict[str, Any], make: Callable[[], TensorData]
) -> TensorData:
    """The finished split of a decoded dataset, cached per options, seed and fractions: what
    makes a second load of a large image set cheap (splitting and converting 70,000 images to
    float costs more than reading the result back)."""
    settings = {**options, "seed": ctx.seed, "val": ctx.val_fraction, "test": ctx.test_fraction}
    name = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    made: list[TensorData] = []

    def build() -> Arrays:
        data = make()
        made.append(data)
        arrays = {f: getattr(data, f).numpy() for f in SPLIT_FIELDS}
        return {**arrays, "classes": np.array(data.classes), "fingerprint": np.array(key)}

    arrays = cached_arrays(ctx, f"{key}-split-{name.hexdigest()[:12]}", build)
    if made:
        return made[0]
    tensors = {f: torch.from_numpy(arrays[f]) for f in SPLIT_FIELDS}
    return TensorData(**tensors, classes=tuple(str(c) for c in arrays["classes"]),
                      fingerprint=str(arrays["fingerprint"]))
