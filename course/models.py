"""Small models sized for a 2-core CPU: an MLP and a convolutional net for 8x8 digits."""

from __future__ import annotations

import torch
from torch import nn


def mlp(
    in_features: int = 64,
    hidden: tuple[int, ...] = (128, 128),
    out_features: int = 10,
    dropout: float = 0.0,
    dropout_layer: type[nn.Module] | None = None,
) -> nn.Sequential:
    """``Linear -> ReLU -> [Dropout]`` blocks followed by a linear head.

    ``dropout_layer`` lets a chapter plug in the student's ``Dropout`` instead of ``nn.Dropout``.
    """
    layer = dropout_layer or nn.Dropout
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if dropout > 0:
            layers.append(layer(dropout))
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class DigitsCNN(nn.Module):
    """A small CNN for ``(N, 1, 8, 8)`` digits: a batch-normalised backbone and a linear head.

    ``backbone`` and ``head`` are separate attributes so that transfer learning can freeze,
    replace or give different learning rates to each, as with torchvision's ``model.fc``.
    """

    def __init__(self, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
