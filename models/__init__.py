"""Model factories registered by name. Importing this package registers them all."""

from models import cnn, lstm, mlp

__all__ = ["cnn", "lstm", "mlp"]
