"""`--ablab-set FIELD=VALUE`: one Experiment field (or, dotted, one key of a `*_kwargs` field)
changed in every cell of a run, as Hydra's overrides do. The changed cells are ordinary
Experiments: validated on construction, with their own keys.

A value is checked at start-up as far as it can be without the cells (they are built inside the
tests): its type and its field's own bounds when the options are read (`check_overrides`), and,
once collection has imported every module that registers factories, that a name is registered
and that a kwargs key is taken, with a value that fits, by the factory the run names or, when
it names none, by some registered factory of that axis (`check_registered`). What only a cell
can tell (`model_kwargs.hidden` given to a CNN cell, `lr_candidates` that leave out the cell's
lr) fails that cell in one line, before it trains."""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from ablab.axes import AXES
from ablab.registry import DATASETS, MODELS, Registry
from ablab.spec import Experiment, check_field

FIELDS = {f.name: f for f in dataclasses.fields(Experiment)}
# Fields the session sets itself, from its own options: an override would be overwritten (device,
# profile, CUDA options) or would give every seed of a cell one seed.
SESSION_OPTIONS = {**{name: f"--ablab-{name.replace('_', '-')}" for name, f in FIELDS.items()
                      if f.metadata.get("setting")}, "seed": "--ablab-seeds"}
DICT_FIELDS = sorted(name for name, f in FIELDS.items() if f.default_factory is dict)
# The fields that name a registered factory, each beside its `<field>_kwargs`.
NAMED: dict[str, Registry[Any]] = {"model": MODELS, "dataset": DATASETS, **AXES}


class OverrideError(ValueError):
    """An --ablab-set value that cannot be applied; one line naming the override."""


def parse_value(text: str) -> Any:
    """JSON (`20`, `1e-3`, `true`, `null`, `[64, 32]`), else a Python literal (`True`, `(64,)`),
    else the text itself (`adamw`)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_override(text: str) -> tuple[str, Any]:
    """`FIELD=VALUE` or `FIELD.KEY=VALUE` -> (path, value); a ValueError names what is wrong."""
    path, sep, raw = text.partition("=")
    if not sep or not path:
        raise ValueError(f"{text!r} is not FIELD=VALUE (e.g. epochs=20 or "
                         "optimizer_kwargs.weight_decay=0.01)")
    name, dot, key = path.partition(".")
    if name not in FIELDS:
        raise ValueError(f"{text!r}: unknown field {name!r}; fields: {', '.join(FIELDS)}")
    if name in SESSION_OPTIONS:
        raise ValueError(f"{text!r}: {name} is a session setting; use {SESSION_OPTIONS[name]}")
    if dot and (name not in DICT_FIELDS or not key):
        raise ValueError(f"{text!r}: only the kwargs fields take FIELD.KEY "
                         f"({', '.join(DICT_FIELDS)})")
    return path, parse_value(raw)


def parse_overrides(texts: list[str]) -> dict[str, Any]:
    """Every `--ablab-set`, in order (a later one for the same path wins)."""
    return dict(parse_override(text) for text in texts)


def apply_overrides(exp: Experiment, overrides: Mapping[str, Any]) -> Experiment:
    """`exp` with the overrides applied; a bad value is the Experiment's own one-line error,
    prefixed with the override that caused it."""
    __tracebackhide__ = True
    if not overrides:
        return exp
    changes: dict[str, Any] = {}
    for path, value in overrides.items():
        name, dot, key = path.partition(".")
        if dot:
            kwargs = changes.get(name, dict(getattr(exp, name)))
            changes[name] = {**kwargs, key: value}
        else:
            changes[name] = value
    try:
        return dataclasses.replace(exp, **changes)
    except (ValueError, TypeError) as error:
        given = " ".join(f"{path}={value!r}" for path, value in overrides.items())
        raise OverrideError(f"--ablab-set {given}: {error}") from None


def check_overrides(overrides: Mapping[str, Any]) -> None:
    """Raise OverrideError for a value that no cell could take: the wrong type, outside its
    field's own bounds, or a knob with a field of its own set through a kwargs field."""
    for path, value in overrides.items():
        name, dot, key = path.partition(".")
        try:
            check_field(name, {key: value} if dot else value)
        except ValueError as error:
            raise OverrideError(f"--ablab-set {path}={value!r}: {error}") from None


def check_registered(overrides: Mapping[str, Any]) -> None:
    """Raise OverrideError for an unregistered name, or kwargs that the factory the overrides
    name (else every registered factory of that axis) rejects. Call it once every module that
    registers factories is imported: after collection."""
    for axis, registry in NAMED.items():
        name = overrides.get(axis)
        kwargs = _kwargs(overrides, axis)
        given = " ".join(f"{path}={value!r}" for path, value in overrides.items()
                         if path.partition(".")[0] in (axis, f"{axis}_kwargs"))
        try:
            if name is not None:
                registry.get(name)
            if kwargs:
                _check_some_factory(registry, name, kwargs, str(FIELDS[axis].default))
        except ValueError as error:
            raise OverrideError(f"--ablab-set {given}: {error}") from None


def _kwargs(overrides: Mapping[str, Any], axis: str) -> dict[str, Any]:
    """The keys the overrides set in `<axis>_kwargs`, whole or dotted, in order."""
    found: dict[str, Any] = {}
    for path, value in overrides.items():
        name, dot, key = path.partition(".")
        if name == f"{axis}_kwargs":
            found.update({key: value} if dot else value)
    return found


def _check_some_factory(registry: Registry[Any], name: str | None, kwargs: dict[str, Any],
                        default: str) -> None:
    """A ValueError unless the named factory (or, with none named, any registered one) takes
    these kwargs; required arguments are the cell's to give. Unnamed, the error shown is the
    default factory's (what a cell that leaves the axis alone uses)."""
    if name is not None:
        registry.check_given(name, kwargs)
        return
    names = registry.names()
    errors: dict[str, ValueError] = {}
    for candidate in names:
        try:
            registry.check_given(candidate, kwargs)
        except ValueError as error:
            errors[candidate] = error
        else:
            return
    if errors:
        shown = errors.get(default) or next(iter(errors.values()))
        raise ValueError(f"no registered {registry.kind} takes it ({shown})")
