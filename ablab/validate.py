"""Type checks from annotations: an Experiment's fields and a factory's keyword arguments.

`epochs=2.5`, `batch_size=True`, `lr="0.01"` or `model_kwargs={"hidden": "abc"}` would
otherwise be accepted (and hashed into a cell key) or fail deep inside torch with Python's own
TypeError text. Each mismatch is one ValueError line naming the field and the type it takes.
The checker knows the annotations the engine and its factories use (bool, int, float, str,
None, Literal, X | Y, tuple[...], list[...], dict[...]); any other annotation is not checked.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

# Why a value fails a hint, or None when it fits.
_Problem = str | None


def check_fields(instance: Any) -> None:
    """Raise a ValueError naming the first field of a dataclass whose value does not fit its
    annotation (floats must also be finite: inf and nan are never a setting)."""
    __tracebackhide__ = True
    hints = _hints(type(instance))
    for field in dataclasses.fields(instance):
        _raise_if_wrong(field.name, getattr(instance, field.name), hints.get(field.name))


def check_value(owner: type, name: str, value: object) -> None:
    """check_fields for one field of `owner` and a value it does not hold yet (an override
    checked at start-up); a field without an annotation the checker knows passes."""
    __tracebackhide__ = True
    _raise_if_wrong(name, value, _hints(owner).get(name))


def check_kwargs(kind: str, name: str, factory: Callable[..., Any],
                 kwargs: dict[str, Any]) -> None:
    """Raise a ValueError when a keyword argument does not fit the factory's annotation."""
    __tracebackhide__ = True
    hints = _hints(factory)
    for key, value in kwargs.items():
        _raise_if_wrong(key, value, hints.get(key), prefix=f"{kind} {name!r}: ")


_HINTS: dict[object, dict[str, Any]] = {}  # resolving string annotations costs an eval each


def _hints(target: object) -> dict[str, Any]:
    if target not in _HINTS:
        try:
            _HINTS[target] = typing.get_type_hints(target)
        except (NameError, TypeError):  # an annotation we cannot resolve is not checked
            _HINTS[target] = {}
    return _HINTS[target]


def _raise_if_wrong(name: str, value: object, hint: object, prefix: str = "") -> None:
    __tracebackhide__ = True
    if hint is None or _fits(value, hint):
        return
    raise ValueError(f"{prefix}{name}={value!r} is not allowed; {name} must be "
                     f"{describe(hint)}")


def _fits(value: object, hint: object) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    if hint is str:
        return isinstance(value, str)
    if origin is Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if origin is tuple or origin is list:
        return _fits_sequence(value, args)
    if origin is dict:
        return isinstance(value, dict) and all(
            _fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
    return True  # a class, a Callable, ...: not the checker's business


def _fits_sequence(value: object, args: tuple[Any, ...]) -> bool:
    """tuple[X, ...], tuple[X, Y] and list[X]. A list stands for a tuple too: a stored
    experiment comes back from JSON with its tuples as lists."""
    if not isinstance(value, tuple | list):
        return False
    if (len(args) == 2 and args[1] is Ellipsis) or len(args) == 1:
        return all(_fits(item, args[0]) for item in value)
    return len(value) == len(args) and all(_fits(v, a) for v, a in zip(value, args, strict=True))


_NAMES = {bool: "True or False", int: "an integer", float: "a finite number", str: "a string",
          type(None): "None"}


def describe(hint: object) -> str:
    """The hint in words: `int | None` -> "an integer or None"."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _NAMES:
        return _NAMES[hint]
    if hint is None:
        return "None"
    if origin is Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(arg) for arg in args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"a tuple of {_plural(args[0])}"
    if origin is tuple:
        return f"a tuple ({', '.join(describe(a) for a in args)})"
    if origin is list:
        return f"a list of {_plural(args[0])}"
    if origin is dict:
        return f"a dict with {_plural(args[0])} as keys"
    return getattr(hint, "__name__", str(hint))


def _plural(hint: object) -> str:
    words = describe(hint)
    return {"an integer": "integers", "a finite number": "finite numbers",
            "a string": "strings"}.get(words, words)


def given(what: str) -> Callable[[str], str]:
    """An argparse type for text that may not be empty (`--db "$URL"` with URL unset would
    otherwise quietly mean the default); `what` is what to give instead."""
    def text(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(f"{value!r} is not allowed; give {what}")
        return value

    return text
