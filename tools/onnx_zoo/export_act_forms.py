#!/usr/bin/env python3
"""Export the activation and Mul forms torch.onnx.export emits (ISA version 3's activation unit and
ELTWISE Mul, docs/dlvpc.md "Activations and Mul") as small test cases for dlvpc.

Run by hand from the repository root with Debian's Python (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 tools/onnx_zoo/export_act_forms.py [--out tests/data/act_forms]

The same layout and seeding as export_torch_forms.py (whose export() this uses): model.onnx at
opset 13 with random weights and tiny shapes, test_data_set_0 with torch's output. CI has no
torch: the folders are committed; the conformance runner runs them on the SoC
(`onnx_conformance --case tests/data/act_forms/<case>`, tests/integration/conformance).

The cases:
- act_relu6: Conv+BN+ReLU6 (Clip with Constant bounds) twice, a depthwise-free MobileNetV2 stem.
- act_hardswish: Conv+BN+Hardswish (opset 13: Mul(x, HardSigmoid(x))), Hardsigmoid, LeakyReLU, Tanh.
- act_silu_se: Conv+BN+SiLU (Mul(x, Sigmoid(x))) and a squeeze-excitation block (global average
  pool, 1x1 convs, ReLU, Sigmoid, Mul by the per-channel gate), as in EfficientNet.
"""

import argparse
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from export_torch_forms import export  # noqa: E402


def conv_bn(cin, cout, k, act):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), act)


class Relu6Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(conv_bn(3, 8, 3, nn.ReLU6()), conv_bn(8, 8, 3, nn.ReLU6()), nn.Conv2d(8, 4, 1))

    def forward(self, x):
        return self.body(x)


class HardForms(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = conv_bn(3, 8, 3, nn.Hardswish())
        self.b = conv_bn(8, 8, 3, nn.Hardsigmoid())
        self.c = conv_bn(8, 6, 1, nn.LeakyReLU(0.1))
        self.d = nn.Sequential(nn.Conv2d(6, 4, 1), nn.Tanh())

    def forward(self, x):
        return self.d(self.c(self.b(self.a(x))))


class SiluSe(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, nn.SiLU())
        self.reduce = nn.Conv2d(16, 4, 1)
        self.expand = nn.Conv2d(4, 16, 1)
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        x = self.stem(x)
        s = torch.sigmoid(self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
        return self.head(x * s)


def cases():
    return {
        "act_relu6": (Relu6Stem(), (1, 3, 10, 10)),
        "act_hardswish": (HardForms(), (1, 3, 10, 10)),
        "act_silu_se": (SiluSe(), (1, 3, 10, 10)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/data/act_forms", help="folder for the case folders")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, (module, shape) in cases().items():
        torch.manual_seed(zlib.crc32(name.encode()))
        module.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
        for m in module.modules():  # eval-mode BatchNorm with non-trivial statistics
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
        export(name, module, shape, args.out)


if __name__ == "__main__":
    main()
