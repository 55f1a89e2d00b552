// Operators that are depthwise convolutions in disguise (ZOO2, issue 16), made as CONVs with
// groups = channels (ISA version 3, docs/cnn.md "Grouped and depthwise CONV"): the engine's
// depthwise mode runs them at c MACs per pixel and weight, where a dense CONV would take c x c.
#pragma once
#include "tools/dlvpc/float_graph.h"

#include <cstdint>
#include <string>

namespace dlvp::dlvpc {

// A BatchNormalization with no Conv or Gemm to fold into (DenseNet's after each concatenation): a
// depthwise 1x1 CONV of op `source`'s output `shape`, weight 1 and bias 0 per channel, so the
// BatchNorm's scale and shift fold into it as into any convolution.
FloatOp channel_scale_op(int source, const TensorShape& shape);

// An average over kernel_h x kernel_w windows that counts padding zeros (ONNX AveragePool with
// count_include_pad = 1, or after a Pad: what torch's AvgPool2d exports, e.g. Inception v3's
// 3x3 / stride 1 / pad 1): a depthwise CONV whose weights are all 1 / (kernel_h x kernel_w) and
// bias 0; `pads` top, left, bottom, right. The engine's POOL divides by the non-padding elements of
// each window only, so this is the exact form (its weight rounds in the weight format: docs/dlvpc.md).
// Why an average that counts padding is no box filter ("" when it is): `pads` top, left, bottom,
// right with ceil_mode's extension, `pads_before_ceil` without it; `uncounted_padding` when the
// AveragePool's own pads do not count (count_include_pad = 0) while a Pad's before it do.
std::string box_filter_problem(uint32_t kernel_h, uint32_t kernel_w, const uint32_t pads_before_ceil[4],
                               const uint32_t pads[4], bool uncounted_padding);
FloatOp box_filter_op(int source, const TensorShape& input, uint32_t kernel_h, uint32_t kernel_w, uint32_t stride_h,
                      uint32_t stride_w, const uint32_t pads[4]);

}  // namespace dlvp::dlvpc
