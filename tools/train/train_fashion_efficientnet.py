#!/usr/bin/env python3
"""Train an EfficientNet-style Fashion-MNIST CNN (MBConv with SiLU and squeeze-excitation) and export it.

Run from the repository root with Debian's Python (python3-torch, python3-onnx):
    /usr/bin/python3 tools/train/train_fashion_efficientnet.py

Writes scenarios/models/fashion_efficientnet.onnx and .yaml (--out, --meta). Input is pixel / 255
like fashion_cnn. Small on purpose: every tensor fits the engine's buffers and it trains in
minutes on 2 cores. torch 1.13 exports SiLU as Sigmoid + Mul; the squeeze-excitation scale is a
Mul of the [C,H,W] map by a [C,1,1] vector (channel broadcast).
"""

# Sets OMP_WAIT_POLICY before torch loads (see fashion_data.py); the shared run and export.
from fashion_blocks import MobileNet  # noqa: E402
from fashion_export import train_and_export  # noqa: E402

from torch import nn  # noqa: E402

SE_RATIO = 0.25  # squeeze channels = block input channels x 0.25, as EfficientNet-B0
ARCHITECTURE = ("Conv(1->16,3x3,pad1)-BN-SiLU -> MBConv(t1,16->24,s2) -> MBConv(t3,24->24,s1,+)"
                " -> MBConv(t3,24->40,s2) -> MBConv(t3,40->40,s1,+) -> Conv(40->128,1x1)-BN-SiLU"
                " -> GlobalAvgPool -> Linear(128->10) -> Softmax; MBConv(t,cin->cout,s) ="
                " [Conv(cin->t*cin,1x1)-BN-SiLU when t>1] -> DepthwiseConv(3x3,s,pad1)-BN-SiLU ->"
                " SqueezeExcitation(GlobalAvgPool-Conv1x1(->cin/4)-SiLU-Conv1x1-Sigmoid, Mul) ->"
                " Conv(->cout,1x1)-BN, + the input when s=1 and cin=cout")


def main():
    train_and_export(lambda: MobileNet(nn.SiLU, se_ratio=SE_RATIO), "fashion_efficientnet", "train_fashion_efficientnet.py",
                     "Fashion-MNIST classifier: a small EfficientNet-style float CNN in ONNX.",
                     ARCHITECTURE, default_epochs=5)


if __name__ == "__main__":
    main()
