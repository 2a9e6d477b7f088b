"""The decoded-array cache: a damaged entry is found against its manifest and rebuilt with one
warning line, never loaded as silently wrong data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ablab.data.cache_entry import MANIFEST
from ablab.data.sources import cached_arrays
from ablab.data.tensors import DataContext


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-40])


def _scramble(path: Path) -> None:  # same size, other bytes: only the hash can tell
    raw = bytearray(path.read_bytes())
    raw[-8:] = bytes(8)
    path.write_bytes(bytes(raw))


DAMAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "missing-npy": ("x.npy", Path.unlink),
    "truncated-npy": ("x.npy", _truncate),
    "overwritten-npy": ("x.npy", _scramble),
    "missing-manifest": (MANIFEST, Path.unlink),
}


def _entry(tmp_path: Path) -> tuple[DataContext, list[int], Callable[[], dict[str, np.ndarray]]]:
    ctx = DataContext(seed=0, root=None, cache=tmp_path)
    calls: list[int] = []

    def decode() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.arange(100, dtype=np.float32) + 1, "y": np.arange(10)}

    return ctx, calls, decode


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_entry_is_rebuilt_with_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    ctx, calls, decode = _entry(tmp_path)
    first = cached_arrays(ctx, "k", decode)
    name, harm = DAMAGES[damage]
    harm(tmp_path / "arrays" / "k" / name)
    again = cached_arrays(ctx, "k", decode)
    assert len(calls) == 2
    np.testing.assert_array_equal(again["x"], first["x"])
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1
    assert warning[0].startswith("ablab: warning: cache entry ")
    assert warning[0].endswith("rebuilding it")
    cached_arrays(ctx, "k", decode)  # the rebuilt entry is whole again: read, not decoded
    assert len(calls) == 2


def test_a_whole_entry_is_read_back_without_decoding(tmp_path: Path) -> None:
    ctx, calls, decode = _entry(tmp_path)
    cached_arrays(ctx, "k", decode)
    read = cached_arrays(ctx, "k", decode)
    assert calls == [1]
    assert read["y"].tolist() == list(range(10))
