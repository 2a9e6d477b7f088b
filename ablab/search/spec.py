"""What a search is and the registry of searches; importing this needs no Optuna.

A search is a base Experiment per profile, a search space (a function of an Optuna trial that
returns field overrides) and a pruner. A project registers its own with `ablab.register_search`
in a module listed in its `[tool.ablab] imports` (this repository: the `searches` package).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ablab.spec import Experiment

if TYPE_CHECKING:
    import optuna

PRUNERS = ("median", "hyperband", "none")

Space = Callable[["optuna.Trial"], dict[str, Any]]


@dataclass(frozen=True)
class Search:
    """A base experiment per profile, a space of overrides and the pruner to use by default."""

    name: str
    description: str
    base: Callable[[str], Experiment]
    space: Space
    pruner: str = "median"

    def __post_init__(self) -> None:
        if self.pruner not in PRUNERS:
            raise ValueError(f"pruner={self.pruner!r} is not allowed; choose one of "
                             f"{', '.join(PRUNERS)}")


SEARCHES: dict[str, Search] = {}


def register_search(search: Search) -> Search:
    if search.name in SEARCHES and SEARCHES[search.name] is not search:
        raise ValueError(f"search {search.name!r} is registered twice")
    SEARCHES[search.name] = search
    return search


def get_search(name: str) -> Search:
    if name not in SEARCHES:
        known = ", ".join(sorted(SEARCHES)) or "none"
        raise ValueError(f"unknown search {name!r}; known searches: {known}; register it with "
                         "ablab.register_search in a module listed in [tool.ablab] imports")
    return SEARCHES[name]
