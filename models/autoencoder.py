"""S4's autoencoder and the classifier built on its encoder (a two-stage protocol).

Stage one (`AEClassifier.pretrain`, called by `ablab.train.train` before its loop): the encoder
and its mirrored decoder learn to reconstruct the training inputs with an MSE loss. Stage two
(the ordinary loop): encoder + a `head`-unit layer + output layer, trained with cross-entropy.
The autoencoder stays reachable as `model.autoencoder`; `model.reconstruct(x)` gives images of
the input's shape from the autoencoder *as it was at the end of pretraining* (stage two
fine-tunes the encoder but never the decoder, so the current pair no longer fits together),
so reports show what the autoencoder learned.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from ablab.registry import register_model
from ablab.spec import Experiment


class AutoEncoder(nn.Module):
    """Flatten -> [Linear, ReLU] per encoder size; mirrored decoder ending in a sigmoid (inputs
    are pixels in [0, 1]); forward returns the reconstruction in the input's shape."""

    def __init__(self, input_shape: tuple[int, ...], sizes: tuple[int, ...]) -> None:
        super().__init__()
        if not sizes or min(sizes) < 1:
            raise ValueError(f"autoencoder: encoder={sizes} needs at least one size >= 1")
        self.input_shape = input_shape
        widths = [math.prod(input_shape), *sizes]
        encoder: list[nn.Module] = [nn.Flatten()]
        for a, b in itertools.pairwise(widths):
            encoder += [nn.Linear(a, b), nn.ReLU()]
        decoder: list[nn.Module] = []
        reverse = widths[::-1]
        for a, b in itertools.pairwise(reverse):
            decoder += [nn.Linear(a, b), nn.ReLU()]
        decoder[-1] = nn.Sigmoid()
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)
        self.code_size = sizes[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.decoder(self.encoder(x))
        return out.view(len(x), *self.input_shape)


def autoencoder(
    *, input_shape: tuple[int, ...], encoder: tuple[int, ...] = (392, 196, 98, 32)
) -> AutoEncoder:
    """The bare autoencoder (not a classifier, so not in the model registry)."""
    return AutoEncoder(input_shape, tuple(encoder))


class AEClassifier(nn.Module):
    def __init__(self, ae: AutoEncoder, num_classes: int, head: int, pretrain_epochs: int,
                 freeze_encoder: bool, dropout: float) -> None:
        super().__init__()
        self.autoencoder = ae
        self.pretrain_epochs = pretrain_epochs
        self.freeze_encoder = freeze_encoder
        layers: list[nn.Module] = [nn.Linear(ae.code_size, head), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        self.classifier = nn.Sequential(*layers, nn.Linear(head, num_classes))
        # The autoencoder's weights at the end of pretraining (a plain dict: not a parameter,
        # so stage two's optimiser and saved state never see it).
        self.pretrained: dict[str, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = self.autoencoder.encoder(x)
        if self.freeze_encoder:
            code = code.detach()
        out: torch.Tensor = self.classifier(code)
        return out

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructed inputs by the autoencoder as pretraining left it (the current one
        before any pretraining), for original-vs-reconstructed figures."""
        self.eval()
        with torch.no_grad():
            if self.pretrained is None:
                out: torch.Tensor = self.autoencoder(x)
            else:
                out = functional_call(self.autoencoder, self.pretrained, (x,))
        return out

    def pretrain(self, x: torch.Tensor, exp: Experiment) -> dict[str, Any]:
        """Stage one: MSE reconstruction of `x` by the autoencoder, Adam at exp.lr, exp's batch
        size, `pretrain_epochs` passes. Returns the per-epoch reconstruction loss."""
        ae = self.autoencoder
        ae.train()
        optimizer = torch.optim.Adam(ae.parameters(), lr=exp.lr)
        generator = torch.Generator(device=x.device).manual_seed(exp.seed)
        losses: list[float] = []
        start = time.perf_counter()
        for _ in range(self.pretrain_epochs):
            order = torch.randperm(len(x), device=x.device, generator=generator)
            total = torch.zeros((), device=x.device)
            for i in range(0, len(x), exp.batch_size):
                batch = x[order[i : i + exp.batch_size]]
                loss = F.mse_loss(ae(batch), batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(batch)
            losses.append(total.item() / len(x))
        self.pretrained = {k: v.detach().clone() for k, v in ae.state_dict().items()}
        return {"reconstruction_loss": losses, "seconds": time.perf_counter() - start}


@register_model
def ae_classifier(
    *, input_shape: tuple[int, ...], num_classes: int,
    encoder: tuple[int, ...] = (392, 196, 98, 32), head: int = 256, pretrain_epochs: int = 15,
    freeze_encoder: bool = False, dropout: float = 0.0,
) -> nn.Module:
    """S4's autoencoder classifier: encoder (pretrained as an autoencoder for
    `pretrain_epochs`), a `head`-unit ReLU layer, output layer. `freeze_encoder` keeps the
    pretrained encoder fixed in stage two (default: fine-tuned with the head)."""
    if pretrain_epochs < 0 or head < 1:
        raise ValueError(f"ae_classifier: pretrain_epochs={pretrain_epochs} must be >= 0 and "
                         f"head={head} >= 1")
    return AEClassifier(autoencoder(input_shape=input_shape, encoder=encoder), num_classes, head,
                        pretrain_epochs, freeze_encoder, dropout)
