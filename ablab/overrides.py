"""`--ablab-set FIELD=VALUE`: one Experiment field (or, dotted, one key of a `*_kwargs` field)
changed in every cell of a run, as Hydra's overrides do. The changed cells are ordinary
Experiments: validated on construction, with their own keys."""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from ablab.spec import Experiment

FIELDS = {f.name: f for f in dataclasses.fields(Experiment)}
# Fields the session sets itself, from its own options: an override would be overwritten (device,
# profile, CUDA options) or would give every seed of a cell one seed.
SESSION_OPTIONS = {**{name: f"--ablab-{name.replace('_', '-')}" for name, f in FIELDS.items()
                      if f.metadata.get("setting")}, "seed": "--ablab-seeds"}
DICT_FIELDS = sorted(name for name, f in FIELDS.items() if f.default_factory is dict)


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
        raise ValueError(f"--ablab-set {given}: {error}") from None
