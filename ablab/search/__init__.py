"""Optuna searches over Experiments: the search definitions, the objective, the storage."""
