#!/usr/bin/env python3
"""Rewrite a one-layer LSTM / GRU model whose Gemm head reads Y_h (as scenarios/models/fashion_lstm.onnx
and fashion_gru.onnx) into the same weights with the head on every step (torch's fc(out): Squeeze of
Y's directions axis, MatMul, Add), for the timing comparison of docs/lstm.md, "A head on every step".
The Softmax is dropped (dlvpc refuses one after a head on every step).

    /usr/bin/python3 tools/onnx_zoo/step_head_variant.py scenarios/models/fashion_lstm.onnx out.onnx
"""

import sys

import onnx
from onnx import helper, numpy_helper


def main(src, dst):
    model = onnx.load(src)
    g = model.graph
    rnn = next(n for n in g.node if n.op_type in ("LSTM", "GRU"))
    gemm = next(n for n in g.node if n.op_type == "Gemm")
    init = {t.name: t for t in g.initializer}
    weight = numpy_helper.to_array(init[gemm.input[1]])
    if any(a.name == "transB" and a.i == 1 for a in gemm.attribute):
        weight = weight.T
    classes = weight.shape[1]
    steps, batch = (d.dim_value for d in g.input[0].type.tensor_type.shape.dim[:2])
    del rnn.output[:]
    rnn.output.extend(["Y"])
    nodes = [rnn,
             helper.make_node("Squeeze", ["Y", "squeeze_axes"], ["sequence"], name="squeeze"),
             helper.make_node("MatMul", ["sequence", "head_weight"], ["product"], name="head"),
             helper.make_node("Add", ["product", gemm.input[2]], ["logits"], name="head_bias")]
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.remove(init[gemm.input[1]])
    g.initializer.extend([numpy_helper.from_array(weight.copy(), "head_weight"),
                          helper.make_tensor("squeeze_axes", onnx.TensorProto.INT64, [1], [1])])
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, [steps, batch, classes])])
    onnx.checker.check_model(model)
    onnx.save(model, dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
