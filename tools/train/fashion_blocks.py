"""The blocks of tools/train's MobileNetV2- and EfficientNet-style Fashion-MNIST CNNs: one network
of mobile inverted residual blocks (1x1 expand, depthwise 3x3, optional squeeze-excitation, linear
1x1 project, residual add when shapes match), configured by each script (activation, SE)."""

from fashion_data import NUM_CLASSES

from torch import nn

# (expansion, output channels, stride) per block, after the 16-channel stem.
BLOCKS = ((1, 24, 2), (3, 24, 1), (3, 40, 2), (3, 40, 1))
STEM_CHANNELS = 16
HEAD_CHANNELS = 128


def conv_bn(c_in, c_out, kernel, activation, stride=1, groups=1):
    """Conv (no bias) + BatchNorm, then `activation()` unless it is None (a linear projection)."""
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]
    return layers + [activation()] if activation else layers


class SqueezeExcitation(nn.Module):
    """torchvision's form: global average, 1x1 reduce, SiLU, 1x1 expand, Sigmoid, scale the input."""

    def __init__(self, channels, squeeze):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.expand = nn.Conv2d(squeeze, channels, 1)
        self.silu = nn.SiLU()

    def forward(self, x):
        return x * self.expand(self.silu(self.reduce(self.pool(x)))).sigmoid()


class MobileBlock(nn.Module):
    """MobileNetV2's inverted residual (se_ratio None) or EfficientNet's MBConv (squeeze channels =
    input channels x se_ratio)."""

    def __init__(self, c_in, c_out, expansion, stride, activation, se_ratio=None):
        super().__init__()
        hidden = c_in * expansion
        layers = conv_bn(c_in, hidden, 1, activation) if expansion != 1 else []
        layers += conv_bn(hidden, hidden, 3, activation, stride, groups=hidden)
        if se_ratio:
            layers.append(SqueezeExcitation(hidden, max(1, int(c_in * se_ratio))))
        layers += conv_bn(hidden, c_out, 1, None)
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNet(nn.Module):
    """Stem 3x3, BLOCKS, 1x1 head to HEAD_CHANNELS, global average, Linear to the classes."""

    def __init__(self, activation, se_ratio=None):
        super().__init__()
        layers, channels = conv_bn(1, STEM_CHANNELS, 3, activation), STEM_CHANNELS
        for expansion, c_out, stride in BLOCKS:
            layers.append(MobileBlock(channels, c_out, expansion, stride, activation, se_ratio))
            channels = c_out
        layers += conv_bn(channels, HEAD_CHANNELS, 1, activation)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(HEAD_CHANNELS, NUM_CLASSES)

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)).flatten(1))  # logits
