#!/usr/bin/env python3
"""Train a MobileNetV2-style Fashion-MNIST CNN (inverted residuals, depthwise 3x3, ReLU6) and export it.

Run from the repository root with Debian's Python (python3-torch, python3-onnx):
    /usr/bin/python3 tools/train/train_fashion_mobilenet.py

Writes scenarios/models/fashion_mobilenet.onnx and .yaml (--out, --meta). Input is pixel / 255
like fashion_cnn. Small on purpose: every tensor fits the engine's buffers (the largest activation
is 16x28x28 = 12.5 KB) and it trains in minutes on 2 cores.
"""

# Sets OMP_WAIT_POLICY before torch loads (see fashion_data.py); the shared run and export.
from fashion_blocks import MobileNet  # noqa: E402
from fashion_export import train_and_export  # noqa: E402

from torch import nn  # noqa: E402

ARCHITECTURE = ("Conv(1->16,3x3,pad1)-BN-ReLU6 -> InvertedResidual(t1,16->24,s2) -> InvertedResidual(t3,24->24,s1,+)"
                " -> InvertedResidual(t3,24->40,s2) -> InvertedResidual(t3,40->40,s1,+) -> Conv(40->128,1x1)-BN-ReLU6"
                " -> GlobalAvgPool -> Linear(128->10) -> Softmax; InvertedResidual(t,cin->cout,s) ="
                " [Conv(cin->t*cin,1x1)-BN-ReLU6 when t>1] -> DepthwiseConv(3x3,s,pad1)-BN-ReLU6 ->"
                " Conv(->cout,1x1)-BN, + the input when s=1 and cin=cout")


def main():
    train_and_export(lambda: MobileNet(nn.ReLU6), "fashion_mobilenet", "train_fashion_mobilenet.py",
                     "Fashion-MNIST classifier: a small MobileNetV2-style float CNN in ONNX.",
                     ARCHITECTURE, default_epochs=5)


if __name__ == "__main__":
    main()
