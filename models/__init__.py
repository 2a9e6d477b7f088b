"""Model factories registered by name. Importing this package registers them all."""

from models import autoencoder, cnn, lstm, mlp, sklearn_mlp, zoo

__all__ = ["autoencoder", "cnn", "lstm", "mlp", "sklearn_mlp", "zoo"]
