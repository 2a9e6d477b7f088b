"""The seed-batching benchmark (benchmarks/seed_batching.py) under `pytest benchmarks`: prints
its `<model> K=<k> sequential/batched <ratio>` lines (one repeat each, so a quick look; the
README's figures come from the script). Timings are printed, never asserted: on a shared CPU
the ratio of one repeat moves by more than the effect (CI measured the MNIST MLP at K=8 at 0.98
once); exactness is tested in tests/test_batched.py."""

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
    with capsys.disabled():
        print(f"\n{header(1)}")
        for k in (1, 4, 8):
            sequential, batched = measure(model, k, repeats=1)
            print(line(model, k, sequential, batched))
