"""Capturing per-cell artifacts from a model while it trains (see ablab.store.artifacts).

A cell asks for them with `run(exp, artifacts=("predictions", ...))`. They are captured from the
trained model (and, for "embeddings", also after the first epoch), written as one compressed
`.npz` per row under `<artifacts root>/<session>/<row key>.npz` (atomically), and the row's
`metrics["artifacts"]` records `{"path": ..., "names": [...]}`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ablab.data.tensors import TensorData
from ablab.spec import EpochRecord
from ablab.store.artifacts import check_artifacts, write_npz
from ablab.train.metrics import probabilities

EMBEDDING_SAMPLES = 512  # test samples whose hidden activations are kept (t-SNE input)
GRID_SAMPLES = 16  # correctly and wrongly classified test images kept, each
RECONSTRUCTION_SAMPLES = 8
CHUNK = 1024


def hidden_activations(model: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """The input of the last `nn.Linear` a forward pass calls (the last hidden layer), flattened;
    None when the model has no linear layer. Hooks every Linear because the last one defined
    need not be the last one called (a decoder may be defined after the classifier head)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        return None
    calls: list[torch.Tensor] = []

    def keep_input(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        calls.append(inputs[0].detach())

    handles = [m.register_forward_pre_hook(keep_input) for m in linears]
    chunks = []
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, len(x), CHUNK):
                calls.clear()
                model(x[start : start + CHUNK])
                chunks.append(calls[-1].flatten(1))
    finally:
        for handle in handles:
            handle.remove()
    return torch.cat(chunks)


class ArtifactCapture:
    """Collects the requested arrays while a cell trains and after; `save` writes them."""

    def __init__(self, names: Collection[str], data: TensorData) -> None:
        self.names = check_artifacts(names)
        self.data = data
        self.arrays: dict[str, np.ndarray] = {"classes": np.array(data.classes, dtype=str)}

    def after_epoch(self, model: nn.Module, record: EpochRecord) -> None:
        """Training hook: the hidden layer after the first epoch. Eval mode and no RNG use, so
        training continues exactly as it would without the capture."""
        if record.epoch == 1 and "embeddings" in self.names:
            self._embeddings(model, "embeddings_first")

    def finish(self, model: nn.Module) -> None:
        """Capture everything else from the trained model."""
        model.eval()
        x, y = self.data.x_test, self.data.y_test
        with torch.no_grad():
            probs = torch.cat([probabilities(model(x[i : i + CHUNK]))
                               for i in range(0, len(x), CHUNK)]).cpu().numpy()
        labels = y.cpu().numpy()
        if "predictions" in self.names:
            self.arrays["probs"] = probs.astype(np.float32)
            self.arrays["labels"] = labels
        if "embeddings" in self.names:
            self._embeddings(model, "embeddings_final")
            self.arrays["embedding_labels"] = labels[:EMBEDDING_SAMPLES]
        if "samples" in self.names:
            self._samples(probs.argmax(1), labels)
        if "filters" in self.names:
            convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
            if convs:
                self.arrays["filters"] = convs[-1].weight.detach().cpu().numpy()
        if "reconstructions" in self.names:
            self._reconstructions(model)

    def _embeddings(self, model: nn.Module, name: str) -> None:
        hidden = hidden_activations(model, self.data.x_test[:EMBEDDING_SAMPLES])
        if hidden is not None:
            self.arrays[name] = hidden.cpu().numpy().astype(np.float16)

    def _samples(self, predicted: np.ndarray, labels: np.ndarray) -> None:
        correct = np.flatnonzero(predicted == labels)[:GRID_SAMPLES]
        wrong = np.flatnonzero(predicted != labels)[:GRID_SAMPLES]
        index = np.concatenate([correct, wrong])
        self.arrays["sample_images"] = self.data.x_test[index].cpu().numpy().astype(np.float16)
        self.arrays["sample_true"] = labels[index]
        self.arrays["sample_pred"] = predicted[index]

    def _reconstructions(self, model: nn.Module) -> None:
        reconstruct = getattr(model, "reconstruct", None)
        if not callable(reconstruct):
            return
        x = self.data.x_test[:RECONSTRUCTION_SAMPLES]
        with torch.no_grad():
            out = reconstruct(x)
        self.arrays["originals"] = x.cpu().numpy().astype(np.float16)
        self.arrays["reconstructions"] = out.reshape(x.shape).cpu().numpy().astype(np.float16)

    def save(self, path: Path) -> dict[str, Any]:
        """Write the arrays atomically; the record that goes into the row's metrics."""
        write_npz(path, self.arrays)
        return {"path": str(path), "names": list(self.names)}


