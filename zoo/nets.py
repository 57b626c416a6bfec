"""Small reference networks the zoo's methods are demonstrated and tested on.

Plain ``nn.Module`` code with nothing zoo-specific inside, so that whatever works on them works on
a user's own network too:

* :func:`digits_cnn` — three Conv–BN–ReLU blocks and a Linear head for the 8×8 scikit-learn digits;
  reaches about 98–99 % test accuracy after a few seconds of CPU training.
* :func:`resnet20`, :func:`resnet56` — the CIFAR-style ResNets of He et al. (3 stages of
  ``n`` basic blocks, 16/32/64 channels, residual additions), for 32×32 inputs.

>>> import torch
>>> digits_cnn()(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> resnet20(num_classes=10, in_channels=1)(torch.zeros(2, 1, 32, 32)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BasicBlock", "CifarResNet", "DigitsCNN", "digits_cnn", "resnet20", "resnet56"]


def _conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),  # BN supplies the bias
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class DigitsCNN(nn.Module):
    """Three Conv–BN–ReLU blocks (8×8 → 4×4 after one max-pool), global pooling, a Linear head."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn_relu(in_channels, width),
            _conv_bn_relu(width, 2 * width),
            nn.MaxPool2d(2),
            _conv_bn_relu(2 * width, 4 * width),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def digits_cnn(num_classes: int = 10, in_channels: int = 1, width: int = 32) -> DigitsCNN:
    """The digits CNN: ``width``, ``2·width`` and ``4·width`` channels in its three convolutions."""
    return DigitsCNN(num_classes, in_channels, width)


class BasicBlock(nn.Module):
    """Two 3×3 Conv–BN layers plus a shortcut: ``y = relu(bn(conv(relu(bn(conv(x))))) + s(x))``.

    When the shape changes, the shortcut ``s`` is a strided 1×1 Conv–BN (the paper's option B);
    otherwise it is the identity, which couples the block's output channels to its input channels.
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))  # the residual addition


class CifarResNet(nn.Module):
    """ResNet-(6n+2) for 32×32 inputs: a stem conv, 3 stages of ``n`` blocks, pooling, Linear."""

    def __init__(
        self, blocks_per_stage: int, num_classes: int = 10, in_channels: int = 3, width: int = 16
    ) -> None:
        super().__init__()
        self.stem = _conv_bn_relu(in_channels, width)
        stages: list[nn.Module] = []
        c_in = width
        for i, c_out in enumerate((width, 2 * width, 4 * width)):
            blocks = [BasicBlock(c_in, c_out, stride=1 if i == 0 else 2)]
            blocks += [BasicBlock(c_out, c_out) for _ in range(blocks_per_stage - 1)]
            stages.append(nn.Sequential(*blocks))
            c_in = c_out
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def resnet20(num_classes: int = 10, in_channels: int = 3, width: int = 16) -> CifarResNet:
    """ResNet-20 (3 blocks per stage, about 0.27 M parameters at ``width=16``)."""
    return CifarResNet(3, num_classes, in_channels, width)


def resnet56(num_classes: int = 10, in_channels: int = 3, width: int = 16) -> CifarResNet:
    """ResNet-56 (9 blocks per stage, about 0.85 M parameters at ``width=16``)."""
    return CifarResNet(9, num_classes, in_channels, width)
