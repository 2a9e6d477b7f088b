"""Artifacts: names are checked, captures are complete and atomic, training is unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ablab.data import TensorData, load_data
from ablab.session import CellInfo, Session
from ablab.spec import EpochRecord, Experiment
from ablab.store import open_store
from ablab.store.artifacts import ARTIFACTS, check_artifacts, load_artifacts
from ablab.train.artifacts import ArtifactCapture
from ablab.train.loop import run_experiment


class ProbeAutoencoder(nn.Module):
    """A conv encoder, a classifier head, and a decoder defined after the head."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                     nn.Linear(3 * 8 * 8, 12), nn.ReLU())
        self.head = nn.Linear(12, 2)
        self.decoder = nn.Linear(12, 64)  # never called by forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.encoder(x))
        return out

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(self.encoder(x))
        return out


def tiny_data(n: int = 40) -> TensorData:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 8, 8, generator=generator)
    y = torch.arange(n) % 2
    return TensorData(x, y, x, y, x, y, classes=("no", "yes"), fingerprint="tiny")


def test_unknown_names_give_one_line_listing_the_allowed() -> None:
    with pytest.raises(ValueError, match="unknown artifact 'bogus'; allowed: predictions") as err:
        check_artifacts(["predictions", "bogus"])
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="must be a collection"):
        check_artifacts("predictions")
    assert check_artifacts(["filters", "predictions"]) == ("predictions", "filters")


def test_capture_writes_every_kind_atomically(tmp_path: Path) -> None:
    model, data = ProbeAutoencoder(), tiny_data()
    capture = ArtifactCapture(ARTIFACTS, data)
    capture.after_epoch(model, EpochRecord(1, 0.0, 0.0, 0.0, 0.0, 40, 0.1))
    capture.finish(model)
    record = capture.save(tmp_path / "s" / "key.npz")
    assert record == {"path": str(tmp_path / "s" / "key.npz"), "names": list(ARTIFACTS)}
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["key.npz"]  # no .partial left
    arrays = load_artifacts(record)
    assert arrays["probs"].shape == (40, 2)
    np.testing.assert_allclose(arrays["probs"].sum(axis=1), 1.0, rtol=1e-5)
    # The hidden layer is the input of the last Linear the forward pass called (the head),
    # not of the decoder defined after it.
    assert arrays["embeddings_first"].shape == arrays["embeddings_final"].shape == (40, 12)
    assert arrays["filters"].shape == (3, 1, 3, 3)
    assert arrays["originals"].shape == arrays["reconstructions"].shape == (8, 1, 8, 8)
    assert len(arrays["sample_images"]) == len(arrays["sample_true"]) <= 32
    assert list(arrays["classes"]) == ["no", "yes"]


def test_capture_skips_what_the_model_does_not_have(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 5), nn.ReLU(), nn.Linear(5, 2))
    capture = ArtifactCapture(("filters", "reconstructions", "embeddings"), tiny_data())
    capture.finish(model)
    arrays = load_artifacts(capture.save(tmp_path / "k.npz"))
    assert "filters" not in arrays
    assert "reconstructions" not in arrays
    assert arrays["embeddings_final"].shape == (40, 5)


def test_capture_leaves_training_unchanged() -> None:
    exp = Experiment(dataset="digits", model="mlp", model_kwargs={"hidden": (16,)}, epochs=2,
                     dropout=0.2, device="cpu")
    data = load_data(exp)
    plain = run_experiment(exp, data)
    capture = ArtifactCapture(ARTIFACTS, data)
    captured = run_experiment(exp, data, after_epoch=capture.after_epoch)
    def untimed(history: list[EpochRecord]) -> list[tuple[float, ...]]:
        return [(h.train_loss, h.val_loss, h.val_accuracy) for h in history]

    assert untimed(captured.history) == untimed(plain.history)
    assert captured.accuracy == plain.accuracy
    assert "embeddings_first" in capture.arrays


def test_session_records_the_artifact_path_in_metrics(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=torch.device("cpu"), cache=tmp_path / "cache")
    exp = Experiment(dataset="digits", model="mlp", model_kwargs={"hidden": (16,)}, epochs=1)
    cell = CellInfo(study="toy", variant="mlp")
    with pytest.raises(ValueError, match="unknown artifact"):
        session.run(exp, cell, artifacts=("nope",))
    assert store.rows() == []  # rejected before training: nothing recorded
    result = session.run(exp, cell, artifacts=("predictions",))
    [row] = store.rows()
    record = row.metrics["artifacts"]
    assert record["names"] == ["predictions"]
    path = Path(record["path"])
    assert path == tmp_path / "artifacts" / session.session_id / f"{result.key}.npz"
    n_test = int(np.sum(row.metrics["confusion_matrix"]))
    assert load_artifacts(record)["probs"].shape == (n_test, 10)
    store.close()
