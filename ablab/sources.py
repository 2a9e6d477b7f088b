"""Reading dataset source files: the errors users see, fingerprints, and the decoded-array cache.

Decoded arrays are cached under `ctx.cache` as one `.npz` per (dataset, source fingerprint,
options). A cache entry is written to a temporary name and renamed, so a crash or a corrupt
source (which raises before anything is written) never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ablab.data import DataContext

Arrays = dict[str, np.ndarray]

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
    """The arrays cached under `key`, or `decode()` written atomically to the cache first."""
    path = ctx.cache / "arrays" / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}
        except (OSError, ValueError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)  # a damaged entry is a miss, decoded again below
    arrays = decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{key}-", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, allow_pickle=False, **arrays)
        Path(partial).replace(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return arrays
