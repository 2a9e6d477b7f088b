"""Dataset factories registered by name. Importing this package registers them all."""

from datasets import digits, mnist, sequences

__all__ = ["digits", "mnist", "sequences"]
