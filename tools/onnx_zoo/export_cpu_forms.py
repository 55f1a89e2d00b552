#!/usr/bin/env python3
"""Export small torch models whose nodes run on the host CPU between accelerator jobs (CPU stages,
docs/cpu_ops.md; issue 16 item 3), as test cases for dlvpc.

Run by hand from the repository root with Debian's Python (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 tools/onnx_zoo/export_cpu_forms.py [--out tests/data/cpu_stages]

CI has no torch: the folders it writes are committed, and tests/integration/conformance/
test_cpu_stages_dlvpc.cpp reads them. The layout, the seeds and the export are those of
export_torch_forms.py (model.onnx at opset 13 with random weights and tiny shapes,
test_data_set_0/{input_0.pb, output_0.pb}: torch's output for a random input).

The cases:
- cpu_between_convs: convolutions with, between them, ShuffleNet's channel shuffle
  (view/transpose/view: a Transpose), a Softmax over the channels, a nearest x2 upsampling
  (Resize), a mean over the channels subtracted from every channel (ReduceMean and a broadcast
  Sub), a division by a constant (Div), a LayerNorm over the channels of each pixel (torch 1.13's
  decomposition), then a Linear head.
- refuse_cpu_unknown: a Cos, which neither an engine nor the CPU runs (refused, named).
"""

import argparse
import os
import zlib

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from export_torch_forms import export  # noqa: E402


def channel_shuffle(x, groups):
    """torchvision's ShuffleNetV2 channel shuffle."""
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(n, -1, h, w)


class CpuBetweenConvs(nn.Module):
    def __init__(self, layer_norm):
        super().__init__()
        self.layer_norm = layer_norm
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.conv3 = nn.Conv2d(8, 6, 3, stride=2, padding=1)
        self.conv4 = nn.Conv2d(6, 6, 3, padding=1)
        self.norm = nn.LayerNorm(6)
        self.fc = nn.Linear(6 * 8 * 8, 5)

    def forward(self, x):
        x = channel_shuffle(torch.relu(self.conv1(x)), 2)
        x = torch.softmax(self.conv2(x), dim=1)
        x = F.interpolate(torch.relu(self.conv3(x)), scale_factor=2, mode="nearest")
        x = (x - x.mean(dim=1, keepdim=True)) / 0.5
        x = self.conv4(x)
        if self.layer_norm:
            x = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.fc(torch.flatten(x, 1))


class CosineRefused(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.cos(self.conv(x)), 1))


def cases(layer_norm):
    return {
        "cpu_between_convs": (CpuBetweenConvs(layer_norm), (1, 3, 8, 8)),
        "refuse_cpu_unknown": (CosineRefused(), (1, 1, 6, 6)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/data/cpu_stages", help="folder for the case folders")
    parser.add_argument("--no-layer-norm", action="store_true", help="leave the LayerNorm out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, (module, shape) in cases(not args.no_layer_norm).items():
        torch.manual_seed(zlib.crc32(name.encode()))
        module.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
        export(name, module, shape, args.out)


if __name__ == "__main__":
    main()
