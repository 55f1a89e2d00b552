"""What every Fashion-MNIST CNN script of tools/train shares after fashion_data.py: the seeded
training run, the float accuracy of the exported graph (softmax added), the ONNX export and the
YAML description beside it (scenarios/models/*.yaml).

Import fashion_data (or this module) before torch: it sets OMP_WAIT_POLICY.
"""

import argparse
import json
import os
import shlex
import sys
import time

from fashion_data import (DEFAULT_DATA_DIR, IMAGE_SIZE, NUM_CLASSES, THREADS, accuracy_percent,  # noqa: E402
                          load_split, train_epochs)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

BATCH_SIZE = 128
LEARNING_RATE = 1e-3


class WithSoftmax(nn.Module):
    """The exported graph: the trained network followed by Softmax over the classes."""

    def __init__(self, logits_model):
        super().__init__()
        self.logits_model = logits_model

    def forward(self, x):
        return torch.softmax(self.logits_model(x), dim=1)


def export_onnx(model, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    dummy = torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE)
    torch.onnx.export(model.eval(), dummy, path, opset_version=13, do_constant_folding=True,
                      input_names=["image"], output_names=["probabilities"])
    graph_model = onnx.load(path)
    onnx.checker.check_model(graph_model)
    return [node.op_type for node in graph_model.graph.node]


def write_meta(path, onnx_path, accuracy, args, train_seconds, command, script, description, architecture):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    lines = [
        f"# {description}",
        f"# Written by tools/train/{script}; 'command' reproduces the model file.",
        "# float_test_accuracy_percent is measured on all test images with the exported graph's",
        "# semantics (eval mode: BatchNorm running stats, no dropout, softmax argmax).",
        "# train_seconds: wall time of the optimizer steps on this machine, per-epoch tests excluded.",
        f"model: {os.path.basename(onnx_path)}",
        "dataset: fashion-mnist",
        "input:",
        "  name: image",
        f"  shape: [1, 1, {IMAGE_SIZE}, {IMAGE_SIZE}]",
        '  preprocessing: "pixel / 255"',
        "output:",
        "  name: probabilities",
        f"  classes: {NUM_CLASSES}",
        f"float_test_accuracy_percent: {accuracy:.2f}",
        "test_images: 10000",
        f"seed: {args.seed}",
        f"epochs: {args.epochs}",
        f"train_seconds: {train_seconds:.1f}",
        f"torch_version: {json.dumps(torch.__version__)}",  # JSON strings are valid YAML
        f"command: {json.dumps(command)}",
        f"architecture: {json.dumps(architecture)}",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def train_and_export(make_model, name, script, description, architecture, default_epochs):
    """The whole script: options, seeded training of make_model(), accuracy, ONNX and YAML.
    Writes scenarios/models/<name>.onnx and .yaml unless --out / --meta say otherwise."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", default=f"scenarios/models/{name}.onnx")
    parser.add_argument("--meta", default=f"scenarios/models/{name}.yaml")
    parser.add_argument("--epochs", type=int, default=default_epochs)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(THREADS)
    generator = torch.Generator().manual_seed(args.seed)  # shuffling order

    train_x, train_y = load_split(args.data_dir, "train")
    test_x, test_y = load_split(args.data_dir, "t10k")
    if len(test_x) != 10000:
        sys.exit(f"error: {args.data_dir}: expected 10000 test images, found {len(test_x)}")

    model = make_model()
    params = sum(p.numel() for p in model.parameters())
    print(f"seed {args.seed}, {args.epochs} epochs, batch {BATCH_SIZE}, {params} parameters, "
          f"torch {torch.__version__}, {THREADS} threads", flush=True)

    start = time.monotonic()
    train_seconds = train_epochs(model, (train_x, train_y, test_x, test_y), args.epochs, generator, LEARNING_RATE,
                                 BATCH_SIZE)
    print(f"training took {train_seconds:.1f} s "
          f"({time.monotonic() - start:.1f} s with the per-epoch tests)")

    exported = WithSoftmax(model).eval()
    accuracy = accuracy_percent(exported, test_x, test_y)
    ops = export_onnx(exported, args.out)
    print(f"float test accuracy (softmax graph, {len(test_x)} images): {accuracy:.2f}%")
    print(f"ONNX ops: {' '.join(ops)}")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")

    command = " ".join(shlex.quote(a) for a in ["/usr/bin/python3", *sys.argv])
    write_meta(args.meta, args.out, accuracy, args, train_seconds, command, script, description, architecture)
    print(f"wrote {args.meta}")
