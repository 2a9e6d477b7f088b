"""Dataset factories registered by name. Importing this package registers them all."""

from datasets import digits, sequences

__all__ = ["digits", "sequences"]
