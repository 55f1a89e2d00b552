// dlvpc's float model: what the ONNX importer produces once BatchNorm is folded and ReLU/pooling are
// fused — one operation per accelerator layer — and a plain float executor of it, used for
// calibration statistics and as the float reference of the conformance runner (docs/dlvpc.md).
//
// Tensors are one sample in [c][h][w] order, which is also ONNX's NCHW order within one batch row,
// so Flatten/Reshape never move data and a channel concatenation is a sequence of slices. A fully
// connected layer's input is any tensor, flattened. A model with batch N runs as N jobs of one
// sample each.
#pragma once
#include "tools/builder/network.h"
#include "tools/dlvpc/import_activation.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

using builder::TensorShape;

enum class OpKind { kConv, kFc, kPool, kAdd, kConcat, kMul /* ACT */, kView, kCopy /* ZOO */, kCpu /* CPUC */ };
const char* to_string(OpKind kind);

constexpr int kGraphInput = -1;  // FloatOp::inputs: the graph input

struct FloatOp {
  std::string name;     // the ONNX node that made it (the first of the fused nodes)
  std::string onnx_ops; // the fused ONNX operators, e.g. "Conv+BatchNormalization+Relu+MaxPool"
  OpKind kind = OpKind::kConv;
  std::vector<int> inputs;  // producing op indices (kGraphInput for the graph input); Add has two,
                            // Concat one per channel slice, in order; View and Copy one
  TensorShape input, output;

  // Conv (weights [out_c][in_c / groups][kh][kw]) and Fc (weights [n_out][n_in]); bias [out channels].
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  uint32_t groups = 1;  // Conv (DW): ONNX `group`; output channel oc reads group oc / (out_c / groups)
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::vector<float> weights, bias;

  // Conv: fused max pooling after the ReLU (size 0: none). Pool: the pooling itself.
  uint32_t pool_size = 0, pool_stride = 0;
  bool average = false;  // Pool: average over the non-padding elements, else max
  bool relu = false;     // ReLU on the result (Conv: before the fused pooling)
  // ACT: the activation unit after the ReLU (Conv, Fc, Add, Mul; Conv: before the pooling), and
  // Mul's operand b: one value per channel of a ([c][1][1]) or the same shape as a.
  ActivationFn activation;
  bool channel_broadcast = false;
  bool mean = false;  // Add (ACT): (a + b) / 2; a standalone activation is the mean of x and x

  // ZOO (issue 16). View: channels [channel_begin, channel_begin + output.c) of its input, in place
  // (builder::ViewLayer). Copy (no fields): its input written again as a tensor of its own.
  uint32_t channel_begin = 0;

  // CPUC (issue 16). Cpu: a node the host CPU runs between accelerator jobs (cpu_stage.h): the
  // operation and its parameters as platform/cpu_ops takes them, and its views of the bytes of its
  // input, its second operand (Arithmetic: inputs[1], or the constant in `weights`) and its output.
  uint32_t cpu_op = 0;
  uint32_t cpu_params[3] = {0, 0, 0};
  TensorShape input_view, other_view, output_view;

  uint64_t macs() const;
  uint32_t group_in_c() const { return input.c / groups; }
  uint32_t conv_h() const { return builder::sweep_length(input.h, pad_top, pad_bottom, kernel_h, stride_h); }
  uint32_t conv_w() const { return builder::sweep_length(input.w, pad_left, pad_right, kernel_w, stride_w); }
};

struct FloatGraph {
  std::string input_name, output_name;   // ONNX graph input / output names
  std::vector<int64_t> input_dims, output_dims;  // their ONNX shapes (batch included)
  uint32_t batch = 1;                    // samples per ONNX inference (dims[0]); one job each
  TensorShape input;                     // one sample
  // Subtracted from every input element before the first layer (the x_zero_point of an integer
  // model's ConvInteger/MatMulInteger); the CPU applies it when it quantizes the input.
  int32_t input_zero_point = 0;
  bool integer_output = false;           // the ONNX output is an integer type: compared exactly
  std::vector<FloatOp> ops;              // topological order; the last op's output is the output
  bool softmax_on_cpu = false;           // the ONNX graph ends with a Softmax the CPU applies

  uint64_t macs() const;
  uint64_t parameters() const;
};

// One sample as the first layer reads it: the ONNX input minus the input zero point.
std::vector<float> centered_input(const FloatGraph& graph, const std::vector<float>& onnx_input);

// Runs the graph on one ONNX input sample ([c][h][w] floats); returns every op's output (the last
// one is the graph's output, before the CPU's softmax).
std::vector<std::vector<float>> run_float(const FloatGraph& graph, const std::vector<float>& input);

// One op on its inputs' outputs with the reference loops (run_float's step).
std::vector<float> run_op(const FloatOp& op, const std::vector<const std::vector<float>*>& inputs);
// What follows a convolution's sums (bias included, [out_c][conv_h][conv_w]): its ReLU and fused
// pooling.
std::vector<float> finish_conv(const FloatOp& op, std::vector<float> sums);
// The op's activation unit (ACT) on its values after the ReLU.
void activate(const FloatOp& op, std::vector<float>& values);

// Softmax over a vector (what the CPU applies after the accelerator when softmax_on_cpu).
std::vector<float> softmax(const std::vector<float>& logits);

}  // namespace dlvp::dlvpc
