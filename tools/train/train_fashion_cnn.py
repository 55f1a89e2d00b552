#!/usr/bin/env python3
"""Train the small Fashion-MNIST CNN that dlvp's classifier demo runs and export it to ONNX.

Run from the repository root with Debian's Python (python3-torch, python3-onnx):
    /usr/bin/python3 tools/train/train_fashion_cnn.py

Writes the ONNX model (--out) and a YAML description with the measured float test accuracy
(--meta). Input is pixel / 255 with no mean/std normalization: the accelerator's input
quantization relies on the [0, 1] range.
"""

# Sets OMP_WAIT_POLICY before torch loads (see fashion_data.py); the shared run and export.
from fashion_data import NUM_CLASSES  # noqa: E402
from fashion_export import train_and_export  # noqa: E402

from torch import nn  # noqa: E402

ARCHITECTURE = ("Conv(1->16,3x3,pad1)-BN-ReLU-MaxPool2 -> Conv(16->32,3x3,pad1)-BN-ReLU-MaxPool2"
                " -> Flatten -> Linear(1568->128)-ReLU -> Linear(128->10) -> Softmax")


class FashionCnn(nn.Module):
    """Only ops the dlvp compiler supports; softmax is added for export/inference only."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2, 2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(128, NUM_CLASSES),
        )

    def forward(self, x):
        return self.classifier(self.features(x))  # logits


def main():
    train_and_export(FashionCnn, "fashion_cnn", "train_fashion_cnn.py",
                     "Fashion-MNIST classifier of dlvp's classifier demo: a small float CNN in ONNX.",
                     ARCHITECTURE, default_epochs=6)


if __name__ == "__main__":
    main()
