"""One generic registry of named factories (timm's pattern): models and datasets, and one per
ablation axis: optimisers, schedules, losses, inits, penalties, augmentations."""

from __future__ import annotations

import functools
import importlib
import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any, Generic, Literal, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Repository-local packages whose import registers the built-in factories (see README).
BUILTIN_PACKAGES = ("models", "datasets")
# Arguments the engine passes itself; a user's kwargs may not set them.
ENGINE_ARGS = frozenset({"input_shape", "num_classes", "ctx"})


class Registry(Generic[F]):
    """Factories by name. Unknown names raise a ValueError listing the known ones."""

    def __init__(
        self, kind: str, engine_args: frozenset[str] = ENGINE_ARGS, builtins: str | None = None
    ) -> None:
        self.kind = kind
        self.plural = f"{kind}es" if kind.endswith("s") else f"{kind}s"
        # What the engine passes itself (the model, the optimiser, lr, ...), never a kwarg.
        self.engine_args = engine_args
        # The engine module whose import registers this axis' built-in factories.
        self.builtins = builtins
        self._factories: dict[str, F] = {}

    def register(self, factory: F) -> F:
        name = factory.__name__
        if name in self._factories and self._factories[name] is not factory:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._factories[name] = factory
        return factory

    def names(self) -> list[str]:
        self._load()
        return sorted(self._factories)

    def _load(self) -> None:
        if self.builtins is not None:
            importlib.import_module(self.builtins)
        load_builtins()

    def get(self, name: str) -> F:
        __tracebackhide__ = True
        self._load()
        if name not in self._factories:
            known = ", ".join(self.names()) or "none"
            raise ValueError(f"unknown {self.kind} {name!r}; known {self.plural}: {known}")
        return self._factories[name]

    def parameters(self, name: str) -> dict[str, inspect.Parameter]:
        """The keyword arguments a user may set, with their defaults."""
        signature = _signature(self.get(name))
        return {k: p for k, p in signature.parameters.items()
                if k not in self.engine_args and p.kind not in _VARIADIC}

    def check(self, name: str, kwargs: dict[str, Any], engine_kwargs: Iterable[str] = ()) -> None:
        """Raise a ValueError naming any keyword argument the factory does not take, a required
        one that is missing, or a value outside its `Literal` annotation."""
        __tracebackhide__ = True
        allowed = self.parameters(name)
        for key in [*kwargs, *engine_kwargs]:
            if key not in allowed:
                options = ", ".join(allowed) or "none"
                raise ValueError(
                    f"{self.kind} {name!r} takes no argument {key!r}; it takes: {options}"
                )
        given = {*kwargs, *engine_kwargs}
        for key, parameter in allowed.items():
            if parameter.default is inspect.Parameter.empty and key not in given:
                raise ValueError(f"{self.kind} {name!r} needs the argument {key!r}")
        hints = _hints(self.get(name))
        for key, value in kwargs.items():
            choices = _literal_choices(hints.get(key))
            if choices and value not in choices:
                listed = ", ".join(map(repr, choices))
                raise ValueError(f"{self.kind} {name!r}: {key}={value!r} is not allowed; "
                                 f"choose one of {listed}")


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


MODELS: Registry[Callable[..., Any]] = Registry("model")
DATASETS: Registry[Callable[..., Any]] = Registry("dataset")
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
    "optimizer", frozenset({"params", "lr"}), "ablab.train.optimizers")
SCHEDULES: Registry[Callable[..., Any]] = Registry(
    "schedule", frozenset({"optimizer", "epochs", "steps_per_epoch"}), "ablab.train.schedules")
LOSSES: Registry[Callable[..., Any]] = Registry("loss", frozenset(), "ablab.train.losses")
INITS: Registry[Callable[..., Any]] = Registry(
    "init", frozenset({"model"}), "ablab.train.initializers")
PENALTIES: Registry[Callable[..., Any]] = Registry(
    "penalty", frozenset(), "ablab.train.penalties")
AUGMENTATIONS: Registry[Callable[..., Any]] = Registry(
    "augmentation", frozenset(), "ablab.data.augment")
register_optimizer = OPTIMIZERS.register
register_schedule = SCHEDULES.register
register_loss = LOSSES.register
register_init = INITS.register
register_penalty = PENALTIES.register
register_augmentation = AUGMENTATIONS.register

_loaded = False


def load_builtins() -> None:
    """Import the repository's `models` and `datasets` once, registering their factories."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package in BUILTIN_PACKAGES:
        try:
            importlib.import_module(package)
        except ModuleNotFoundError as error:
            if error.name != package:
                raise
            raise ModuleNotFoundError(
                f"ablab could not import the repository package {package!r}: run from the "
                "ablab repository root (pytest and `python -m ablab` look there)"
            ) from error
