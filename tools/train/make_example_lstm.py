#!/usr/bin/env python3
"""Write the worked example's "user's own" LSTM: an untrained nn.LSTM(28, 128) over the 28 rows of
a Fashion-MNIST image (batch_first) with a Linear(128 -> 10) on the last step, exported by
torch.onnx.export (opset 13) as a user would export it. prune_retrain.py --dense-epochs trains it.
`--layers L` stacks L layers (nn.LSTM(num_layers=L): L LSTM nodes), `--cells` sets their size.
--gru: the same with nn.GRU (one layer).

    /usr/bin/python3 tools/train/make_example_lstm.py -o /tmp/user_lstm.onnx [--gru]
"""

import argparse

import torch
from torch import nn


class RowLstm(nn.Module):
    def __init__(self, inputs=28, cells=128, classes=10, layers=1, gru=False):
        super().__init__()
        self.lstm = (nn.GRU if gru else nn.LSTM)(inputs, cells, num_layers=layers, batch_first=True)
        self.fc = nn.Linear(cells, classes)

    def forward(self, x):  # x [N, T, I]
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--layers", type=int, default=1, help="stacked LSTM layers (default 1)")
    parser.add_argument("--cells", type=int, default=128, help="cells per layer (default 128)")
    parser.add_argument("--gru", action="store_true", help="an nn.GRU instead of the nn.LSTM")
    args = parser.parse_args()
    if args.layers < 1 or args.cells < 1:
        parser.error("--layers and --cells must be at least 1")
    torch.manual_seed(args.seed)
    if args.gru and args.layers != 1:
        parser.error("--gru takes one layer: dlvpc compiles no stacked GRU")
    model = RowLstm(cells=args.cells, layers=args.layers, gru=args.gru).eval()
    torch.onnx.export(model, torch.zeros(1, 28, 28), args.out, opset_version=13, input_names=["rows"],
                      output_names=["logits"])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
