"""pytest hooks of a named session: register its collection in the store (the first process
that names the id does; every later one must collect the same tests), and with `--ablab-shard`
keep only this shard's units of the stored plan (docs/scale-out.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ablab.scale.collection import difference, expected_costs, is_claim, unit_of, units
from ablab.scale.shards import Shard, plan
from ablab.store import RunStore, SessionManifest


@dataclass(eq=False)  # registered as a plugin: hashed by identity
class NamedSession:
    store: RunStore
    session_id: str
    settings: dict[str, object]
    shard: Shard | None = None
    summary: str = ""

    @pytest.hookimpl(trylast=True)  # after -k/-m deselected theirs: the collection as run
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        manifest = self._registered(items)
        if self.shard is None:
            tests = sum(map(len, manifest.units.values()))
            planned = f", planned in {manifest.shards} shards" if manifest.shards else ""
            self.summary = (f"ablab: session {self.session_id}: {tests} tests besides claims"
                            f"{planned}")
            return
        mine = {u for u, s in manifest.plan.items() if s == self.shard.index}
        keep = [i for i in items if not is_claim(i) and unit_of(i) in mine]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        cells = sum(len(manifest.units[u]) for u in mine)
        self.summary = (f"ablab: session {self.session_id}, shard {self.shard}: {len(mine)} of "
                        f"{len(manifest.plan)} units ({cells} tests); claims run in the gather")

    def pytest_report_collectionfinish(self) -> list[str]:
        return [self.summary] if self.summary else []

    def _registered(self, items: list[pytest.Item]) -> SessionManifest:
        """This collection's manifest as the store holds it; a UsageError naming what differs
        when the session was registered with another collection or shard count."""
        mine = SessionManifest(session_id=self.session_id, settings=self.settings,
                               units=units(items),
                               shards=None if self.shard is None else self.shard.count)
        if self.shard is not None:
            stored = self.store.manifest(self.session_id)
            if stored is None:  # the first shard to come plans for all of them
                costs = expected_costs(self.store, mine)
                mine = SessionManifest(session_id=mine.session_id, settings=mine.settings,
                                       units=mine.units, shards=mine.shards,
                                       plan=plan(costs, self.shard.count))
        stored = self.store.register(mine)
        diff = difference(mine, stored)
        if diff:
            raise pytest.UsageError(f"--ablab-session {self.session_id}: this collection differs "
                                    f"from the one the session registered: {diff}")
        if self.shard is not None and stored.shards != self.shard.count:
            planned = f"{stored.shards} shards" if stored.shards else "no shards"
            raise pytest.UsageError(f"--ablab-shard {self.shard}: session {self.session_id} was "
                                    f"planned with {planned}")
        return stored
