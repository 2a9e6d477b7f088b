"""torchvision architectures (VGG, ResNet, AlexNet) adapted to any input and class count.

Adaptations, all outside the architecture proper: the first convolution takes the data's
channels; inputs smaller than MIN_SIDE pixels are bilinearly upsampled first (VGG's five pools
and AlexNet's stride-4 stem need that much: 28x28 or 32x32 data works); the last layer has
`num_classes` outputs. `head_hidden` narrows VGG's and AlexNet's 4096-unit classifier layers
(a fresh classifier). `pretrained=True` loads ImageNet weights only from the local torch hub
cache (torch.hub.get_dir()/checkpoints) and never downloads; with 1 input channel the first
convolution's RGB filters are summed. Use init='default' with pretrained weights: another
init scheme re-initialises them. `freeze_features` trains only the new output layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from ablab.registry import register_model

MIN_SIDE = {"vgg11": 32, "vgg16": 32, "resnet18": 32, "resnet50": 32, "alexnet": 64}
IMAGENET_HIDDEN = 4096
WEIGHTS: dict[str, Any] = {
    "vgg11": torchvision.models.VGG11_Weights.IMAGENET1K_V1,
    "vgg16": torchvision.models.VGG16_Weights.IMAGENET1K_V1,
    "resnet18": torchvision.models.ResNet18_Weights.IMAGENET1K_V1,
    "resnet50": torchvision.models.ResNet50_Weights.IMAGENET1K_V1,
    "alexnet": torchvision.models.AlexNet_Weights.IMAGENET1K_V1,
}
BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "vgg11": torchvision.models.vgg11, "vgg16": torchvision.models.vgg16,
    "resnet18": torchvision.models.resnet18, "resnet50": torchvision.models.resnet50,
    "alexnet": torchvision.models.alexnet,
}


def weights_path(name: str) -> Path:
    """Where torchvision keeps `name`'s ImageNet weights once downloaded."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(WEIGHTS[name].url).name


def load_pretrained(name: str, model: nn.Module) -> None:
    path = weights_path(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"{name}: pretrained=True needs the ImageNet weights file {path} (torchvision's "
            f"{WEIGHTS[name]}); ablab never downloads weights: put the file there (or set "
            "TORCH_HOME) or use pretrained=False")
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))


def adapted_conv(conv: nn.Conv2d, channels: int, pretrained: bool) -> nn.Conv2d:
    """`conv` taking `channels` inputs; pretrained RGB filters are summed (1 channel) or
    averaged and repeated (other counts)."""
    if channels == conv.in_channels:
        return conv
    new = nn.Conv2d(channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,  # type: ignore[arg-type]
                    bias=conv.bias is not None)
    if pretrained:
        with torch.no_grad():
            mean = conv.weight.mean(dim=1, keepdim=True)
            new.weight.copy_(mean.repeat(1, channels, 1, 1) * (3 / channels))
            if conv.bias is not None and new.bias is not None:
                new.bias.copy_(conv.bias)
    return new


def classifier(features: int, hidden: int, num_classes: int, dropout: float,
               dropout_first: bool) -> nn.Sequential:
    """VGG's (dropout after the ReLUs) or AlexNet's (dropout before the Linears) classifier."""
    layers: list[nn.Module] = []
    for width in (hidden, hidden):
        if dropout_first:
            layers += [nn.Dropout(dropout), nn.Linear(features, width), nn.ReLU(inplace=True)]
        else:
            layers += [nn.Linear(features, width), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        features = width
    return nn.Sequential(*layers, nn.Linear(features, num_classes))


class Upsampled(nn.Module):
    """Bilinear upsampling to a minimum side, then the network."""

    def __init__(self, size: tuple[int, int], network: nn.Module) -> None:
        super().__init__()
        self.size = size
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.interpolate(x, size=self.size, mode="bilinear", align_corners=False)
        out: torch.Tensor = self.network(x)
        return out


def build(
    name: str, input_shape: tuple[int, ...], num_classes: int, *, pretrained: bool,
    head_hidden: int, dropout: float, freeze_features: bool,
) -> nn.Module:
    check(name, head_hidden, dropout)
    if len(input_shape) != 3:
        raise ValueError(f"{name} needs images (channels, height, width); this dataset has "
                         f"shape {input_shape}")
    kwargs = {} if name.startswith("resnet") else {"dropout": dropout}
    model = BUILDERS[name](weights=None, **kwargs)
    if pretrained:
        load_pretrained(name, model)
    new: list[nn.Module] = []
    if isinstance(model, torchvision.models.ResNet):
        model.conv1 = adapted_conv(model.conv1, input_shape[0], pretrained)
        model.fc = nn.Linear(model.fc.in_features, num_classes)
        new = [model.fc]
    else:
        features: Any = model.features  # VGG and AlexNet: features, avgpool, classifier
        features[0] = adapted_conv(features[0], input_shape[0], pretrained)
        alexnet = name == "alexnet"
        width = 256 * 6 * 6 if alexnet else 512 * 7 * 7
        if head_hidden == IMAGENET_HIDDEN:
            last: Any = model.classifier
            last[-1] = nn.Linear(IMAGENET_HIDDEN, num_classes)
            new = [last[-1]]
        else:
            model.classifier = classifier(width, head_hidden, num_classes, dropout, alexnet)
            new = [model.classifier]
    if freeze_features:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        for module in new:
            for parameter in module.parameters():
                parameter.requires_grad_(True)
    side = min(input_shape[1:])
    if side >= MIN_SIDE[name]:
        return model
    scale = MIN_SIDE[name] / side
    size = (math.ceil(input_shape[1] * scale), math.ceil(input_shape[2] * scale))
    return Upsampled(size, model)


def check(name: str, head_hidden: int, dropout: float) -> None:
    if head_hidden < 1 or not 0 <= dropout < 1:
        raise ValueError(f"{name}: head_hidden={head_hidden} must be >= 1 and dropout={dropout} "
                         "in [0, 1)")


@register_model
def vgg11(
    *, input_shape: tuple[int, ...], num_classes: int, pretrained: bool = False,
    head_hidden: int = IMAGENET_HIDDEN, dropout: float = 0.5, freeze_features: bool = False,
) -> nn.Module:
    """torchvision VGG-11 (see the module notes for the adaptations)."""
    return build("vgg11", input_shape, num_classes, pretrained=pretrained,
                 head_hidden=head_hidden, dropout=dropout, freeze_features=freeze_features)


@register_model
def vgg16(
    *, input_shape: tuple[int, ...], num_classes: int, pretrained: bool = False,
    head_hidden: int = IMAGENET_HIDDEN, dropout: float = 0.5, freeze_features: bool = False,
) -> nn.Module:
    """torchvision VGG-16 (S5)."""
    return build("vgg16", input_shape, num_classes, pretrained=pretrained,
                 head_hidden=head_hidden, dropout=dropout, freeze_features=freeze_features)


@register_model
def alexnet(
    *, input_shape: tuple[int, ...], num_classes: int, pretrained: bool = False,
    head_hidden: int = IMAGENET_HIDDEN, dropout: float = 0.5, freeze_features: bool = False,
) -> nn.Module:
    """torchvision AlexNet (S6: pretrained=True, freeze_features=True, a small head_hidden)."""
    return build("alexnet", input_shape, num_classes, pretrained=pretrained,
                 head_hidden=head_hidden, dropout=dropout, freeze_features=freeze_features)


@register_model
def resnet18(
    *, input_shape: tuple[int, ...], num_classes: int, pretrained: bool = False,
    freeze_features: bool = False,
) -> nn.Module:
    """torchvision ResNet-18."""
    return build("resnet18", input_shape, num_classes, pretrained=pretrained,
                 head_hidden=IMAGENET_HIDDEN, dropout=0.0, freeze_features=freeze_features)


@register_model
def resnet50(
    *, input_shape: tuple[int, ...], num_classes: int, pretrained: bool = False,
    freeze_features: bool = False,
) -> nn.Module:
    """torchvision ResNet-50 (S5)."""
    return build("resnet50", input_shape, num_classes, pretrained=pretrained,
                 head_hidden=IMAGENET_HIDDEN, dropout=0.0, freeze_features=freeze_features)
