"""Model factories registered by name. Importing this package registers them all."""

from models import cnn, mlp

__all__ = ["cnn", "mlp"]
