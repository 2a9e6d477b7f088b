"""An LSTM sequence classifier: reads x (N, T, F) and classifies from the last step's output."""

from __future__ import annotations

import torch
from torch import nn

from ablab.registry import register_model


class LSTMClassifier(nn.Module):
    def __init__(self, features: int, num_classes: int, hidden: int, layers: int,
                 dropout: float) -> None:
        super().__init__()
        # nn.LSTM's own dropout acts between stacked layers only; the head dropout acts always.
        self.lstm = nn.LSTM(features, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.lstm(x)
        last: torch.Tensor = self.out(self.dropout(outputs[:, -1]))
        return last


@register_model
def lstm(
    *, input_shape: tuple[int, ...], num_classes: int, hidden: int = 32, layers: int = 1,
    dropout: float = 0.0,
) -> nn.Module:
    """LSTM over (steps, features) inputs, dropout, then a linear output layer."""
    if len(input_shape) != 2:
        raise ValueError(f"lstm needs inputs (steps, features); this dataset has shape "
                         f"{input_shape}")
    if hidden < 1 or layers < 1:
        raise ValueError(f"lstm: hidden={hidden} and layers={layers} must be >= 1")
    return LSTMClassifier(input_shape[1], num_classes, hidden, layers, dropout)
