"""The ablation axes an Experiment names (optimiser, schedule, loss, init, penalty,
augmentation): each a registered factory plus a `<axis>_kwargs` field. Checked at construction
against the factory's signature, then probed: each factory is called once on a stand-in
(a 2x2 parameter, one step per epoch), so a value torch or the factory rejects fails there,
before anything trains, with the field named."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ablab.registry import (
    AUGMENTATIONS,
    INITS,
    LOSSES,
    OPTIMIZERS,
    PENALTIES,
    SCHEDULES,
    Registry,
)

AXES: dict[str, Registry[Callable[..., Any]]] = {
    "optimizer": OPTIMIZERS, "schedule": SCHEDULES, "loss": LOSSES, "init": INITS,
    "penalty": PENALTIES, "augmentation": AUGMENTATIONS,
}


def make(axis: str, fields: Mapping[str, Any], *args: Any, **engine: Any) -> Any:
    """Call the factory `fields[axis]` names with the engine's arguments and the user's kwargs."""
    __tracebackhide__ = True
    kwargs = fields[f"{axis}_kwargs"]
    try:
        return AXES[axis].get(fields[axis])(*args, **engine, **kwargs)
    except (ValueError, TypeError) as error:
        named = f"{axis}={fields[axis]!r} with {axis}_kwargs={kwargs!r}"
        raise ValueError(f"{named}: {error}") from None


def check_axes(fields: Mapping[str, Any]) -> None:
    """Raise a one-line ValueError for an unknown name, a kwarg the factory does not take or a
    value it rejects, naming the field."""
    __tracebackhide__ = True
    for axis, registry in AXES.items():
        try:
            registry.check(fields[axis], fields[f"{axis}_kwargs"])
        except ValueError as error:
            raise ValueError(f"{axis}_kwargs: {error}" if "unknown" not in str(error)
                             else str(error)) from None
    probed = json.dumps({k: fields[k] for k in _PROBED_FIELDS}, sort_keys=True, default=str)
    if probed not in _probed:  # variants made with `replace` probe the same axes again
        _probe(fields)
        _probed.add(probed)


_PROBED_FIELDS = ("lr", "epochs", *AXES, *(f"{axis}_kwargs" for axis in AXES))
_probed: set[str] = set()


def _probe(fields: Mapping[str, Any]) -> None:
    __tracebackhide__ = True
    import torch  # here, so that `import ablab.spec` stays light

    param = torch.nn.Parameter(torch.zeros(2, 2))
    optimizer = make("optimizer", fields, [param], lr=fields["lr"])
    make("schedule", fields, optimizer, epochs=fields["epochs"], steps_per_epoch=1)
    make("init", fields, torch.nn.Linear(2, 2))
    for axis in ("loss", "penalty", "augmentation"):
        make(axis, fields)
