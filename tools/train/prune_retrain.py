#!/usr/bin/env python3
"""Prune a user's ONNX LSTM or GRU to a target density with retraining, for dlvp's sparse LSTM engine.

    /usr/bin/python3 tools/train/prune_retrain.py MODEL.onnx --data DATA -o PRUNED.onnx --density 0.1

MODEL.onnx: a model dlvpc compiles (docs/lstm.md): one forward LSTM node, a chain of forward
LSTM nodes of the same hidden size (torch's nn.LSTM(num_layers=L)), or one GRU node with
linear_before_reset = 1 (PyTorch's GRU), whose W, R (and B) are initializers, and a classifier head on its last step, a Gemm or MatMul (+ Add) with constant
weights; what is around them (torch's Transposes, Squeezes, zero states, Softmax) is kept as it is.
The LSTM and the head are trained in PyTorch and their initializers written back into a copy of
the graph, so the output is the same graph with new weights.

DATA (docs/lstm.md, "Prune and retrain"): `fashion-mnist` (Debian's files: each image is 28 steps
of its 28 pixel rows, pixel / 255), or an .npz file with x_train [N, T, I] float32, y_train [N]
integer classes, x_test, y_test (the same for the test split): one sequence per row, its label.

Gradual magnitude pruning (Zhu and Gupta's cubic schedule): `--steps` pruning steps from the
model's density to `--density`, each followed by `--epochs-per-step` epochs of retraining with the
pruned weights held at zero (the training loop of train_fashion_lstm.py, fashion_data.train_epochs).
Load-balanced by default as the engine stores rows (row r -> PE r mod --pes, each PE the same count);
every layer of a stack is pruned to the density on its own (the engine runs one layer after the other).
Prints the float test accuracy of the model as given, after --dense-epochs of dense training (if
any), pruned once to --density without retraining, and pruned with retraining.
"""

import argparse
import copy
import os
import sys

from fashion_data import (DEFAULT_DATA_DIR, THREADS, accuracy_percent, load_split,  # sets OMP_WAIT_POLICY
                          train_epochs)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from torch import nn  # noqa: E402
from train_fashion_lstm import apply_masks, density_of, per_pe_nonzeros, prune_masks  # noqa: E402

BATCH_SIZE = 128
LEARNING_RATE = 1e-3
# ONNX's gate blocks (i, o, f, c) in PyTorch's order (i, f, g, o), and back.
ONNX_TO_TORCH_GATES = [0, 2, 3, 1]
TORCH_TO_ONNX_GATES = [0, 3, 1, 2]
# A GRU's: ONNX (z, r, h) and PyTorch (r, z, n) swap the first two, both ways.
GRU_GATE_ORDER = [1, 0, 2]


def fail(message):
    sys.exit(f"prune_retrain: {message}")


def reorder_gates(weight, cells, order):
    blocks = weight.reshape(len(order), cells, *weight.shape[1:])
    return blocks[order].reshape(weight.shape)


class OnnxLstmModel:
    """The LSTM node and the head of an ONNX model: their initializers' names and values."""

    def __init__(self, path):
        self.path = path
        self.model = onnx.load(path)
        graph = self.model.graph
        self.init = {t.name: t for t in graph.initializer}
        lstms = [n for n in graph.node if n.op_type in ("LSTM", "GRU")]
        if not lstms:
            fail(f"{path}: no LSTM or GRU node")
        self.lstm = lstms[0]  # the first LSTM, or the GRU
        self.gru = self.lstm.op_type == "GRU"
        if self.gru and len(lstms) != 1:
            fail(f"{path}: {len(lstms)} recurrent nodes with a GRU; one GRU is supported")
        if self.gru and self.attributes(self.lstm).get("linear_before_reset", 0) != 1:
            fail(f"{path}: node '{self.lstm.name}': PyTorch's GRU is ONNX's linear_before_reset = 1, this one has 0")
        self.to_torch_order = GRU_GATE_ORDER if self.gru else ONNX_TO_TORCH_GATES
        self.to_onnx_order = GRU_GATE_ORDER if self.gru else TORCH_TO_ONNX_GATES
        self.cells = int(self.attributes(self.lstm)["hidden_size"])
        self.layers = [self.layer_names(node, k) for k, node in enumerate(lstms)]  # (W, R, B) names
        self.head = self.find_head(graph)

    def attributes(self, node):
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def layer_names(self, node, layer):
        """(W, R, B) initializer names of one forward layer; layer > 0 must read `cells` inputs."""
        attrs = self.attributes(node)
        if attrs.get("direction", b"forward") not in (b"forward", "forward"):
            fail(f"{self.path}: node '{node.name}': only forward LSTMs are supported")
        if int(attrs["hidden_size"]) != self.cells:
            fail(f"{self.path}: node '{node.name}': hidden_size {attrs['hidden_size']}, the first layer's is "
                 f"{self.cells}; a stack of one hidden size is supported")
        names = list(node.input) + [""] * 4
        for role, name in (("W", names[1]), ("R", names[2])):
            if name not in self.init:
                fail(f"{self.path}: node '{node.name}': {role} ('{name}') is not an initializer")
        if names[3] and names[3] not in self.init:
            fail(f"{self.path}: node '{node.name}': B ('{names[3]}') is not an initializer")
        if layer > 0 and self.init[names[1]].dims[-1] != self.cells:
            fail(f"{self.path}: node '{node.name}': W reads {self.init[names[1]].dims[-1]} inputs, "
                 f"not the previous layer's {self.cells} cells")
        return names[1], names[2], names[3]

    def array(self, name):
        return numpy_helper.to_array(self.init[name]).astype(np.float32)

    def find_head(self, graph):
        """(weight name, transposed, bias name): the Gemm, or MatMul then Add, with constant weights."""
        for node in graph.node:
            if node.op_type == "Gemm" and len(node.input) >= 2 and node.input[1] in self.init:
                attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
                if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or attrs.get("transA", 0):
                    fail(f"{self.path}: head '{node.name}': alpha, beta 1 and transA 0 are supported")
                bias = node.input[2] if len(node.input) > 2 and node.input[2] in self.init else ""
                return node.input[1], bool(attrs.get("transB", 0)), bias
            if node.op_type == "MatMul" and node.input[1] in self.init:
                adds = [n for n in graph.node if n.op_type == "Add" and node.output[0] in n.input]
                bias = next((i for a in adds for i in a.input if i in self.init), "")
                return node.input[1], False, bias
        fail(f"{self.path}: no Gemm or MatMul head with constant weights after the LSTM")

    def to_torch(self):
        head_w_name, transposed, head_b_name = self.head
        head_w = self.array(head_w_name)
        head_w = head_w if transposed else head_w.T  # [classes, cells]
        head_b = self.array(head_b_name).reshape(-1) if head_b_name else np.zeros(head_w.shape[0], np.float32)
        inputs = self.init[self.layers[0][0]].dims[-1]
        model = SequenceClassifier(inputs, self.cells, head_w.shape[0], len(self.layers), self.gru)
        gate_rows = len(self.to_torch_order) * self.cells
        with torch.no_grad():
            for k, (w_name, r_name, b_name) in enumerate(self.layers):
                w, r = self.array(w_name)[0], self.array(r_name)[0]
                b = self.array(b_name)[0] if b_name else np.zeros(2 * gate_rows, np.float32)
                for suffix, value in (("weight_ih", w), ("weight_hh", r), ("bias_ih", b[:gate_rows]),
                                      ("bias_hh", b[gate_rows:])):
                    getattr(model.rnn(), f"{suffix}_l{k}").copy_(
                        torch.from_numpy(reorder_gates(value, self.cells, self.to_torch_order)))
            model.classifier.weight.copy_(torch.from_numpy(np.ascontiguousarray(head_w)))
            model.classifier.bias.copy_(torch.from_numpy(head_b))
        return model

    def save(self, model, path):
        """A copy of the graph with the trained weights in the LSTM's and the head's initializers."""
        out = copy.deepcopy(self.model)
        values = {}
        for k, (w_name, r_name, b_name) in enumerate(self.layers):
            def onnx_order(suffix):
                return reorder_gates(getattr(model.rnn(), f"{suffix}_l{k}").detach().numpy(), self.cells,
                                     self.to_onnx_order)
            values[w_name] = onnx_order("weight_ih")[None]
            values[r_name] = onnx_order("weight_hh")[None]
            if b_name:
                values[b_name] = np.concatenate([onnx_order("bias_ih"), onnx_order("bias_hh")])[None]
        head_w_name, transposed, head_b_name = self.head
        head_w = model.classifier.weight.detach().numpy()
        values[head_w_name] = head_w if transposed else head_w.T
        if head_b_name:
            values[head_b_name] = model.classifier.bias.detach().numpy().reshape(self.init[head_b_name].dims)
        for tensor in out.graph.initializer:
            if tensor.name in values:
                tensor.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(values[tensor.name], np.float32), tensor.name))
        onnx.checker.check_model(out)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        onnx.save(out, path)


class SequenceClassifier(nn.Module):
    """Sequences [N, T, I] -> logits: LSTM or GRU (time-major inside), the last layer's last hidden
    state, a Linear head."""

    def __init__(self, inputs, cells, classes, layers=1, gru=False):
        super().__init__()
        if gru:
            self.gru = nn.GRU(inputs, cells, num_layers=layers)  # the name train_fashion_lstm.lstm_matrix prunes a GRU by
        else:
            self.lstm = nn.LSTM(inputs, cells, num_layers=layers)
        self.classifier = nn.Linear(cells, classes)

    def forward(self, x):
        out, _ = self.rnn()(x.transpose(0, 1))
        return self.classifier(out[-1])

    def rnn(self):
        return self.gru if hasattr(self, "gru") else self.lstm


def check_written(path, model, sequences):
    """The written ONNX weights, read back as the input was read, give the trained model's logits
    (within 1e-4): the write is the read's inverse (gate order, transposes). That the read follows
    ONNX's LSTM is checked by dlvpc: its float model of the written file (docs/lstm.md)."""
    back = OnnxLstmModel(path).to_torch()
    model.eval()
    with torch.no_grad():
        error = float((back(sequences) - model(sequences)).abs().max())
    if error > 1e-4:
        fail(f"{path}: the written model differs from the trained one by {error:g}")


def load_data(spec, train_count):
    if spec == "fashion-mnist":
        train_x, train_y = load_split(DEFAULT_DATA_DIR, "train")
        test_x, test_y = load_split(DEFAULT_DATA_DIR, "t10k")
        train_x, test_x = train_x[:, 0], test_x[:, 0]  # [N, 28 steps, 28 pixels]
    else:
        if not os.path.isfile(spec):
            fail(f"data file not found: {spec}")
        arrays = np.load(spec)
        for key in ("x_train", "y_train", "x_test", "y_test"):
            if key not in arrays:
                fail(f"{spec}: no array '{key}' (expected x_train, y_train, x_test, y_test)")
        train_x, test_x = (torch.from_numpy(arrays[k].astype(np.float32)) for k in ("x_train", "x_test"))
        train_y, test_y = (torch.from_numpy(arrays[k].astype(np.int64)) for k in ("y_train", "y_test"))
        for x, y, split in ((train_x, train_y, "train"), (test_x, test_y, "test")):
            if x.dim() != 3 or y.dim() != 1 or len(x) != len(y):
                fail(f"{spec}: x_{split} must be [N, T, I] and y_{split} [N], got {list(x.shape)} and {list(y.shape)}")
    if train_count:
        train_x, train_y = train_x[:train_count], train_y[:train_count]
    return train_x, train_y, test_x, test_y


def stack_masks(model, density, pes, balanced):
    """Every layer's keep masks (prune_masks), each layer pruned to `density` on its own."""
    return [prune_masks(model, density, pes, balanced, k) for k in range(model.rnn().num_layers)]


def apply_stack_masks(model, masks):
    for k, layer_masks in enumerate(masks):
        apply_masks(model, layer_masks, k)


def stack_density(model):
    """(non-zeros, entries) of every layer's [W | R] together."""
    counts = [density_of(model, k) for k in range(model.rnn().num_layers)]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def cubic_schedule(start, final, steps):
    """Zhu and Gupta's gradual pruning: d_k = final + (start - final) (1 - k / steps)^3, k = 1..steps."""
    return [final + (start - final) * (1 - k / steps) ** 3 for k in range(1, steps + 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--out", required=True, help="the pruned and retrained ONNX model")
    parser.add_argument("--data", default="fashion-mnist", help="fashion-mnist or an .npz file (see above)")
    parser.add_argument("--density", type=float, required=True, help="fraction of [W | R]'s weights kept, in (0, 1]")
    parser.add_argument("--steps", type=int, default=3, help="pruning steps (default 3)")
    parser.add_argument("--epochs-per-step", type=int, default=1, help="retraining epochs after each step (default 1)")
    parser.add_argument("--dense-epochs", type=int, default=0, help="dense training before pruning (default 0)")
    parser.add_argument("--dense-out", help="also write the model after dense training")
    parser.add_argument("--train-count", type=int, default=0, help="use the first N training rows only (0: all)")
    parser.add_argument("--pruning", choices=("balanced", "global"), default="balanced")
    parser.add_argument("--pes", type=int, default=32, help="PEs the rows are interleaved across (lstm.pes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=THREADS, help=f"torch threads (default {THREADS})")
    args = parser.parse_args()
    if not 0 < args.density <= 1 or args.steps < 1 or args.epochs_per_step < 1 or args.pes < 1 or args.dense_epochs < 0:
        parser.error("--density in (0, 1]; --steps, --epochs-per-step, --pes >= 1; --dense-epochs >= 0")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = load_data(args.data, args.train_count)
    test_x, test_y = data[2], data[3]
    source = OnnxLstmModel(args.model)
    model = source.to_torch()
    print(f"{args.model}: {source.lstm.op_type} '{source.lstm.name}' {model.rnn().input_size} -> {source.cells} cells "
          f"x {model.rnn().num_layers} layer(s), "
          f"{model.classifier.out_features} classes; {len(data[0])} training rows, {len(test_x)} test rows", flush=True)
    print(f"as given: float test accuracy {accuracy_percent(model, test_x, test_y):.2f}%", flush=True)
    generator = torch.Generator().manual_seed(args.seed)
    if args.dense_epochs:
        train_epochs(model, data, args.dense_epochs, generator, LEARNING_RATE, BATCH_SIZE, indent="  ")
        print(f"dense: float test accuracy {accuracy_percent(model, test_x, test_y):.2f}%", flush=True)
        if args.dense_out:
            source.save(model, args.dense_out)
            print(f"wrote {args.dense_out}")
    balanced = args.pruning == "balanced"

    one_shot = copy.deepcopy(model)
    apply_stack_masks(one_shot, stack_masks(one_shot, args.density, args.pes, balanced))
    print(f"pruned once to {100 * args.density:.1f}% without retraining: float test accuracy "
          f"{accuracy_percent(one_shot, test_x, test_y):.2f}%", flush=True)

    nonzero, total = stack_density(model)
    for density in cubic_schedule(nonzero / total, args.density, args.steps):
        masks = stack_masks(model, density, args.pes, balanced)
        apply_stack_masks(model, masks)
        print(f"pruning to {100 * density:.1f}% (before retraining: {accuracy_percent(model, test_x, test_y):.2f}%)",
              flush=True)
        train_epochs(model, data, args.epochs_per_step, generator, LEARNING_RATE / 2, BATCH_SIZE,
                     lambda: apply_stack_masks(model, masks), indent="  ")
    source.save(model, args.out)
    check_written(args.out, model, test_x[:8])
    nonzero, total = stack_density(model)
    per_pe = [per_pe_nonzeros(model, args.pes, k) for k in range(model.rnn().num_layers)]
    per_pe_text = ", ".join(f"{min(p)}..{max(p)}" for p in per_pe)
    print(f"pruned and retrained: float test accuracy {accuracy_percent(model, test_x, test_y):.2f}%, "
          f"{nonzero}/{total} non-zero ({100.0 * nonzero / total:.2f}%), per PE {per_pe_text} "
          f"(by layer); wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
