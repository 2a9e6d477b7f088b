"""Per-cell sanity checks shared by the ablation modules: finite numbers, learning, collapse.

They raise AssertionError with a message naming the cell's numbers, so a failing ablation
reads like a failing assertion in pytest (and `python -O` cannot strip them).
"""

from __future__ import annotations

import math

from ablab.spec import RunResult
from ablab.stats import chance

FINITE_METRICS = ("accuracy", "f1_macro", "loss")


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise AssertionError(message)


def majority_share(result: RunResult) -> float:
    """Accuracy of always predicting the test split's most frequent class: the chance level."""
    support = [int(c["support"]) for c in result.metrics["per_class"].values()]
    return chance.majority_share(support)


def summary(result: RunResult) -> str:
    """One line with what a reader needs to judge a failed check."""
    return (f"status={result.status} accuracy={result.accuracy:.3f} "
            f"macro_f1={result.macro_f1:.3f} chance={majority_share(result):.3f} "
            f"at_chance={result.metrics.get('at_chance')} "
            f"final_train_loss={result.final_train_loss:.4g}")


def check_finite(result: RunResult) -> None:
    """The run did not diverge: test metrics and every epoch's losses are finite."""
    _require(result.status != "diverged", f"the cell diverged: {summary(result)}")
    bad = [name for name in FINITE_METRICS if not math.isfinite(float(result.metrics[name]))]
    bad += [f"epoch {h.epoch} losses" for h in result.history
            if not (math.isfinite(h.train_loss) and math.isfinite(h.val_loss))]
    _require(not bad, f"non-finite {', '.join(bad)}: {summary(result)}")


def check_learned(result: RunResult, margin: float) -> None:
    """Finite, not collapsed onto one class, not flagged at or below chance, and test accuracy
    above chance + `margin`."""
    check_finite(result)
    _require(result.status == "ok",
             f"a cell expected to learn collapsed onto one class: {summary(result)}")
    _require(not result.metrics.get("at_chance", False),
             f"a cell expected to learn is at or below chance: {summary(result)}")
    chance = majority_share(result)
    _require(result.accuracy > chance + margin,
             f"accuracy not above chance + {margin}: {summary(result)}")


def check_at_chance(result: RunResult, margin: float) -> None:
    """A cell expected NOT to learn (e.g. zero init) stays within `margin` of chance and is
    flagged collapsed (the at-chance flag is not required: a near-constant model may get a
    few samples more right than the majority guess)."""
    chance = majority_share(result)
    _require(result.accuracy <= chance + margin,
             f"expected chance-level accuracy, it learned: {summary(result)}")
    _require(result.status == "collapsed",
             f"expected the collapse flag on a chance-level cell: {summary(result)}")
