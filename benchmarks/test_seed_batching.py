"""The seed-batching benchmark (benchmarks/seed_batching.py) under `pytest benchmarks`: prints
its `<model> K=<k> sequential/batched <ratio>` lines (one repeat each, so a quick look; the
README's figures come from the script) and checks that stacking 8 MLPs beats training them
one after another."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from ablab.train.threads import apply_threads
from benchmarks.seed_batching import CASES, header, line, measure, needs_data


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    saved = torch.get_num_threads()
    apply_threads(1)
    yield
    apply_threads(saved)


@pytest.mark.parametrize("model", sorted(CASES))
def test_seed_batching_ratios(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    reason = needs_data(model)
    if reason is not None:
        pytest.skip(reason)
    ratios = {}
    with capsys.disabled():
        print(f"\n{header(1)}")
        for k in (1, 4, 8):
            sequential, batched = measure(model, k, repeats=1)
            ratios[k] = sequential / batched
            print(line(model, k, sequential, batched))
    if "mlp" in model:
        assert ratios[8] > 1.0, ratios
