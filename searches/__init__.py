"""This repository's Optuna searches; importing the package registers them (pyproject.toml's
`[tool.ablab] imports` names it, so pytest and `python -m ablab` load it from here)."""

from searches import mlp

__all__ = ["mlp"]
