"""The generic registry and the generated per-model checks of the built-in factories."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from ablab.registry import MODELS, Registry
from ablab.train.build import loss_fn


def test_unknown_name_lists_the_known_ones() -> None:
    registry: Registry[type] = Registry("widget")
    registry.register(int)
    with pytest.raises(ValueError, match=r"unknown widget 'x'; known widgets: int"):
        registry.get("x")


def test_registering_two_factories_under_one_name_fails() -> None:
    registry: Registry[Callable[[], None]] = Registry("widget")

    def f() -> None: ...

    registry.register(f)
    registry.register(f)  # the same function again is harmless (module re-import)

    def g() -> None: ...

    g.__name__ = "f"
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(g)


def test_a_factory_may_be_registered_under_a_name_of_its_own() -> None:
    registry: Registry[Callable[[], int]] = Registry("widget")

    @registry.register("s5-net")
    def build() -> int:
        return 5

    @registry.listed_by(lambda root: [{"size": 1}])
    @registry.register("listed")
    def other() -> int:
        return 6

    assert registry.names() == ["listed", "s5-net"]
    assert registry.get("s5-net")() == 5
    assert registry.lister("listed") is not None
    assert registry.lister("s5-net") is None
    with pytest.raises(ValueError, match="widget name ' x' is not allowed"):
        registry.register(" x")


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_core_models_build_and_learn_a_fixed_batch(name: str) -> None:
    torch.manual_seed(0)
    model: nn.Module = MODELS.get(name)(input_shape=(1, 8, 8), num_classes=10)
    x, y = torch.rand(32, 1, 8, 8), torch.randint(0, 10, (32,))
    logits = model(x)
    assert logits.shape == (32, 10)
    assert torch.isfinite(logits).all()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = loss_fn(model(x), y)
    for _ in range(5):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    assert loss_fn(model(x), y).item() < before.item()


def test_cnn_dropout_placement() -> None:
    conv = MODELS.get("cnn")(input_shape=(1, 8, 8), num_classes=10, dropout=0.3, dropout_at="conv")
    fc = MODELS.get("cnn")(input_shape=(1, 8, 8), num_classes=10, dropout=0.3, dropout_at="fc")
    conv_parents = [type(m).__name__ for m in conv[0]]  # features: blocks then Flatten
    # S1's placement: between the two convolution blocks only, none before the flatten.
    assert conv_parents == ["Sequential", "Dropout", "Sequential", "Flatten"]
    assert not any(isinstance(m, nn.Dropout) for m in fc[0].modules())
    assert any(isinstance(m, nn.Dropout) for m in fc[1].modules())
    with pytest.raises(ValueError, match="dropout_at='conv' or 'fc'"):
        MODELS.get("cnn")(input_shape=(1, 8, 8), num_classes=10, dropout=0.3, dropout_at="none")
    with pytest.raises(ValueError, match=r"channels=\(16,\) has one block"):
        MODELS.get("cnn")(input_shape=(1, 8, 8), num_classes=10, channels=(16,), dropout=0.3,
                          dropout_at="conv")


def test_sigmoid_head_has_one_logit_and_needs_two_classes() -> None:
    model = MODELS.get("mlp")(input_shape=(4,), num_classes=2, output="sigmoid")
    assert model(torch.rand(3, 4)).shape == (3, 1)
    with pytest.raises(ValueError, match="needs 2 classes"):
        MODELS.get("mlp")(input_shape=(4,), num_classes=3, output="sigmoid")
