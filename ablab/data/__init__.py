"""Datasets: the tensors a dataset factory returns, the seeded split, loading and the cache."""

from ablab.data.loading import default_cache, default_root, load_data
from ablab.data.tensors import (
    DataContext,
    TensorData,
    keep_classes,
    split,
    split_validation,
    stratified_subset,
)

__all__ = ["DataContext", "TensorData", "default_cache", "default_root", "keep_classes",
           "load_data", "split", "split_validation", "stratified_subset"]
