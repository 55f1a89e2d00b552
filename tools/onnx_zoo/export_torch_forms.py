#!/usr/bin/env python3
"""Export the ONNX forms torch.onnx.export emits for CNNs and LSTMs, as small test cases for dlvpc.

Run by hand from the repository root with Debian's Python (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 tools/onnx_zoo/export_torch_forms.py [--out tests/data/torch_forms]

CI has no torch: the folders it writes are committed, and the tests (tests/unit/dlvpc/
test_torch_forms.cpp) read them. Each case is a folder in the ONNX backend test layout the
conformance runner reads (docs/conformance.md): model.onnx (opset 13, random weights, tiny
shapes) and test_data_set_0/{input_0.pb, output_0.pb}, torch's own output for a random input.
The weights and inputs come from seeds derived from each case's name, so a rerun writes the same
files and a new case changes no other.

The cases (docs/dlvpc.md, "Forms torch emits"):
- cnn_*: Constant/Shape/Gather/Unsqueeze/Concat reshape targets, the Pad torch puts before every
  AvgPool2d, MaxPool ceil_mode, AvgPool2d ceil_mode without count_include_pad, F.pad folded into
  a Conv and a MaxPool, global pooling over maps larger than the engine's 15x15 window and
  non-square maps, batch 2, depthwise-separable blocks and a grouped Conv (Conv group > 1).
- lstm_*: nn.LSTM with batch_first True and False, with and without explicit zero states, heads
  on out[:, -1], out[-1] and h_n[-1], a Softmax at the end; a head on every step (fc(out), torch's
  MatMul + Add on Y) with batch_first True and False.
- gru_*: the same forms with nn.GRU (torch's GRU: ONNX linear_before_reset 1) for dlvpc's GRU path
  (tests/unit/dlvpc/test_gru_compiler.cpp; on the SoC in the conformance test).
- refuse_*: models dlvpc refuses, with the reasons the tests expect (three unsupported nodes
  listed in one error; stacked and bidirectional LSTMs).

--views-out (default tests/data/channel_views; tests/integration/conformance/
test_channel_views.cpp): dense_block (DenseNet's concatenations: each a prefix of the next),
channel_split (ShuffleNetV2's split and channel Slices: views) and shared_slice (a tensor in two
unrelated concatenations: a copy), BatchNorm statistics random.
"""

import argparse
import os
import zlib

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from torch import nn  # noqa: E402


class PoolForms(nn.Module):
    """Conv+ReLU, MaxPool ceil_mode, AvgPool2d (Pad+AveragePool), reshape(x.shape[0], -1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.pool2 = nn.AvgPool2d(2)
        self.pool3 = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)
        self.fc = nn.Linear(6 * 2 * 2, 5)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = self.pool3(x)
        x = x.reshape(x.shape[0], -1)
        return self.fc(x)


class PadForms(nn.Module):
    """F.pad folded into a Conv and, after a ReLU, into a MaxPool; Flatten; a Softmax at the end."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=(0, 1))
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = torch.relu(self.conv1(F.pad(x, (1, 1, 1, 1))))
        x = F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2)
        x = torch.relu(self.conv2(F.pad(x, (0, 0, 1, 1))))
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class GlobalForms(nn.Module):
    """Global average pooling over 20x20 (split), global max over a non-square map, x.view(x.size(0), -1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.side = nn.Conv2d(3, 4, 3, stride=(1, 2), padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        a = F.adaptive_avg_pool2d(torch.relu(self.conv(x)), 1)
        b = F.adaptive_max_pool2d(self.side(x), 1)
        x = torch.cat([a, b], 1)
        return self.fc(x.view(x.size(0), -1))


class DepthwiseSeparable(nn.Module):
    """MobileNet blocks: a dense stem, depthwise 3x3 (stride 1 and 2) + pointwise 1x1 with BatchNorm
    and ReLU, a grouped 3x3 (groups 2, two output channels per group), global average pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.dw1 = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pw1 = nn.Conv2d(8, 12, 1)
        self.dw2 = nn.Conv2d(12, 12, 5, stride=2, padding=2, groups=12)
        self.grouped = nn.Conv2d(12, 4, 3, padding=1, groups=2)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(self.pw1(torch.relu(self.bn1(self.dw1(x)))))
        x = torch.relu(self.grouped(torch.relu(self.dw2(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class ThreeRefusals(nn.Module):
    """A Softplus, a count_include_pad average (Pad+AveragePool) and a Sub of computed tensors: one
    error lists the refused ones (Sigmoid and Mul, its first two, map since ISA version 3's
    activations; the average since ZOO2, as a depthwise box filter; the Sub runs on the CPU since
    dlvpc emits CPU stages)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        a = F.softplus(self.conv1(x))
        b = F.avg_pool2d(torch.relu(self.conv2(x)), 3, 1, 1)
        return self.fc(torch.flatten(a - b, 1))


class TwoRefusals(nn.Module):
    """Two operators no engine and no CPU stage runs (Softplus, Softsign) on two branches: one error
    lists both."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        return self.fc(torch.flatten(F.softplus(self.conv1(x)) + F.softsign(self.conv2(x)), 1))


class LstmHead(nn.Module):
    """nn.LSTM (or nn.GRU) and a Linear head on the last step: out[:, -1] / out[-1], or h_n[-1]."""

    def __init__(self, batch_first, zero_states, read="out", softmax=False, every_step=False, layers=1,
                 bidirectional=False, gru=False):
        super().__init__()
        self.batch_first, self.zero_states, self.read = batch_first, zero_states, read
        self.softmax, self.every_step = softmax, every_step
        rnn = nn.GRU if gru else nn.LSTM
        self.lstm = rnn(4, 8, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
        self.gru = gru
        self.fc = nn.Linear(16 if bidirectional else 8, 3)

    def forward(self, x):
        if self.gru and self.zero_states:
            h0 = torch.zeros(1, x.shape[0] if self.batch_first else x.shape[1], 8)
            out, h_n = self.lstm(x, h0)
        elif self.gru:
            out, h_n = self.lstm(x)
        elif self.zero_states:
            batch = x.shape[0] if self.batch_first else x.shape[1]
            h0 = torch.zeros(1, batch, 8)
            c0 = torch.zeros(1, batch, 8)
            out, (h_n, _) = self.lstm(x, (h0, c0))
        else:
            out, (h_n, _) = self.lstm(x)
        if self.every_step:
            y = self.fc(out)
        elif self.read == "h_n":
            y = self.fc(h_n[-1])
        else:
            y = self.fc(out[:, -1] if self.batch_first else out[-1])
        return torch.softmax(y, dim=-1) if self.softmax else y


class DenseBlock(nn.Module):
    """DenseNet's pattern: every dense layer reads the concatenation of the block input and all
    earlier layers' outputs (torchvision's _DenseBlock, BN-ReLU-Conv), the block's output is the
    concatenation of all; a transition (BN-ReLU-Conv1x1-AvgPool) and a classifier follow."""

    def __init__(self, channels=4, growth=3, layers=3):
        super().__init__()
        self.stem = nn.Conv2d(2, channels, 3, padding=1)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(channels + i * growth), nn.ReLU(), nn.Conv2d(channels + i * growth, growth, 3, padding=1))
            for i in range(layers))
        out = channels + layers * growth
        self.transition = nn.Sequential(nn.BatchNorm2d(out), nn.ReLU(), nn.Conv2d(out, 4, 1), nn.AvgPool2d(2))
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        features = [torch.relu(self.stem(x))]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        return self.fc(torch.flatten(self.transition(torch.cat(features, 1)), 1))


class ChannelSplit(nn.Module):
    """ShuffleNetV2's split without its shuffle: torch.split into two halves (a Split node), one
    half through a branch, the other concatenated back as it is (a copy); channel Slices x[:, 1:5]
    and x[:, 5:] read by convolutions. (x.chunk exports its sizes as int64 Div arithmetic that
    dlvpc's folding cannot type yet.)"""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.branch = nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU())
        self.side = nn.Conv2d(4, 2, 3)
        self.tail = nn.Conv2d(3, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        kept, branched = torch.split(x, [4, 4], dim=1)
        joined = torch.cat([kept, self.branch(branched)], 1)
        y = self.side(joined[:, 1:5]) + self.tail(joined[:, 5:])
        return self.fc(torch.flatten(y, 1))


class SharedSlice(nn.Module):
    """A tensor in two concatenations that no prefix relates (cat(a, b) and cat(b, c)): a copy."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(1, 3, 3, padding=1), nn.Conv2d(1, 2, 3, padding=1)
        self.left, self.right = nn.Conv2d(5, 2, 3), nn.Conv2d(5, 2, 3)
        self.fc = nn.Linear(2 * 3 * 3, 3)

    def forward(self, x):
        a, b, c = torch.relu(self.a(x)), torch.relu(self.b(x)), torch.relu(self.c(x))
        y = self.left(torch.cat([a, b], 1)) + self.right(torch.cat([b, c], 1))
        return self.fc(torch.flatten(y, 1))


def view_cases():
    """tests/data/channel_views (tests/integration/conformance/test_channel_views.cpp)."""
    return {
        "dense_block": (DenseBlock(), (1, 2, 6, 6)),
        "channel_split": (ChannelSplit(), (1, 1, 6, 6)),
        "shared_slice": (SharedSlice(), (1, 1, 5, 5)),
    }


def cases():
    # name: (module, input shape)
    return {
        "cnn_pool_forms": (PoolForms(), (1, 1, 11, 11)),
        "cnn_pad_forms": (PadForms(), (2, 2, 8, 8)),
        "cnn_global_forms": (GlobalForms(), (1, 3, 20, 20)),
        "cnn_depthwise_separable": (DepthwiseSeparable(), (1, 3, 12, 12)),
        "lstm_batch_first": (LstmHead(True, False), (2, 5, 4)),
        "lstm_batch_first_zero_states": (LstmHead(True, True, softmax=True), (2, 5, 4)),
        "lstm_seq_first": (LstmHead(False, False), (5, 2, 4)),
        "lstm_seq_first_zero_states": (LstmHead(False, True), (5, 1, 4)),
        "lstm_h_n": (LstmHead(True, False, read="h_n"), (1, 6, 4)),
        "refuse_three_nodes": (ThreeRefusals(), (1, 1, 6, 6)),
        "refuse_two_nodes": (TwoRefusals(), (1, 1, 6, 6)),
        "lstm_every_step": (LstmHead(True, False, every_step=True), (1, 5, 4)),
        "lstm_every_step_seq_first": (LstmHead(False, False, every_step=True), (5, 2, 4)),
        "refuse_lstm_stacked": (LstmHead(True, False, layers=2), (1, 5, 4)),
        "refuse_lstm_bidirectional": (LstmHead(True, False, bidirectional=True), (1, 5, 4)),
        "gru_batch_first": (LstmHead(True, False, gru=True), (2, 5, 4)),
        "gru_batch_first_zero_states": (LstmHead(True, True, softmax=True, gru=True), (2, 5, 4)),
        "gru_seq_first": (LstmHead(False, False, gru=True), (5, 2, 4)),
        "gru_seq_first_zero_states": (LstmHead(False, True, gru=True), (5, 1, 4)),
        "gru_h_n": (LstmHead(True, False, read="h_n", gru=True), (1, 6, 4)),
        "gru_every_step": (LstmHead(True, False, every_step=True, gru=True), (2, 5, 4)),
    }


def randomize_batch_norm(module, name):
    """Non-trivial running statistics and affine parameters (a fresh BatchNorm is the identity), so
    dlvpc's folding is exercised; none of the earlier cases has a BatchNorm, so their files stay."""
    generator = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 1)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(0.2 * torch.randn(c, generator=generator))
            m.running_var.copy_(0.5 + torch.rand(c, generator=generator))
            m.weight.data.copy_(0.5 + torch.rand(c, generator=generator))
            m.bias.data.copy_(0.2 * torch.randn(c, generator=generator))


def save_tensor(array, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())


def export(name, module, shape, out_dir):
    folder = os.path.join(out_dir, name)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    module.eval()
    # The input from the case's own seed: adding a case changes no other case's files.
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(zlib.crc32(name.encode())))
    with torch.no_grad():
        y = module(x)
    model_path = os.path.join(folder, "model.onnx")
    torch.onnx.export(module, x, model_path, opset_version=13, input_names=["input"], output_names=["output"])
    onnx.checker.check_model(onnx.load(model_path))
    save_tensor(x.numpy(), os.path.join(folder, "test_data_set_0", "input_0.pb"))
    save_tensor(y.numpy(), os.path.join(folder, "test_data_set_0", "output_0.pb"))
    ops = [n.op_type for n in onnx.load(model_path).graph.node]
    print(f"{name}: {os.path.getsize(model_path)} B, {len(ops)} nodes: {' '.join(ops)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/data/torch_forms", help="folder for the case folders")
    parser.add_argument("--views-out", default="tests/data/channel_views", help="folder for the channel view cases")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for out, group in ((args.out, cases()), (args.views_out, view_cases())):
        for name, (module, shape) in group.items():
            torch.manual_seed(zlib.crc32(name.encode()))  # the weights, likewise
            module.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
            randomize_batch_norm(module, name)
            export(name, module, shape, out)


if __name__ == "__main__":
    main()
