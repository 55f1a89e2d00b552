#!/usr/bin/env python3
"""Train the Fashion-MNIST row LSTM that dlvp's sparse LSTM engine runs, prune it, export to ONNX.

Run from the repository root with Debian's Python (python3-torch, python3-onnx):
    /usr/bin/python3 tools/train/train_fashion_lstm.py

Each image is a sequence of 28 steps (its rows) of 28 pixels (pixel / 255). An LSTM with 128
cells reads the rows; its last hidden state goes to a fully connected layer of 10 classes.

Pruning with retraining (as in the ESE / Descartes paper): after dense training, the LSTM's weight
matrix [W | R] (4 x 128 gate rows, 28 + 128 columns) is pruned by magnitude in steps to the target
density, retraining with the pruned weights held at zero after every step. Two variants are
trained from the same dense model:
  - load-balanced: the rows are interleaved across the engine's PEs (row r -> PE r mod PEs, as the
    hardware stores them) and every PE's rows keep the same number of weights;
  - global: one magnitude threshold for the whole matrix.
Rows are gate-major (gate x 128 + cell) in both PyTorch's (i, f, g, o) and ONNX's (i, o, f, c)
order, so with 128 cells and 32 PEs a row's PE is cell mod 32 in either order.

Writes the two pruned models as ONNX (one LSTM node -> Y_h -> Flatten -> Gemm -> Softmax, built
with onnx.helper from the trained weights and checked against PyTorch's outputs) and a YAML with the
dense float accuracy, each pruned model's float accuracy and its per-PE non-zero counts.
"""

import argparse
import json
import os
import shlex
import sys

# Sets OMP_WAIT_POLICY before torch loads (see fashion_data.py); the data set readers.
from fashion_data import (DEFAULT_DATA_DIR, IMAGE_SIZE, NUM_CLASSES, THREADS, accuracy_percent, load_split,
                          train_epochs)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from torch import nn  # noqa: E402

CELLS = 128
BATCH_SIZE = 128
LEARNING_RATE = 2e-3
ARCHITECTURE = (f"LSTM(28 inputs, {CELLS} cells) over the 28 rows -> last hidden state -> "
                f"Linear({CELLS}->10) -> Softmax")
# PyTorch's gate blocks (i, f, g, o) in ONNX's order (i, o, f, c).
TORCH_TO_ONNX_GATES = [0, 3, 1, 2]


class FashionLstm(nn.Module):
    """Images [N, 1, 28, 28] -> logits [N, 10]; the rows are the time steps."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(IMAGE_SIZE, CELLS)
        self.classifier = nn.Linear(CELLS, NUM_CLASSES)

    def forward(self, images):
        rows = images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE).transpose(0, 1)  # [steps, N, 28]
        _, (h, _) = self.lstm(rows)
        return self.classifier(h[-1])


def lstm_matrix(model, layer=0):
    """The pruned matrix [W | R] of one layer as one tensor view pair (weight_ih, weight_hh): the
    model's LSTM's, or its GRU's (train_fashion_gru.py; the same pruning, 3 gate blocks instead of
    4). A stacked LSTM's layers are pruned one by one (the engine runs them one after the other,
    each with its rows interleaved across all PEs)."""
    rnn = model.gru if hasattr(model, "gru") else model.lstm
    return getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")


def prune_masks(model, density, pes, balanced, layer=0):
    """Keep masks for weight_ih / weight_hh at `density` of [W | R]'s entries, by magnitude."""
    w_ih, w_hh = lstm_matrix(model, layer)
    combined = torch.cat([w_ih.detach().abs(), w_hh.detach().abs()], dim=1)  # [4H, I + H]
    keep = torch.zeros_like(combined, dtype=torch.bool)
    if balanced:
        for pe in range(pes):
            rows = torch.arange(pe, combined.shape[0], pes)
            block = combined[rows]
            count = int(round(density * block.numel()))
            threshold_index = block.numel() - count
            flat = block.flatten()
            order = torch.argsort(flat, stable=True)
            block_keep = torch.zeros_like(flat, dtype=torch.bool)
            block_keep[order[threshold_index:]] = True
            keep[rows] = block_keep.reshape(block.shape)
    else:
        flat = combined.flatten()
        count = int(round(density * flat.numel()))
        order = torch.argsort(flat, stable=True)
        flat_keep = torch.zeros_like(flat, dtype=torch.bool)
        flat_keep[order[flat.numel() - count:]] = True
        keep = flat_keep.reshape(combined.shape)
    inputs = w_ih.shape[1]
    return keep[:, :inputs], keep[:, inputs:]


def apply_masks(model, masks, layer=0):
    if masks is None:
        return
    with torch.no_grad():
        for weight, mask in zip(lstm_matrix(model, layer), masks):
            weight.mul_(mask)


def prune_with_retraining(dense_state, data, schedule, pes, balanced, generator, model_class=None):
    """Prunes a copy of the dense model step by step (density, epochs) with retraining."""
    model = (model_class or FashionLstm)()
    model.load_state_dict(dense_state)
    seconds = 0.0
    masks = None
    for density, epochs in schedule:
        masks = prune_masks(model, density, pes, balanced)
        apply_masks(model, masks)
        print(f"{'load-balanced' if balanced else 'global'} pruning to {100 * density:.0f}% "
              f"(before retraining: {accuracy_percent(model, data[2], data[3]):.2f}%)", flush=True)
        seconds += train_epochs(model, data, epochs, generator, LEARNING_RATE / 2, BATCH_SIZE,
                                lambda: apply_masks(model, masks), indent="  ")
    return model, seconds


def per_pe_nonzeros(model, pes, layer=0):
    w_ih, w_hh = lstm_matrix(model, layer)
    combined = torch.cat([w_ih.detach(), w_hh.detach()], dim=1)
    return [int((combined[pe::pes] != 0).sum()) for pe in range(pes)]


def onnx_gate_order(weight, cells):
    """PyTorch's [4H, ...] gate blocks (i, f, g, o) reordered to ONNX's (i, o, f, c)."""
    blocks = weight.reshape(4, cells, *weight.shape[1:])
    return blocks[TORCH_TO_ONNX_GATES].reshape(weight.shape)


def export_onnx(model, path):
    """One LSTM node (X [28, 1, 28] -> Y_h [1, 1, 128]) -> Flatten -> Gemm -> Softmax."""
    lstm = model.lstm
    w = onnx_gate_order(lstm.weight_ih_l0.detach().numpy(), CELLS)[None]
    r = onnx_gate_order(lstm.weight_hh_l0.detach().numpy(), CELLS)[None]
    b = np.concatenate([onnx_gate_order(lstm.bias_ih_l0.detach().numpy(), CELLS),
                        onnx_gate_order(lstm.bias_hh_l0.detach().numpy(), CELLS)])[None]
    save_classifier_onnx(model, path, helper.make_node("LSTM", ["rows", "lstm.W", "lstm.R", "lstm.B"], ["", "lstm.Y_h"],
                                                     name="lstm", hidden_size=CELLS),
                         {"lstm.W": w, "lstm.R": r, "lstm.B": b}, "fashion_lstm")


def save_classifier_onnx(model, path, rnn_node, rnn_weights, graph_name):
    """rnn_node (reading 'rows', its Y_h the second output) -> Flatten -> Gemm (model.classifier) ->
    Softmax, with rnn_weights (name -> array) as initializers; checked and saved (train_fashion_gru.py too)."""
    fc_w = model.classifier.weight.detach().numpy()
    fc_b = model.classifier.bias.detach().numpy()
    arrays = dict(rnn_weights, **{"classifier.weight": fc_w, "classifier.bias": fc_b})
    initializers = [numpy_helper.from_array(a.astype(np.float32), name) for name, a in arrays.items()]
    nodes = [
        rnn_node,
        helper.make_node("Flatten", [rnn_node.output[1]], ["hidden"], name="flatten", axis=1),
        helper.make_node("Gemm", ["hidden", "classifier.weight", "classifier.bias"], ["logits"],
                         name="classifier", transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, graph_name,
        [helper.make_tensor_value_info("rows", TensorProto.FLOAT, [IMAGE_SIZE, 1, IMAGE_SIZE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, NUM_CLASSES])],
        initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                                   producer_name=f"dlvp tools/train/{os.path.basename(sys.argv[0])}")
    onnx.checker.check_model(onnx_model)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    onnx.save(onnx_model, path)

def onnx_lstm_reference(path, rows):
    """The exported graph evaluated with numpy by ONNX's LSTM definition (checks the export)."""
    model = onnx.load(path)
    weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    w, r, b = weights["lstm.W"][0], weights["lstm.R"][0], weights["lstm.B"][0]
    h = np.zeros(CELLS)
    c = np.zeros(CELLS)

    def sigmoid(v):
        return 1.0 / (1.0 + np.exp(-v))

    for x in rows:
        gates = w @ x + r @ h + b[:4 * CELLS] + b[4 * CELLS:]
        i, o, f, g = np.split(gates, 4)  # ONNX order: i, o, f, c
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
    logits = weights["classifier.weight"] @ h + weights["classifier.bias"]
    return logits


def check_export(model, path, images):
    """The exported ONNX semantics equal PyTorch's on a few images (logits within 1e-4)."""
    model.eval()
    with torch.no_grad():
        expected = model(images).numpy()
    for n in range(len(images)):
        got = onnx_lstm_reference(path, images[n, 0].numpy().astype(np.float64))
        error = float(np.max(np.abs(got - expected[n])))
        if error > 1e-4:
            sys.exit(f"error: {path}: the ONNX graph differs from the trained model by {error:g} on image {n}")


def density_of(model, layer=0):
    w_ih, w_hh = lstm_matrix(model, layer)
    nonzero = int((w_ih != 0).sum() + (w_hh != 0).sum())
    return nonzero, w_ih.numel() + w_hh.numel()


def write_meta(path, args, dense_accuracy, variants, dense_seconds, command, kind="LSTM",
               architecture=ARCHITECTURE):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    lines = [
        f"# Fashion-MNIST row {kind} of dlvp's sparse {kind} demo: pruned float {kind}s in ONNX.",
        f"# Written by tools/train/{os.path.basename(sys.argv[0])}; 'command' reproduces the model files.",
        "# Accuracies are measured on all 10,000 test images in float (PyTorch, eval mode).",
        "# nonzeros_per_pe: non-zero weights of [W | R] held by each PE (rows interleaved, row r -> PE r mod pes).",
        "dataset: fashion-mnist",
        "input:",
        "  name: rows",
        f"  shape: [{IMAGE_SIZE}, 1, {IMAGE_SIZE}]",
        '  preprocessing: "pixel / 255; the image rows are the time steps"',
        "output:",
        "  name: probabilities",
        f"  classes: {NUM_CLASSES}",
        f"cells: {CELLS}",
        f"pes: {args.pes}",
        f"dense_float_test_accuracy_percent: {dense_accuracy:.2f}",
        f"dense_train_seconds: {dense_seconds:.1f}",
        "models:",
    ]
    for v in variants:
        lines += [
            f"  - file: {os.path.basename(v['path'])}",
            f"    pruning: {v['pruning']}",
            f"    density_percent: {100.0 * v['nonzero'] / v['total']:.2f}",
            f"    nonzero_weights: {v['nonzero']}",
            f"    float_test_accuracy_percent: {v['accuracy']:.2f}",
            f"    retrain_seconds: {v['seconds']:.1f}",
            f"    nonzeros_per_pe_min: {min(v['per_pe'])}",
            f"    nonzeros_per_pe_max: {max(v['per_pe'])}",
            f"    nonzeros_per_pe_mean: {sum(v['per_pe']) / len(v['per_pe']):.1f}",
        ]
    lines += [
        f"seed: {args.seed}",
        f"dense_epochs: {args.epochs}",
        f"prune_schedule: {json.dumps(args.schedule)}",
        f"torch_version: {json.dumps(torch.__version__)}",
        f"command: {json.dumps(command)}",
        f"architecture: {json.dumps(architecture)}",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def parse_schedule(text):
    """'0.5:2,0.25:2,0.1:3' -> [(0.5, 2), (0.25, 2), (0.1, 3)]: density then retraining epochs."""
    steps = []
    for item in text.split(","):
        density, epochs = item.split(":")
        steps.append((float(density), int(epochs)))
    if not steps or any(not 0 < d <= 1 or e < 1 for d, e in steps):
        raise argparse.ArgumentTypeError(f"bad prune schedule '{text}'")
    return steps


def parse_args(description, variants="balanced,global"):
    """The options every row-RNN trainer takes (train_fashion_gru.py shares them)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", default="scenarios/models")
    parser.add_argument("--epochs", type=int, default=6, help="dense training epochs")
    parser.add_argument("--schedule", type=parse_schedule, default=parse_schedule("0.5:1,0.25:1,0.1:3"),
                        help="pruning steps density:epochs,... (default 0.5:1,0.25:1,0.1:3)")
    parser.add_argument("--pes", type=int, default=32, help="PEs the rows are interleaved across")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", default=variants,
                        help=f"pruned models to write: balanced, global or both (default {variants})")
    parser.add_argument("--threads", type=int, default=THREADS, help=f"torch threads (default {THREADS})")
    args = parser.parse_args()
    if args.epochs < 1 or args.pes < 1 or args.threads < 1:
        parser.error("--epochs, --pes and --threads must be at least 1")
    args.variants = args.variants.split(",")
    if not args.variants or any(v not in ("balanced", "global") for v in args.variants):
        parser.error(f"--variants: 'balanced', 'global' or both, got '{','.join(args.variants)}'")
    return args


def train_and_prune(args, model_class, stem, export, check, kind="LSTM", architecture=ARCHITECTURE):
    """Dense training, then each pruned variant: written as {stem}.onnx (load-balanced) and
    {stem}_global.onnx, checked against PyTorch by check(model, path, images), and {stem}.yaml."""
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    train_x, train_y = load_split(args.data_dir, "train")
    test_x, test_y = load_split(args.data_dir, "t10k")
    data = (train_x, train_y, test_x, test_y)

    model = model_class()
    print(f"seed {args.seed}, {args.epochs} dense epochs, batch {BATCH_SIZE}, "
          f"{sum(p.numel() for p in model.parameters())} parameters, torch {torch.__version__}", flush=True)
    dense_seconds = train_epochs(model, data, args.epochs, torch.Generator().manual_seed(args.seed), LEARNING_RATE,
                                 BATCH_SIZE, indent="  ")
    dense_accuracy = accuracy_percent(model, test_x, test_y)
    print(f"dense: {dense_accuracy:.2f}% after {dense_seconds:.1f} s", flush=True)
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}

    variants = []
    for balanced, name in ((True, f"{stem}.onnx"), (False, f"{stem}_global.onnx")):
        if ("balanced" if balanced else "global") not in args.variants:
            continue
        generator = torch.Generator().manual_seed(args.seed + 1)  # same retraining order for both
        pruned, seconds = prune_with_retraining(dense_state, data, args.schedule, args.pes, balanced, generator,
                                                model_class)
        path = os.path.join(args.out_dir, name)
        export(pruned, path)
        check(pruned, path, test_x[:4])
        nonzero, total = density_of(pruned)
        per_pe = per_pe_nonzeros(pruned, args.pes)
        accuracy = accuracy_percent(pruned, test_x, test_y)
        print(f"{name}: {accuracy:.2f}%, {nonzero}/{total} non-zero ({100.0 * nonzero / total:.2f}%), "
              f"per PE {min(per_pe)}..{max(per_pe)}; wrote {path} ({os.path.getsize(path)} bytes)", flush=True)
        variants.append({"path": path, "pruning": "load-balanced" if balanced else "global",
                         "nonzero": nonzero, "total": total, "per_pe": per_pe, "accuracy": accuracy,
                         "seconds": seconds})

    command = " ".join(shlex.quote(a) for a in ["/usr/bin/python3", *sys.argv])
    meta = os.path.join(args.out_dir, f"{stem}.yaml")
    write_meta(meta, args, dense_accuracy, variants, dense_seconds, command, kind, architecture)
    print(f"wrote {meta}")


def main():
    args = parse_args(__doc__.splitlines()[0])
    train_and_prune(args, FashionLstm, "fashion_lstm", export_onnx, check_export)

if __name__ == "__main__":
    main()
