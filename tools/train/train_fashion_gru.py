#!/usr/bin/env python3
"""Train the Fashion-MNIST row GRU for dlvp's sparse LSTM engine (GRU_GATES), prune it, export to ONNX.

Run from the repository root with Debian's Python (python3-torch, python3-onnx):
    /usr/bin/python3 tools/train/train_fashion_gru.py

train_fashion_lstm.py with a GRU in place of the LSTM: the same rows (28 steps of 28 pixels), the
same training loop, pruning with retraining and its load-balanced (rows interleaved across the PEs,
each PE the same count) and global variants, the same options and YAML; what differs is here: the
model (GRU(28 -> 128), its last hidden state -> Linear(128 -> 10)) and the export.

The pruned matrix is the GRU's [W | R] (3 x 128 gate rows, 28 + 128 columns). Rows are gate-major
in both PyTorch's (r, z, n) and ONNX's (z, r, h) order, so with 128 cells and 32 PEs a row's PE is
cell mod 32 in either order. PyTorch's GRU applies the reset gate after the recurrent product
(r * (W_hn h + b_hn)): ONNX's linear_before_reset = 1, which the export sets.
"""

import os
import sys

import train_fashion_lstm as rows_rnn  # sets OMP_WAIT_POLICY before torch loads (fashion_data.py)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from fashion_data import IMAGE_SIZE, NUM_CLASSES  # noqa: E402

CELLS = rows_rnn.CELLS
ARCHITECTURE = (f"GRU(28 inputs, {CELLS} cells, linear_before_reset) over the 28 rows -> last hidden state -> "
                f"Linear({CELLS}->10) -> Softmax")
# PyTorch's gate blocks (r, z, n) in ONNX's order (z, r, h).
TORCH_TO_ONNX_GATES = [1, 0, 2]


class FashionGru(nn.Module):
    """Images [N, 1, 28, 28] -> logits [N, 10]; the rows are the time steps."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(IMAGE_SIZE, CELLS)
        self.classifier = nn.Linear(CELLS, NUM_CLASSES)

    def forward(self, images):
        rows = images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE).transpose(0, 1)  # [steps, N, 28]
        _, h = self.gru(rows)
        return self.classifier(h[-1])


def onnx_gate_order(weight):
    blocks = weight.reshape(3, CELLS, *weight.shape[1:])
    return blocks[TORCH_TO_ONNX_GATES].reshape(weight.shape)


def export_onnx(model, path):
    """One GRU node (X [28, 1, 28] -> Y_h [1, 1, 128], linear_before_reset 1) -> Flatten -> Gemm -> Softmax."""
    gru = model.gru
    w = onnx_gate_order(gru.weight_ih_l0.detach().numpy())[None]
    r = onnx_gate_order(gru.weight_hh_l0.detach().numpy())[None]
    b = np.concatenate([onnx_gate_order(gru.bias_ih_l0.detach().numpy()),
                        onnx_gate_order(gru.bias_hh_l0.detach().numpy())])[None]
    rows_rnn.save_classifier_onnx(
        model, path, helper.make_node("GRU", ["rows", "gru.W", "gru.R", "gru.B"], ["", "gru.Y_h"], name="gru",
                                      hidden_size=CELLS, linear_before_reset=1),
        {"gru.W": w, "gru.R": r, "gru.B": b}, "fashion_gru")

def onnx_gru_reference(path, rows):
    """The exported graph evaluated with numpy by ONNX's GRU definition (linear_before_reset 1)."""
    model = onnx.load(path)
    weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    w, r, b = weights["gru.W"][0], weights["gru.R"][0], weights["gru.B"][0]
    wb, rb = np.split(b, 2)
    h = np.zeros(CELLS)

    def sigmoid(v):
        return 1.0 / (1.0 + np.exp(-v))

    for x in rows:
        wz, wr, wh = np.split(w @ x + wb, 3)  # ONNX order: z, r, h
        rz, rr, rh = np.split(r @ h + rb, 3)
        z = sigmoid(wz + rz)
        reset = sigmoid(wr + rr)
        candidate = np.tanh(wh + reset * rh)
        h = (1 - z) * candidate + z * h
    return weights["classifier.weight"] @ h + weights["classifier.bias"]


def check_export(model, path, images):
    """The exported ONNX semantics equal PyTorch's on a few images (logits within 1e-4)."""
    model.eval()
    with torch.no_grad():
        expected = model(images).numpy()
    for n in range(len(images)):
        got = onnx_gru_reference(path, images[n, 0].numpy().astype(np.float64))
        error = float(np.max(np.abs(got - expected[n])))
        if error > 1e-4:
            sys.exit(f"error: {path}: the ONNX graph differs from the trained model by {error:g} on image {n}")


def main():
    args = rows_rnn.parse_args(__doc__.splitlines()[0])
    rows_rnn.train_and_prune(args, FashionGru, "fashion_gru", export_onnx, check_export, "GRU", ARCHITECTURE)


if __name__ == "__main__":
    main()
