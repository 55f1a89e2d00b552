#!/usr/bin/env python3
"""Export torch's stacked and bidirectional nn.LSTM forms, as small test cases for dlvpc's stack import.

Run by hand from the repository root with Debian's Python (python3-torch 1.13, python3-onnx):
    /usr/bin/python3 tools/onnx_zoo/export_torch_lstm_stacks.py [--out tests/data/torch_lstm_stacks]

CI has no torch: the folders it writes are committed, and tests/unit/lstm/test_lstm_stack_import.cpp
reads them. The layout, the seeds and the module are export_torch_forms.py's (one folder per case:
model.onnx, opset 13, random weights, tiny shapes, and test_data_set_0/{input_0.pb, output_0.pb},
torch's own output for a random input), so a rerun writes the same files.

The cases (docs/lstm.md, "Stacked and bidirectional LSTMs: import"): nn.LSTM(num_layers=2) and
bidirectional=True, batch_first both ways, heads on out[:, -1] / out[-1] and h_n[-1], and a
2-layer bidirectional LSTM.
"""

import argparse
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from export_torch_forms import LstmHead, export  # noqa: E402


def cases():
    # name: (module, input shape)
    return {
        "stacked_batch_first": (LstmHead(True, False, layers=2), (2, 5, 4)),
        "stacked_seq_first": (LstmHead(False, False, layers=2), (5, 2, 4)),
        "stacked_h_n": (LstmHead(True, False, read="h_n", layers=2), (1, 6, 4)),
        "bidirectional_batch_first": (LstmHead(True, False, bidirectional=True), (2, 5, 4)),
        "bidirectional_seq_first": (LstmHead(False, False, bidirectional=True, softmax=True), (5, 1, 4)),
        "stacked_bidirectional": (LstmHead(True, False, layers=2, bidirectional=True), (1, 5, 4)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/data/torch_lstm_stacks", help="folder for the case folders")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, (module, shape) in cases().items():
        torch.manual_seed(zlib.crc32(name.encode()))
        module.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
        export(name, module, shape, args.out)


if __name__ == "__main__":
    main()
