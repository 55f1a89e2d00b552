#include "tools/dlvpc/import_depthwise_forms.h"

namespace dlvp::dlvpc {

namespace {

FloatOp depthwise_op(int source, const TensorShape& input, uint32_t kernel_h, uint32_t kernel_w, float weight) {
  FloatOp op;
  op.kind = OpKind::kConv;
  op.inputs = {source};
  op.input = input;
  op.groups = input.c;
  op.kernel_h = kernel_h, op.kernel_w = kernel_w;
  op.weights.assign(uint64_t{input.c} * kernel_h * kernel_w, weight);
  op.bias.assign(input.c, 0.0f);
  return op;
}

}  // namespace

FloatOp channel_scale_op(int source, const TensorShape& shape) {
  FloatOp op = depthwise_op(source, shape, 1, 1, 1.0f);
  op.output = shape;
  return op;
}

std::string box_filter_problem(uint32_t kernel_h, uint32_t kernel_w, const uint32_t pads_before_ceil[4],
                               const uint32_t pads[4], bool uncounted_padding) {
  if (uncounted_padding)
    return "averages over the zeros of a Pad but not over its own padding (count_include_pad = 0): the window's "
           "divisor would vary, no one depthwise convolution";
  for (int i = 0; i < 4; ++i)
    if (pads[i] != pads_before_ceil[i])
      return "ceil_mode = 1 with count_include_pad = 1: the partial windows at the end count the padding but not "
             "the part past it (torch's semantics), no one depthwise convolution";
  for (int i = 0; i < 4; ++i)
    if (pads[i] >= (i % 2 ? kernel_w : kernel_h))
      return "padding [" + std::to_string(pads[0]) + "," + std::to_string(pads[1]) + "," + std::to_string(pads[2]) + "," +
             std::to_string(pads[3]) + "] is not less than the window " + std::to_string(kernel_h) + "x" +
             std::to_string(kernel_w) + " (the engine's padding limit)";
  return "";
}

FloatOp box_filter_op(int source, const TensorShape& input, uint32_t kernel_h, uint32_t kernel_w, uint32_t stride_h,
                      uint32_t stride_w, const uint32_t pads[4]) {
  FloatOp op = depthwise_op(source, input, kernel_h, kernel_w, 1.0f / static_cast<float>(kernel_h * kernel_w));
  op.stride_h = stride_h, op.stride_w = stride_w;
  op.pad_top = pads[0], op.pad_left = pads[1], op.pad_bottom = pads[2], op.pad_right = pads[3];
  op.output = {input.c, op.conv_h(), op.conv_w()};
  return op;
}

}  // namespace dlvp::dlvpc
