"""Small reference networks the zoo's methods are demonstrated and tested on.

Plain ``nn.Module`` code with nothing zoo-specific inside, so that whatever works on them works on
a user's own network too:

* :func:`digits_cnn` — three Conv–BN–ReLU blocks and a Linear head for the 8×8 scikit-learn digits;
  reaches about 98–99 % test accuracy after a few seconds of CPU training.
* :func:`resnet20`, :func:`resnet56` — the CIFAR-style ResNets of He et al. (3 stages of
  ``n`` basic blocks, 16/32/64 channels, residual additions), for 32×32 inputs.
* :func:`mobilenetv2` — a MobileNetV2-style net (Sandler et al., 2018) for 32×32 inputs:
  inverted residual blocks (1×1 expansion, 3×3 depthwise, linear 1×1 projection, an addition
  where the shape allows), at half width by default.
* :func:`digits_vit` — a small Vision Transformer for the 8×8 digits: 2×2 patch embedding,
  learned position embedding, pre-norm ``nn.MultiheadAttention`` + MLP blocks, mean-pooled head.
* :func:`digits_lstm` — an ``nn.LSTM`` reading a digit row by row (8 steps of 8 pixels), then a
  Linear head on the last hidden state.

>>> import torch
>>> digits_cnn()(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> resnet20(num_classes=10, in_channels=1)(torch.zeros(2, 1, 32, 32)).shape
torch.Size([2, 10])
>>> mobilenetv2(num_classes=10, in_channels=1)(torch.zeros(2, 1, 32, 32)).shape
torch.Size([2, 10])
>>> digits_vit()(torch.zeros(2, 1, 8, 8)).shape, digits_lstm()(torch.zeros(2, 1, 8, 8)).shape
(torch.Size([2, 10]), torch.Size([2, 10]))
"""

from __future__ import annotations

from .registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

import torch
from torch import nn

__all__ = [
    "BasicBlock",
    "CifarResNet",
    "DigitsCNN",
    "DigitsLSTM",
    "DigitsViT",
    "InvertedResidual",
    "MobileNetV2",
    "TransformerBlock",
    "digits_cnn",
    "digits_lstm",
    "digits_vit",
    "mobilenetv2",
    "resnet20",
    "resnet56",
]


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


def _divisible(channels: float, divisor: int = 8) -> int:
    """``channels`` rounded to the nearest multiple of ``divisor``, never 10 % below it (the
    rounding of MobileNetV2's reference code)."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


class InvertedResidual(nn.Module):
    """``x + project(depthwise(expand(x)))``: a 1×1 Conv–BN–ReLU6 to ``expansion × c_in``
    channels (skipped at expansion 1), a 3×3 depthwise Conv–BN–ReLU6, a 1×1 Conv–BN without
    activation (the linear bottleneck); the addition only when stride and width stay."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                       nn.ReLU6(inplace=True)]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),  # depthwise
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),  # no activation: ReLU on few channels destroys information
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


# (expansion t, channels c, blocks n, stride s) of the paper's Table 2 without its 160- and
# 320-channel stages (at 2×2 pixels they would add most of the parameters for 10 digit classes),
# and with the stem at stride 1 for 32×32 inputs: 32 → 16 → 8 → 4 pixels. (With the 24-channel
# stage at stride 1 too, as CIFAR ports do, it measured 617 ms per batch of 64 on one thread
# here, slower than ResNet-56; as below, 133 ms.)
MOBILENETV2_SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1))


class MobileNetV2(nn.Module):
    """Stem Conv–BN–ReLU6, inverted residual stages, a 1×1 Conv–BN–ReLU6, pooling, Linear."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, width: float = 0.5,
                 setting: tuple[tuple[int, int, int, int], ...] = MOBILENETV2_SETTING,
                 last_channels: int = 256) -> None:
        super().__init__()
        c_in = _divisible(32 * width)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, c_in, 3, padding=1, bias=False), nn.BatchNorm2d(c_in),
            nn.ReLU6(inplace=True)]
        for expansion, channels, blocks, stride in setting:
            c_out = _divisible(channels * width)
            for i in range(blocks):
                layers.append(InvertedResidual(c_in, c_out, stride if i == 0 else 1, expansion))
                c_in = c_out
        layers += [nn.Conv2d(c_in, last_channels, 1, bias=False), nn.BatchNorm2d(last_channels),
                   nn.ReLU6(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last_channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def mobilenetv2(num_classes: int = 10, in_channels: int = 3, width: float = 0.5) -> MobileNetV2:
    """MobileNetV2 for 32×32 inputs at ``width`` × the paper's channels (rounded to multiples of
    8): 13 inverted residual blocks of 8 to 48 channels (expanded to at most 288) at
    ``width=0.5``."""
    return MobileNetV2(num_classes, in_channels, width)


class TransformerBlock(nn.Module):
    """Pre-norm encoder block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))`` (GELU MLP)."""

    def __init__(self, dim: int, num_heads: int, mlp_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class DigitsViT(nn.Module):
    """Patches (a strided convolution) + position embedding → encoder blocks → mean → Linear."""

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        image_size: int = 8,
        patch_size: int = 2,
        dim: int = 32,
        depth: int = 2,
        num_heads: int = 4,
        mlp_dim: int = 64,
    ) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, (image_size // patch_size) ** 2, dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.Sequential(
            *(TransformerBlock(dim, num_heads, mlp_dim) for _ in range(depth))
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed  # (N, L, dim)
        return self.head(self.norm(self.blocks(tokens)).mean(dim=1))


def digits_vit(
    num_classes: int = 10, in_channels: int = 1, dim: int = 32, depth: int = 2, num_heads: int = 4
) -> DigitsViT:
    """A ViT for 8×8 digits: 16 patches of 2×2, ``depth`` blocks of ``num_heads`` heads."""
    return DigitsViT(num_classes, in_channels, dim=dim, depth=depth, num_heads=num_heads,
                     mlp_dim=2 * dim)


class DigitsLSTM(nn.Module):
    """Reads an image ``(N, 1, rows, cols)`` row by row with ``nn.LSTM``; Linear on ``h_T``."""

    def __init__(self, num_classes: int = 10, cols: int = 8, hidden_size: int = 64,
                 num_layers: int = 1) -> None:
        super().__init__()
        self.lstm = nn.LSTM(cols, hidden_size, num_layers=num_layers, batch_first=True)
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(images.flatten(1, -2))  # (N, 1, R, C) → (N, R, C)
        return self.classifier(h[-1])


def digits_lstm(num_classes: int = 10, hidden_size: int = 64, num_layers: int = 1) -> DigitsLSTM:
    """The row-by-row LSTM digits classifier (float ``nn.LSTM``)."""
    return DigitsLSTM(num_classes, hidden_size=hidden_size, num_layers=num_layers)
