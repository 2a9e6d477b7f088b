"""Reading pickled data files without running code from them.

`pickle.load` calls whatever callable a file names, so a crafted data file runs arbitrary code
(`os.system`, `builtins.exec`, ...). Data formats that are pickles (CIFAR's python batches)
only need containers, numbers, strings, bytes and numpy arrays: `load` resolves exactly the
globals those need and refuses every other one before anything is called.
"""

from __future__ import annotations

import _codecs
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from numpy._core import multiarray, numeric

# (module, name) -> object for what a numpy array or a Python 2 byte string needs to be rebuilt.
# numpy 1 writes `numpy.core.*`, numpy 2 `numpy._core.*`; each entry builds data only.
_NUMPY_BUILDERS: dict[str, Any] = {
    "multiarray._reconstruct": multiarray._reconstruct,  # an empty ndarray of a given dtype
    "multiarray.scalar": multiarray.scalar,  # a numpy scalar from its bytes
    "numeric._frombuffer": numeric._frombuffer,  # type: ignore[attr-defined]  # protocol 5
}
ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _codecs.encode,  # Python 2 `str` pickled by Python 3 (protocol 2)
}
for _package in ("numpy.core", "numpy._core"):
    for _dotted, _builder in _NUMPY_BUILDERS.items():
        _module, _, _name = _dotted.partition(".")
        ALLOWED[(f"{_package}.{_module}", _name)] = _builder


class UnsafePickle(pickle.UnpicklingError):
    """The file names a callable that a data file has no reason to need."""


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            found = ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickle(f"refuses to load {module}.{name}: a data file may only hold "
                               "dicts, lists, numbers, strings, bytes and numpy arrays") from None
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickle("refuses persistent ids: a data file may not reference objects")


def load(path: Path, *, encoding: str = "ASCII") -> Any:
    """The object pickled in `path`, built from data types only; UnsafePickle otherwise.
    `encoding="bytes"` reads Python 2 pickles (CIFAR's) with their strings as bytes."""
    with path.open("rb") as handle:
        return _DataUnpickler(handle, encoding=encoding).load()
