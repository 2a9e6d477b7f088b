"""Which seed items of a variant this pytest session runs after the current one.

The seed axis makes every seed its own test item (`test_x[mlp-32-seed0]`, `...-seed1`, ...).
The first item of a variant that trains asks the session to train the later ones' seeds with
it (ablab.batching); only items collected and selected in this run count, so `-k seed1`
trains seed 1 alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

Group = tuple[str, str, str]  # (module node id, function name, parameters other than the seed)
PLAN_KEY = pytest.StashKey[dict[Group, list[tuple[int, int]]]]()


def _group(item: pytest.Item) -> tuple[Group, int] | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None or not isinstance(callspec.params.get("seed"), int):
        return None
    params: dict[str, Any] = {k: v for k, v in callspec.params.items() if k != "seed"}
    parent = item.parent.nodeid if item.parent is not None else ""
    name = getattr(item, "originalname", item.name)
    return (parent, name, repr(sorted(params.items(), key=lambda kv: kv[0]))), \
        int(callspec.params["seed"])


def _plan(session: pytest.Session) -> dict[Group, list[tuple[int, int]]]:
    """Per variant, (position in the run, seed) of its seed items, in run order."""
    if PLAN_KEY not in session.stash:
        plan: dict[Group, list[tuple[int, int]]] = defaultdict(list)
        for position, item in enumerate(session.items):
            found = _group(item)
            if found is not None:
                plan[found[0]].append((position, found[1]))
        session.stash[PLAN_KEY] = dict(plan)
    return session.stash[PLAN_KEY]


def later_seeds(item: pytest.Item) -> list[int]:
    """The seeds of the same variant's items that run after `item` in this session."""
    found = _group(item)
    if found is None:
        return []
    siblings = _plan(item.session).get(found[0], [])
    here = next((p for p, s in siblings if s == found[1]), -1)
    return [seed for position, seed in siblings if position > here]
