#!/usr/bin/env python3
"""Export the averaging forms torch.onnx.export emits that dlvpc maps onto depthwise CONVs (ZOO2,
issue 16; docs/dlvpc.md "Depthwise forms") as small test cases.

Run by hand from the repository root with Debian's Python (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 tools/onnx_zoo/export_depthwise_forms.py [--out tests/data/depthwise_forms]

The same layout and seeding as export_torch_forms.py (whose export() and randomize_batch_norm()
this uses): model.onnx at opset 13 with random weights and tiny shapes, test_data_set_0 with
torch's output. CI has no torch: the folders are committed; tests/integration/conformance/
test_depthwise_forms.cpp runs them on the SoC.

The cases:
- inception_pool: Inception v3's block pattern (torchvision's InceptionA: 1x1, 3x3 and
  F.avg_pool2d(x, 3, 1, 1) -> 1x1 branches concatenated), whose average counts the padding zeros
  (count_include_pad, exported as Pad + AveragePool), and an nn.AvgPool2d(3, 2, padding=1) (the
  same with stride 2); the map is 7x7, so every output of the 3x3 pools but the centre ones has
  padding in its window.
- dense_bn: DenseNet's BatchNorm-ReLU-Conv on each concatenation (nothing to fold the BatchNorm
  into), 16 channels over 6x6.
"""

import argparse
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from export_torch_forms import export, randomize_batch_norm  # noqa: E402


class InceptionPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, padding=1)
        self.branch1x1 = nn.Conv2d(6, 4, 1)
        self.branch3x3 = nn.Conv2d(6, 4, 3, padding=1)
        self.branch_pool = nn.Conv2d(6, 3, 1)
        self.down = nn.AvgPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(11 * 4 * 4, 3)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        pooled = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)
        x = torch.cat([torch.relu(self.branch1x1(x)), torch.relu(self.branch3x3(x)),
                       torch.relu(self.branch_pool(pooled))], 1)
        return self.fc(torch.flatten(self.down(x), 1))


class DenseBn(nn.Module):
    def __init__(self, channels=8, growth=4, layers=2):
        super().__init__()
        self.stem = nn.Conv2d(2, channels, 3, padding=1)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(channels + i * growth), nn.ReLU(), nn.Conv2d(channels + i * growth, growth, 1))
            for i in range(layers))
        out = channels + layers * growth
        self.norm = nn.BatchNorm2d(out)
        self.fc = nn.Linear(out, 3)

    def forward(self, x):
        features = [torch.relu(self.stem(x))]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        x = torch.relu(self.norm(torch.cat(features, 1)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def cases():
    return {
        "inception_pool": (InceptionPool(), (1, 3, 7, 7)),
        "dense_bn": (DenseBn(), (1, 2, 6, 6)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/data/depthwise_forms", help="folder for the case folders")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, (module, shape) in cases().items():
        torch.manual_seed(zlib.crc32(name.encode()))
        module.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
        randomize_batch_norm(module, name)
        export(name, module, shape, args.out)


if __name__ == "__main__":
    main()
