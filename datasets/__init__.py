"""This repository's dataset factories (MNIST, CIFAR-10, malaria, UEA, class folders);
importing the package registers them. The embedded `digits` and `sequences` are ablab's own
(ablab.data.embedded)."""

from datasets import cifar10, expanded, images, mnist, uea

__all__ = ["cifar10", "expanded", "images", "mnist", "uea"]
