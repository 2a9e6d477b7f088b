"""Test metrics from predicted probabilities (scikit-learn), the collapse and at-chance flags,
time-to-accuracy."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch

from ablab.spec import EpochRecord
from ablab.stats.chance import at_or_below_chance, majority_share

# A model whose most frequent prediction covers this share of the test split has collapsed
# onto one class (the sequence study's models predicted the majority class for everything).
COLLAPSE_SHARE = 0.95


def is_collapsed(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> bool:
    """True when one class takes nearly every prediction although the labels are more varied."""
    counts = np.bincount(y_pred, minlength=num_classes)
    top = int(counts.argmax())
    predicted_share = counts[top] / len(y_pred)
    true_share = float(np.mean(y_true == top))
    return bool(predicted_share >= COLLAPSE_SHARE and true_share < COLLAPSE_SHARE)


# scikit-learn is imported inside the functions: it costs about a second, and every pytest run
# that loads ablab's plugin imports this module, training or not.


def classification_metrics(
    y_true: np.ndarray, probs: np.ndarray, classes: tuple[str, ...]
) -> dict[str, Any]:
    """Accuracy, macro and weighted precision / recall / F1, per-class report, confusion matrix,
    ROC AUC (binary, or one-vs-rest macro), the collapse flag, the chance level (majority-class
    share of the test split) and the at-chance flag (ablab.stats.chance)."""
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = list(range(len(classes)))
    finite = bool(np.isfinite(probs).all())
    y_pred = probs.argmax(axis=1) if finite else np.zeros_like(y_true)
    with warnings.catch_warnings():
        # Precision of a class never predicted is 0 by definition here, not an error.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        per_class = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, zero_division=0
        )
        macro = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average="macro", zero_division=0
        )
        weighted = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average="weighted", zero_division=0
        )
    precision, recall, f1, support = per_class
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision_macro": float(macro[0]), "recall_macro": float(macro[1]),
        "f1_macro": float(macro[2]),
        "precision_weighted": float(weighted[0]), "recall_weighted": float(weighted[1]),
        "f1_weighted": float(weighted[2]),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]),
                   "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(classes)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "roc_auc": roc_auc(y_true, probs, len(classes)) if finite else math.nan,
        "collapsed": is_collapsed(y_true, y_pred, len(classes)),
        **chance_metrics(y_true, y_pred, len(classes)),
    }


def chance_metrics(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, Any]:
    """metrics["chance"] and metrics["at_chance"]: test accuracy not above the majority guess."""
    counts = np.bincount(y_true, minlength=num_classes).tolist()
    correct = int(np.sum(y_true == y_pred))
    return {"chance": majority_share(counts), "at_chance": at_or_below_chance(correct, counts)}


def roc_auc(y_true: np.ndarray, probs: np.ndarray, num_classes: int) -> float:
    """Binary AUC, or the macro one-vs-rest AUC; NaN when a class is missing from the labels."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y_true)) < num_classes:
        return math.nan
    if num_classes == 2:
        return float(roc_auc_score(y_true, probs[:, 1]))
    return float(roc_auc_score(y_true, probs, multi_class="ovr", labels=list(range(num_classes))))


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities from logits; a single logit is a sigmoid binary head."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits[:, 0].float())
        return torch.stack([1 - p, p], dim=1)
    return torch.softmax(logits.float(), dim=1)


def overfit_epoch(history: list[EpochRecord]) -> float:
    """The epoch where validation loss turns up (S1's overfitting point): the epoch of its
    lowest value when a later epoch is higher; NaN while it still falls at the last epoch."""
    if len(history) < 2:
        return math.nan
    best = min(history, key=lambda r: r.val_loss)
    return float(best.epoch) if best is not history[-1] else math.nan


def time_to_accuracy(history: list[EpochRecord], target: float | None) -> dict[str, float]:
    """Epochs and training seconds until validation accuracy first reaches `target`, else NaN."""
    if target is None:
        return {}
    elapsed = 0.0
    for record in history:
        elapsed += record.seconds
        if record.val_accuracy >= target:
            return {"epochs_to_target": float(record.epoch), "seconds_to_target": elapsed}
    return {"epochs_to_target": math.nan, "seconds_to_target": math.nan}
