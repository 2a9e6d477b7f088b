"""One entry of the decoded-array cache: a folder of `.npy` files plus `manifest.json`, which
records each array's shape, dtype, file size and a CRC-32 of its data when it is written.

Reading checks the entry against its manifest, so a missing, truncated or overwritten `.npy`
(a full disk, a copy interrupted, a user's tidying) is found and rebuilt, never loaded into a
cell as silently wrong data.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

Arrays = dict[str, np.ndarray]
MANIFEST = "manifest.json"


class DamagedEntry(ValueError):
    """The entry does not match its manifest; the message says how."""


def write_entry(folder: Path, arrays: Arrays) -> None:
    """Write each array as `<name>.npy` and the manifest last (its presence marks a whole
    entry; the caller renames the folder into place)."""
    manifest: dict[str, dict[str, Any]] = {}
    for name, array in arrays.items():
        path = folder / f"{name}.npy"
        np.save(path, array, allow_pickle=False)
        manifest[name] = {"shape": list(array.shape), "dtype": array.dtype.str,
                          "bytes": path.stat().st_size, "crc32": _crc32(array)}
    (folder / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")


def read_entry(folder: Path) -> Arrays:
    """The arrays of a cache entry; DamagedEntry when any differs from the manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DamagedEntry(f"no readable {MANIFEST} ({type(error).__name__})") from None
    arrays: Arrays = {}
    for name, expected in manifest.items():
        path = folder / f"{name}.npy"
        if not path.is_file():
            raise DamagedEntry(f"{path.name} is missing")
        if path.stat().st_size != expected["bytes"]:
            raise DamagedEntry(f"{path.name} has {path.stat().st_size} bytes, the manifest "
                               f"{expected['bytes']}")
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise DamagedEntry(f"{path.name} is unreadable ({error})") from None
        if list(array.shape) != expected["shape"] or array.dtype.str != expected["dtype"]:
            raise DamagedEntry(f"{path.name} holds {array.dtype.str} {array.shape}, the "
                               f"manifest {expected['dtype']} {tuple(expected['shape'])}")
        if _crc32(array) != expected.get("crc32"):
            raise DamagedEntry(f"{path.name} differs from what was written (CRC-32)")
        arrays[name] = array
    return arrays


def _crc32(array: np.ndarray) -> int:
    """CRC-32 of the array's bytes, computed on the loaded array (no second read of the file).
    It catches damage, not tampering, at a third of sha256's cost: MNIST's cached split is
    220 MB, and a cached load is meant to be cheap (see docs/data-and-models.md)."""
    return zlib.crc32(np.ascontiguousarray(array).data)
