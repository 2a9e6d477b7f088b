"""Dataset factories registered by name. Importing this package registers them all."""

from datasets import cifar10, digits, expanded, images, mnist, sequences, uea

__all__ = ["cifar10", "digits", "expanded", "images", "mnist", "sequences", "uea"]
