"""A study's controls: what the report compares each variant with.

A study module declares `CONTROL` as one of
- a variant name, `CONTROL = "none"`: every variant is compared with it;
- a mapping of glob patterns to variants, `CONTROL = {"mlp-*": "mlp-default", "cnn-*":
  "cnn-default"}`: a variant takes the control of the first pattern it matches (fnmatch, case
  sensitive), so each model family or data set has its own;
- a function `CONTROL(variant) -> str`, for groups a pattern cannot spell (the window study:
  each data set's `<set>-2`).

The `run` fixture stores each row's resolved control; `check_controls` runs when pytest has
collected a module, against the variants that profile actually has, so a control that does not
exist is a collection error that names the variants that do (not a report that silently falls
back to the first row). Pure: no torch, no pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any


class ControlError(ValueError):
    """A CONTROL that names no collected variant, or a variant it leaves without a control."""


def control_of(declared: Any, variant: str) -> str | None:
    """The control `declared` gives `variant`; None when nothing is declared or no pattern of
    a mapping matches."""
    if declared is None:
        return None
    if isinstance(declared, str):
        return declared
    if isinstance(declared, Mapping):
        return next((str(control) for pattern, control in declared.items()
                     if fnmatchcase(variant, str(pattern))), None)
    if callable(declared):
        return str(declared(variant))
    raise ControlError(f"CONTROL={declared!r} is not allowed; give a variant name, a mapping "
                       f"of glob patterns to variant names, or a function variant -> name")


def check_controls(declared: Any, variants: Sequence[str]) -> None:
    """ControlError (one line) when a variant gets no control or one that is not among
    `variants`; the message lists which variants there are."""
    if declared is None or not variants:
        return
    known = list(dict.fromkeys(variants))
    wanted: dict[str, list[str]] = {}  # control -> the variants that are compared with it
    for variant in known:
        control = control_of(declared, variant)
        if control is None:
            raise ControlError(f"CONTROL: variant {variant!r} matches none of the patterns "
                               f"{', '.join(map(repr, declared))}")
        wanted.setdefault(control, []).append(variant)
    missing = {c: users for c, users in wanted.items() if c not in known}
    if missing:
        named = "; ".join(f"{c!r} (control of {', '.join(users)})" for c, users in missing.items())
        raise ControlError(f"CONTROL names {named}, not a variant of this profile; its variants: "
                           f"{', '.join(known)}")


def same_group(last: str) -> Callable[[str], str]:
    """A CONTROL for variants named `<group>-<value>` (a model family, a data set): each group's
    `<group>-<last>`, e.g. `same_group("2")` gives `BasicMotions-2` to `BasicMotions-4`."""

    def control(variant: str) -> str:
        return f"{variant.rpartition('-')[0] or variant}-{last}"

    control.__doc__ = f"each group's <group>-{last}"
    return control
