"""This repository's model factories (the studies' nets, the torchvision zoo); importing the
package registers them. The generic `mlp` and `cnn` are ablab's own (ablab.train.models)."""

from models import autoencoder, lstm, sklearn_mlp, zoo

__all__ = ["autoencoder", "lstm", "sklearn_mlp", "zoo"]
