"""scikit-learn's MLPClassifier as a model kind (S6's library baseline).

It trains through `fit_epoch` (one `partial_fit` pass per epoch, so the loop records the same
per-epoch history and early stopping works) on the same splits, and its forward returns
log-probabilities, which are valid logits: evaluation and metrics are shared with torch models.
Experiment fields used: epochs, batch_size, lr, optimizer (adam -> adam, sgd -> sgd, momentum
-> sgd with momentum 0.9), seed. `init` and `dropout` have no counterpart and are not used.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from sklearn.neural_network import MLPClassifier
from torch import nn

from ablab.registry import register_model
from ablab.spec import Experiment
from ablab.train.layers import Activation

SKLEARN_ACTIVATIONS = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh",
                       "identity": "identity"}


class SklearnMLP(nn.Module):
    def __init__(self, num_classes: int, hidden: tuple[int, ...], activation: str,
                 alpha: float) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.estimator = MLPClassifier(hidden_layer_sizes=hidden, activation=activation,
                                       alpha=alpha)
        self.fitted = False

    def fit_epoch(self, x: torch.Tensor, y: torch.Tensor, exp: Experiment) -> tuple[float, float]:
        """One partial_fit pass; returns sklearn's epoch loss and the training accuracy."""
        if not self.fitted:
            check_optimizer(exp)
            self.estimator.set_params(
                solver="adam" if exp.optimizer == "adam" else "sgd", learning_rate_init=exp.lr,
                batch_size=min(exp.batch_size, len(y)), random_state=exp.seed,
                momentum=0.9 if exp.optimizer == "momentum" else 0.0, nesterovs_momentum=False,
                shuffle=True)
        features, labels = flat(x), y.cpu().numpy()
        self.estimator.partial_fit(features, labels, classes=np.arange(self.num_classes))
        self.fitted = True
        accuracy = float((self.estimator.predict(features) == labels).mean())
        return float(self.estimator.loss_), accuracy

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.fitted:
            raise RuntimeError("sklearn_mlp: fit_epoch must run before predictions")
        probs = self.estimator.predict_proba(flat(x))
        return torch.from_numpy(np.log(np.clip(probs, 1e-12, None))).float().to(x.device)

    def get_extra_state(self) -> Any:
        # Rides in state_dict, so early stopping's best-weights copy and saved models hold it.
        return {"estimator": copy.deepcopy(self.estimator), "fitted": self.fitted}

    def set_extra_state(self, state: Any) -> None:
        self.estimator, self.fitted = copy.deepcopy(state["estimator"]), state["fitted"]


SOLVERS = ("sgd", "momentum", "adam")  # the optimisers MLPClassifier has


def check_optimizer(exp: Experiment) -> None:
    """scikit-learn has its own solvers: three of ablab's optimisers, without their kwargs."""
    if exp.optimizer not in SOLVERS or exp.optimizer_kwargs:
        raise ValueError(f"model 'sklearn_mlp': optimizer={exp.optimizer!r} with "
                         f"optimizer_kwargs={exp.optimizer_kwargs!r} is not allowed; choose one "
                         f"of {', '.join(SOLVERS)} without kwargs")


def flat(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().reshape(len(x), -1).numpy().astype(np.float64)


@register_model
def sklearn_mlp(
    *, input_shape: tuple[int, ...], num_classes: int, hidden: tuple[int, ...] = (100,),
    activation: Activation = "relu", alpha: float = 1e-4,
) -> nn.Module:
    """MLPClassifier(hidden_layer_sizes=hidden, activation, alpha = L2 penalty) on flattened
    inputs of `input_shape` (input_shape only checks that inputs exist)."""
    if math.prod(input_shape) < 1 or not hidden or min(hidden) < 1:
        raise ValueError(f"sklearn_mlp: hidden={hidden} needs sizes >= 1")
    return SklearnMLP(num_classes, tuple(hidden), SKLEARN_ACTIVATIONS[activation], alpha)
