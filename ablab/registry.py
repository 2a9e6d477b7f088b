"""One generic registry of named factories, used for models and datasets (timm's pattern).

ablab registers its embedded defaults itself (ablab.train.models, ablab.data.embedded); a
project registers its own factories by importing its modules (see ablab.project)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Lister = Callable[[Path | None], list[dict[str, Any]]]

# Arguments the engine passes itself; a user's kwargs may not set them.
ENGINE_ARGS = frozenset({"input_shape", "num_classes", "ctx"})


class Registry(Generic[F]):
    """Factories by name. Unknown names raise a ValueError listing the known ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, F] = {}
        self._listers: dict[str, Lister] = {}

    def register(self, factory: F) -> F:
        name = factory.__name__
        if name in self._factories and self._factories[name] is not factory:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._factories[name] = factory
        return factory

    def listed_by(self, lister: Lister) -> Callable[[F], F]:
        """Decorator: `lister(data_root)` gives the keyword arguments of each usable choice of
        a factory whose choices are found at run time (e.g. every UEA set under the data root),
        for listings; it raises (e.g. DataUnavailable) to say why there is none."""
        def wrap(factory: F) -> F:
            self._listers[factory.__name__] = lister
            return factory
        return wrap

    def lister(self, name: str) -> Lister | None:
        return self._listers.get(name)

    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> F:
        __tracebackhide__ = True
        if name not in self._factories:
            known = ", ".join(self.names()) or "none"
            raise ValueError(
                f"unknown {self.kind} {name!r}; known {self.kind}s: {known}; register it with "
                f"@ablab.register_{self.kind} in a module listed in [tool.ablab] imports "
                "(pyproject.toml) or imported before the Experiment is built")
        return self._factories[name]

    def parameters(self, name: str) -> dict[str, inspect.Parameter]:
        """The keyword arguments a user may set, with their defaults."""
        signature = inspect.signature(self.get(name))
        return {k: p for k, p in signature.parameters.items() if k not in ENGINE_ARGS}

    def check(self, name: str, kwargs: dict[str, Any], engine_kwargs: Iterable[str] = ()) -> None:
        """Raise a ValueError naming any keyword argument the factory does not take."""
        __tracebackhide__ = True
        allowed = self.parameters(name)
        for key in [*kwargs, *engine_kwargs]:
            if key not in allowed:
                options = ", ".join(allowed) or "none"
                raise ValueError(
                    f"{self.kind} {name!r} takes no argument {key!r}; it takes: {options}"
                )
        hints = typing.get_type_hints(self.get(name))
        for key, value in kwargs.items():
            choices = _literal_choices(hints.get(key))
            if choices and value not in choices:
                listed = ", ".join(map(repr, choices))
                raise ValueError(f"{self.kind} {name!r}: {key}={value!r} is not allowed; "
                                 f"choose one of {listed}")


def _literal_choices(hint: object) -> tuple[object, ...]:
    """The allowed values of a `Literal[...]` annotation (also inside `X | None`)."""
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)
    nested = [_literal_choices(arg) for arg in typing.get_args(hint)]
    return tuple(value for values in nested for value in values)


MODELS: Registry[Callable[..., Any]] = Registry("model")
DATASETS: Registry[Callable[..., Any]] = Registry("dataset")
register_model = MODELS.register
register_dataset = DATASETS.register
