"""One generic registry of named factories (timm's pattern): models and datasets, and one per
ablation axis: optimisers, schedules, losses, inits, penalties, augmentations.

ablab registers its embedded defaults itself (ablab.train.models, ablab.data.embedded, and each
axis' built-ins): they load on the first use of one of these registries (`load_builtins`), not
when ablab is imported, so statistics and reports never pull in torch. A project registers its
own factories by importing its modules (see ablab.project); its first registration loads the
built-ins before it, so a name clash is reported at the project's line."""

from __future__ import annotations

import functools
import importlib
import inspect
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, overload

from ablab.validate import check_kwargs

F = TypeVar("F", bound=Callable[..., Any])
Lister = Callable[[Path | None], list[dict[str, Any]]]

# Arguments the engine passes itself; a user's kwargs may not set them.
ENGINE_ARGS = frozenset({"input_shape", "num_classes", "ctx"})


# The modules whose import registers ablab's built-in factories.
BUILTINS = ("ablab.data.augment", "ablab.data.embedded", "ablab.train.initializers",
            "ablab.train.losses", "ablab.train.models", "ablab.train.optimizers",
            "ablab.train.penalties", "ablab.train.schedules")
_builtins = {"state": "not loaded"}


def load_builtins() -> None:
    """Import BUILTINS once. A built-in module's own registrations, made while it loads,
    return at once (state `loading`); a failed import leaves them to be tried again."""
    if _builtins["state"] != "not loaded":
        return
    _builtins["state"] = "loading"
    try:
        for name in BUILTINS:
            importlib.import_module(name)
    except BaseException:
        _builtins["state"] = "not loaded"
        raise
    _builtins["state"] = "loaded"


class Registry(Generic[F]):
    """Factories by name. Unknown names raise a ValueError listing the known ones. With
    `builtins`, any use first loads ablab's built-ins (load_builtins)."""

    def __init__(
        self, kind: str, engine_args: frozenset[str] = ENGINE_ARGS, builtins: bool = False
    ) -> None:
        self.kind = kind
        self.builtins = builtins
        self.plural = f"{kind}es" if kind.endswith("s") else f"{kind}s"
        # What the engine passes itself (the model, the optimiser, lr, ...), never a kwarg.
        self.engine_args = engine_args
        self._factories: dict[str, F] = {}
        self._listers: dict[Callable[..., Any], Lister] = {}

    @overload
    def register(self, factory: F, /) -> F: ...
    @overload
    def register(self, name: str, /) -> Callable[[F], F]: ...

    def register(self, factory_or_name: F | str, /) -> F | Callable[[F], F]:
        """`@register_x` registers a factory under its function name; `@register_x("name")`
        under another name (one that is not a Python identifier, say)."""
        if isinstance(factory_or_name, str):
            name = factory_or_name
            if not name or name != name.strip():
                raise ValueError(f"{self.kind} name {name!r} is not allowed; it must be a "
                                 "non-empty name without surrounding spaces")
            return functools.partial(self._add, name)
        return self._add(factory_or_name.__name__, factory_or_name)

    def _ready(self) -> None:
        if self.builtins:
            load_builtins()

    def _add(self, name: str, factory: F) -> F:
        self._ready()
        if not callable(factory):
            raise TypeError(f"@register_{self.kind} takes a factory function; got {factory!r}")
        if name in self._factories and self._factories[name] is not factory:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._factories[name] = factory
        return factory

    def listed_by(self, lister: Lister) -> Callable[[F], F]:
        """Decorator: `lister(data_root)` gives the keyword arguments of each usable choice of
        a factory whose choices are found at run time (e.g. every UEA set under the data root),
        for listings; it raises (e.g. DataUnavailable) to say why there is none."""
        def wrap(factory: F) -> F:
            self._listers[factory] = lister
            return factory
        return wrap

    def lister(self, name: str) -> Lister | None:
        self._ready()
        factory = self._factories.get(name)
        return None if factory is None else self._listers.get(factory)

    def names(self) -> list[str]:
        self._ready()
        return sorted(self._factories)

    def get(self, name: str) -> F:
        __tracebackhide__ = True
        self._ready()
        if name not in self._factories:
            known = ", ".join(self.names()) or "none"
            raise ValueError(
                f"unknown {self.kind} {name!r}; known {self.plural}: {known}; register it with "
                f"@ablab.register_{self.kind} in a module listed in [tool.ablab] imports "
                "(pyproject.toml) or imported before the Experiment is built")
        return self._factories[name]

    def parameters(self, name: str) -> dict[str, inspect.Parameter]:
        """The keyword arguments a user may set, with their defaults."""
        __tracebackhide__ = True  # an unknown name is the user's line, not this frame
        signature = _signature(self.get(name))
        return {k: p for k, p in signature.parameters.items()
                if k not in self.engine_args and p.kind not in _VARIADIC}

    def check(self, name: str, kwargs: dict[str, Any], engine_kwargs: Iterable[str] = ()) -> None:
        """Raise a ValueError naming any keyword argument the factory does not take, a required
        one that is missing, or a value outside its annotation (a `Literal`'s choices, a type)."""
        __tracebackhide__ = True
        self._check_keys(name, [*kwargs, *engine_kwargs])
        given = {*kwargs, *engine_kwargs}
        for key, parameter in self.parameters(name).items():
            if parameter.default is inspect.Parameter.empty and key not in given:
                raise ValueError(f"{self.kind} {name!r} needs the argument {key!r}")
        self._check_values(name, kwargs)

    def check_given(self, name: str, kwargs: dict[str, Any]) -> None:
        """`check` of some of the arguments only (an --ablab-set override of one key, the cell
        giving the rest): no argument is required."""
        __tracebackhide__ = True
        self._check_keys(name, list(kwargs))
        self._check_values(name, kwargs)

    def _check_keys(self, name: str, keys: list[str]) -> None:
        __tracebackhide__ = True
        allowed = self.parameters(name)
        for key in keys:
            if key not in allowed:
                options = ", ".join(allowed) or "none"
                raise ValueError(
                    f"{self.kind} {name!r} takes no argument {key!r}; it takes: {options}"
                )

    def _check_values(self, name: str, kwargs: dict[str, Any]) -> None:
        __tracebackhide__ = True
        hints = _hints(self.get(name))
        for key, value in kwargs.items():
            choices = _literal_choices(hints.get(key))
            if choices and value not in choices:
                listed = ", ".join(map(repr, choices))
                raise ValueError(f"{self.kind} {name!r}: {key}={value!r} is not allowed; "
                                 f"choose one of {listed}")
        check_kwargs(self.kind, name, self.get(name), kwargs)


# Cached per factory: every Experiment construction checks eight factories, and resolving string
# annotations (`from __future__ import annotations`) cost most of its time uncached.
@functools.cache
def _signature(factory: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(factory)


@functools.cache
def _hints(factory: Callable[..., Any]) -> dict[str, Any]:
    return typing.get_type_hints(factory)


_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def _literal_choices(hint: object) -> tuple[object, ...]:
    """The allowed values of a `Literal[...]` annotation (also inside `X | None`)."""
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)
    nested = [_literal_choices(arg) for arg in typing.get_args(hint)]
    return tuple(value for values in nested for value in values)


MODELS: Registry[Callable[..., Any]] = Registry("model", builtins=True)
DATASETS: Registry[Callable[..., Any]] = Registry("dataset", builtins=True)
register_model = MODELS.register
register_dataset = DATASETS.register

# The ablation axes. Factory signatures (README, "Adding an optimizer / schedule / loss"):
#   optimizer    (params, *, lr, **kwargs) -> torch.optim.Optimizer
#   schedule     (optimizer, *, epochs, steps_per_epoch, **kwargs) -> LRScheduler, per batch
#   loss         (**kwargs) -> (logits, targets) -> loss
#   init         (model, **kwargs) -> None, initialises the model in place
#   penalty      (**kwargs) -> (weights) -> penalty term, or None for no term
#   augmentation (**kwargs) -> (x, generator) -> x, a batch transform run on the device
OPTIMIZERS: Registry[Callable[..., Any]] = Registry(
    "optimizer", frozenset({"params", "lr"}), builtins=True)
SCHEDULES: Registry[Callable[..., Any]] = Registry(
    "schedule", frozenset({"optimizer", "epochs", "steps_per_epoch"}), builtins=True)
LOSSES: Registry[Callable[..., Any]] = Registry("loss", frozenset(), builtins=True)
INITS: Registry[Callable[..., Any]] = Registry("init", frozenset({"model"}), builtins=True)
PENALTIES: Registry[Callable[..., Any]] = Registry("penalty", frozenset(), builtins=True)
AUGMENTATIONS: Registry[Callable[..., Any]] = Registry("augmentation", frozenset(),
                                                       builtins=True)
register_optimizer = OPTIMIZERS.register
register_schedule = SCHEDULES.register
register_loss = LOSSES.register
register_init = INITS.register
register_penalty = PENALTIES.register
register_augmentation = AUGMENTATIONS.register
