"""Seeds until decisive, the training side: one more seed of each of a claim's variants.

`--ablab-seeds MIN..MAX` runs MIN seeds as test items. A claim or finding whose interval is
not yet decisive (ablab.stats.sequential) calls `train_round` for the next seed: each of its
variants trains the experiment of its stored cell with only `seed` replaced, through the
session, so the row is stored like any other (reused with --ablab-reuse, read by later claims
sharing the cell, shown in the summary and REPORT.md). Rows record the claim's test as the
node that trained them. Two claims on two pytest-xdist workers that share a variant take the
cell's lock in turn (ablab.scale.cell_lock): the first trains the seed, the second finds its row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from ablab.fixtures import recorded
from ablab.scale.cell_lock import LockTimeout
from ablab.session import CellInfo, Session
from ablab.spec import Experiment
from ablab.stash import SESSION_KEY
from ablab.stats.cell_values import identity_row, row_profile
from ablab.store import RunRow


def train_round(
    request: pytest.FixtureRequest, study: str, variants: Sequence[str], seed: int
) -> None:
    """Train `seed` for every variant that has no row of it in this session yet: a cell
    shared with another claim of the session is trained once, by whichever claim comes first.
    A claim on another worker may be training it at this moment: its lock
    (ablab.scale.cell_lock) makes this one wait, then find that row and use it."""
    session: Session = request.config.stash[SESSION_KEY]
    rows = session.store.rows(study=study)
    for variant in dict.fromkeys(variants):
        try:
            with session.locks.hold(f"{study} {variant} seed {seed}", "cell", study, variant,
                                    seed):
                if not _stored(session, study, variant, seed):
                    _train(request, session, rows, study, variant, seed)
        except LockTimeout as error:
            pytest.fail(str(error), pytrace=False)


def _stored(session: Session, study: str, variant: str, seed: int) -> bool:
    """Whether the session has a row of `variant`'s `seed` now (read fresh: another worker
    may have stored it while this one waited)."""
    return any(r.variant == variant and r.seed == seed
               and row_profile(r) in (session.profile, None)
               for r in session.store.rows(session=session.session_id, study=study))


def _train(request: pytest.FixtureRequest, session: Session, rows: list[RunRow], study: str,
           variant: str, seed: int) -> None:
    template = identity_row(rows, variant, session=session.session_id,
                            profile=session.profile)
    if template is None:  # the claim read this variant's cells a moment ago
        pytest.fail(f"seeds until decisive: no stored cell of {study} {variant} to add "
                    f"seed {seed} to", pytrace=False)
    exp = dataclasses.replace(Experiment.from_dict(template.experiment), seed=seed)
    cell = CellInfo(study=study, variant=variant, node_id=request.node.nodeid,
                    params=dict(template.params), control=template.control)
    recorded(request, cell, lambda: session.run(exp, cell))
