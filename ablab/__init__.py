"""ablab: a pytest-style ablation and benchmark harness for PyTorch."""

from ablab.registry import register_dataset, register_model
from ablab.spec import Experiment, RunResult

__all__ = ["Experiment", "RunResult", "register_dataset", "register_model"]
__version__ = "0.1.0"
