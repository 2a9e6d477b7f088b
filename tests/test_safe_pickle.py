"""No code from data files: CIFAR batches are read with a data-only unpickler, and names taken
from user text cannot place files outside their folder."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ablab.data import safe_pickle
from ablab.data.sources import CorruptData
from ablab.naming import inside
from ablab.registry import DATASETS
from tests.conftest import REPO, child_env
from tests.test_image_sets import ctx, write_cifar


class _Payload:
    """Unpickling this calls `action(*args)`: what a crafted data file does."""

    def __init__(self, action: Any, *args: Any) -> None:
        self.action, self.args = action, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.action, self.args


def _payloads(marker: Path) -> list[_Payload]:
    return [_Payload(open, str(marker), "w"), _Payload(os.system, f"touch {marker}"),
            _Payload(exec, f"open({str(marker)!r}, 'w')")]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_shaped_batches_load(tmp_path: Path, protocol: int) -> None:
    batch = {b"data": np.arange(12, dtype=np.uint8).reshape(2, 6), b"labels": [1, 2],
             b"filenames": [b"a.png", b"b.png"], b"batch_label": "training batch 1 of 5"}
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(batch, protocol=protocol))
    loaded = safe_pickle.load(path, encoding="bytes")
    assert loaded[b"labels"] == [1, 2]
    assert loaded[b"data"].dtype == np.uint8
    np.testing.assert_array_equal(loaded[b"data"], batch[b"data"])


@pytest.mark.parametrize("index", range(3), ids=["open", "os.system", "exec"])
def test_crafted_cifar_batch_is_refused_and_payload_not_run(tmp_path: Path, index: int) -> None:
    folder = write_cifar(tmp_path / "root")
    marker = tmp_path / "pwned"
    batch = {b"data": np.zeros((40, 3072), np.uint8), b"labels": _payloads(marker)[index]}
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch))
    with pytest.raises(CorruptData, match="data_batch_1: not a CIFAR-10 python batch "
                                          r"\(refuses to load ") as error:
        DATASETS.get("cifar10")(ctx=ctx(tmp_path / "root", tmp_path / "cache"))
    assert "\n" not in str(error.value)
    assert not marker.exists()


def test_datasets_command_reports_crafted_batch_without_running_it(tmp_path: Path) -> None:
    """`python -m ablab datasets` is what a user runs to check a data root: it must not run it."""
    folder = write_cifar(tmp_path / "root")
    marker = tmp_path / "pwned"
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": _payloads(marker)[1]}))
    done = subprocess.run(
        [sys.executable, "-m", "ablab", "datasets", "--only", "cifar10", "--data",
         str(tmp_path / "root"), "--cache", str(tmp_path / "cache")],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env={**child_env(), "PYTHONPATH": str(REPO)},
    )
    listing = " ".join(done.stdout.split())  # the table wraps long cells over lines
    assert "corrupt" in listing
    assert "refuses to load posix.system" in listing
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/../../b", "", ".."])
def test_names_cannot_leave_their_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="is not allowed as a folder name"):
        inside(tmp_path / "models", name, "study")


def test_plain_and_nested_names_stay_inside(tmp_path: Path) -> None:
    assert inside(tmp_path, "dropout", "study") == tmp_path / "dropout"
    assert inside(tmp_path, "s1.init", "study") == tmp_path / "s1.init"
