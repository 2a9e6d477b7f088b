"""A cell's variant name from its test's parameters, in the order of the test function's
arguments (not the order of stacked `@pytest.mark.parametrize` decorators).

Each parametrize call contributes pytest's own id for its values (`mlp`, `0.5`, an explicit
`ids=` entry, or one id for a multi-argument call such as `fc-0.5`); the `seed` axis does not.
The ids are joined with `-` in the order of the first argument of each call in the function's
signature, so swapping two decorators keeps `mlp-he` as `mlp-he`.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

SEED = "seed"


def _groups(item: pytest.Item, params: dict[str, object]) -> list[tuple[str, ...]]:
    """The argument names of each parametrize call, in the order pytest applied them.

    A callspec keeps one id per call but not which arguments the call set, so multi-argument
    calls are read from the item's parametrize marks; every other argument (the seed axis, a
    hook's `metafunc.parametrize`, a parametrised fixture) was set by a call of its own."""
    multi: dict[str, tuple[str, ...]] = {}
    for mark in item.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        if len(names) > 1:
            multi.update({name: tuple(names) for name in names})
    groups: list[tuple[str, ...]] = []
    for name in params:
        group = multi.get(name, (name,))
        if group not in groups:
            groups.append(group)
    return groups


def _argument_order(item: pytest.Item) -> dict[str, int]:
    function = getattr(item, "obj", None)
    if function is None:
        return {}
    return {name: i for i, name in enumerate(inspect.signature(function).parameters)}


def variant_name(item: pytest.Item) -> str:
    """E.g. `mlp-he` for `test_init(run, model, init, seed)`; the test's name when only the
    seed varies."""
    callspec: Any = getattr(item, "callspec", None)
    original = str(getattr(item, "originalname", item.name))
    if callspec is None:
        return original
    groups = _groups(item, callspec.params)
    ids = list(callspec._idlist)  # one id per parametrize call (pytest's CallSpec2)
    if len(ids) != len(groups):  # a call with hidden ids: keep pytest's joined id
        seed_id = f"{SEED}{callspec.params.get(SEED)}"
        return "-".join(p for p in callspec.id.split("-") if p != seed_id) or original
    order = _argument_order(item)
    named = [(group, id_) for group, id_ in zip(groups, ids, strict=True) if SEED not in group]
    position = {group: min(order.get(n, len(order)) for n in group) for group, _ in named}
    ordered = sorted(enumerate(named), key=lambda pair: (position[pair[1][0]], pair[0]))
    return "-".join(id_ for _, (_, id_) in ordered) or original
