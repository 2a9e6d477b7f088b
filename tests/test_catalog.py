"""`python -m ablab datasets` / `models`: availability, counts, and why a set is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablab.cli.catalog import dataset_rows
from ablab.cli.main import main
from ablab.data import DataContext
from ablab.registry import MODELS
from tests.test_mnist import write_mnist


def test_datasets_lists_counts_and_missing_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_mnist(tmp_path / "data")
    code = main(["datasets", "--data", str(tmp_path / "data"), "--cache", str(tmp_path / "c"),
                 "--only", "mnist", "--only", "fashion_mnist", "--only", "sequences"])
    out = capsys.readouterr().out
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()[3:] if line.strip()}
    assert "yes" in lines["mnist"]
    assert "250" in lines["mnist"]
    assert "1x28x28" in lines["mnist"]
    assert "no: fashion_mnist: missing" in lines["fashion_mnist"]
    context = DataContext(seed=0, root=tmp_path / "data", cache=tmp_path / "c")
    (row,) = dataset_rows(context, ["fashion_mnist"])
    assert str(tmp_path / "data" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte") in row[1]
    assert "4,000" in lines["sequences"]


def test_datasets_without_a_root_say_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ABLAB_DATA", raising=False)
    assert main(["datasets", "--cache", str(tmp_path), "--only", "malaria"]) == 0
    assert "ABLAB_DATA" in capsys.readouterr().out


def test_unknown_dataset_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["datasets", "--cache", str(tmp_path), "--only", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ablab datasets: error: unknown dataset 'nope'")


def test_models_lists_every_registered_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines()[2:] if line[:1].strip()}
    assert listed == set(MODELS.names())
    assert "pretrain_epochs=15" in out
