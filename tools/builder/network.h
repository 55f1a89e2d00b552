// A network as the builder takes it: a sequence of quantized layers with their data (docs/builder.md).
//
// Tensors are int8 [c][h][w] in DDR. By default a layer's input is the previous layer's output (the
// first layer's: the network input); `input` may name any earlier layer instead (a branch, such as a
// residual block's shortcut convolution). An eltwise layer adds a second, earlier tensor named by
// layer index; a concatenation joins several earlier outputs along the channels without moving
// data; a view names a channel range of an earlier output in place, a copy writes a tensor again
// (for what views and concatenations cannot share). The network's output is the last layer's. All arithmetic follows docs/isa.md ("Arithmetic"): dynamic fixed point with
// per-layer shifts, or per-output-channel shifts (ISA version 3).
#pragma once
#include "platform/model_package.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace dlvp::builder {

struct TensorShape {
  uint32_t c = 0, h = 0, w = 0;

  uint64_t elements() const { return uint64_t{c} * h * w; }
  bool empty() const { return c == 0 || h == 0 || w == 0; }
  bool operator==(const TensorShape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const TensorShape& o) const { return !(*this == o); }
};

// Output length of a window of `window` elements swept with `stride` over `in` elements padded by
// `pad_before` and `pad_after`; 0 when the window does not fit.
uint32_t sweep_length(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t window, uint32_t stride);

constexpr int kPreviousLayer = -2;  // LayerBase::input: the output of the layer just before
constexpr int kNetworkInput = -1;   // LayerBase::input / EltwiseLayer::other: the network input

// Version 3's output-stage activation unit (ACT; docs/isa.md "Version 3: activations and Mul"):
// after the int8 result's ReLU (and before a CONV's pooling), clip to [clip_min, clip_max], then
// y = table[y + 128].
struct Activation {
  bool clip = false;
  int clip_min = -128, clip_max = 127;
  std::vector<int8_t> table;  // empty (none) or 256 entries

  bool active() const { return clip || !table.empty(); }
};

enum class EltwiseOp { kAdd, kMul };  // ACT: ELTWISE's op

// What every layer has: a name for messages and reports, and where its (first) input comes from.
struct LayerBase {
  std::string name;
  int input = kPreviousLayer;  // kPreviousLayer, kNetworkInput or the index of an earlier layer
};

// Convolution + bias, shifts, optional ReLU, optional max pooling (fused into the CONV tiles).
struct ConvLayer : LayerBase {
  uint32_t in_c = 1, in_h = 1, in_w = 1, out_c = 1;
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool relu = false;
  uint32_t pool_size = 0, pool_stride = 0;  // max pooling after ReLU; size 0 = none
  int bias_shift = 0;                       // 0..31: bias << bias_shift enters the accumulator
  int output_shift = 0;                     // -31..31: round_shift of the accumulator to int8
  std::vector<int8_t> weights;              // [out_c][in_c / groups][kernel_h][kernel_w]
  std::vector<int32_t> bias;                // [out_c]
  Activation activation;                    // ACT: after ReLU, before pooling
  // DW: grouped convolution (ISA version 3); output channel oc reads the in_c / groups input
  // channels of its group oc / (out_c / groups). 1 = dense; groups = in_c = out_c: depthwise.
  uint32_t groups = 1;
  // QUANT (ISA v3 kFlagChannelShift): when not empty, channel oc's output shift instead of
  // output_shift, -31..31 each; the bias is then at each channel's accumulator radix point.
  std::vector<int8_t> channel_shifts;       // [out_c] or empty

  bool pooled() const { return pool_size != 0; }
  uint32_t group_in_c() const { return in_c / std::max(groups, 1u); }
  uint32_t conv_h() const { return sweep_length(in_h, pad_top, pad_bottom, kernel_h, stride_h); }
  uint32_t conv_w() const { return sweep_length(in_w, pad_left, pad_right, kernel_w, stride_w); }
  uint32_t result_h() const { return pooled() ? sweep_length(conv_h(), 0, 0, pool_size, pool_stride) : conv_h(); }
  uint32_t result_w() const { return pooled() ? sweep_length(conv_w(), 0, 0, pool_size, pool_stride) : conv_w(); }
};

// Fully connected: out[o] = sum_i in[i] * w[o][i] (+ bias, shifts, ReLU) over the flattened input.
struct FcLayer : LayerBase {
  uint32_t n_in = 1, n_out = 1;
  bool relu = false;
  int bias_shift = 0, output_shift = 0;
  std::vector<int8_t> weights;  // [n_out][n_in]
  std::vector<int32_t> bias;    // [n_out]
  Activation activation;        // ACT: after ReLU
  std::vector<int8_t> channel_shifts;  // QUANT: [n_out] per-output shifts (ISA v3), or empty
};

enum class PoolKind { kMax, kAverage };

// Standalone pooling (max: padding never wins; average: over the non-padding elements).
struct PoolLayer : LayerBase {
  PoolKind kind = PoolKind::kMax;
  uint32_t size = 2, stride = 2;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool relu = false;
};

// y = sat8(round_shift((a << a_shift) + (b << b_shift), output_shift)), optional ReLU, where a is
// the previous layer's output and b the output of layer `other` (-1: the network input).
// Mul (ACT): y = sat8(round_shift(a x b, output_shift)) (shifts 0). With channel_broadcast b is
// [c][1][1]: one value per channel of a, applied to all h x w elements of the channel.
struct EltwiseLayer : LayerBase {
  int other = -1;
  int a_shift = 0, b_shift = 0;  // 0..15
  int output_shift = 0;          // -31..31
  bool relu = false;
  // ACT
  EltwiseOp op = EltwiseOp::kAdd;
  bool channel_broadcast = false;
  Activation activation;
};

// Channel concatenation of earlier layers' outputs (ONNX Concat on the channel axis). It emits no
// instructions: the memory plan places the sources' outputs side by side as the channel slices of
// this layer's output ([c][h][w] keeps a channel range contiguous), so every source writes its slice
// directly. `input` is unused; each source is an earlier layer (not the network input: that would
// need a copy), at most one concatenation may take a given layer, and all share h and w.
struct ConcatLayer : LayerBase {
  std::vector<int> sources;  // layer indices in channel order
};

// ZOO (issue 16): channel views and copies.
// A channel range of another layer's output (ONNX Split or Slice on the channels). It emits no
// instructions: [c][h][w] keeps channels [channel_begin, channel_begin + channels) contiguous, so
// the readers of this layer read those bytes of its input in place. `input` is an earlier layer
// (not the network input, which is not in the scratch window); a view is never the network's
// output nor a concatenation's source (those need a CopyLayer of it).
struct ViewLayer : LayerBase {
  uint32_t channel_begin = 0, channels = 1;
};

// Its input's bytes written again as a tensor of its own, where a view cannot express a tensor: a
// concatenation's source that is already a slice of another concatenation (DenseNet's dense
// blocks), a view, or the network input. The engine moves it: LOAD, a 1x1 max POOL (the identity
// on int8: no padding, window of one), STORE, tiled like any pool, so it is timed and counted.
struct CopyLayer : LayerBase {};

// CPUC (issue 16): an operation the host CPU runs between accelerator jobs (platform/cpu_ops.h,
// docs/cpu_ops.md) on int8 tensors at their radix points. It emits no instructions: the accelerator
// range before it ends with END and the program records a CPU stage (Program::stages) that reads
// its input's bytes (and the second operand's) through the views below and writes its output
// tensor. [c][h][w] bytes are contiguous, so a view is any shape of the same element count (the
// Reshape around a channel shuffle's Transpose costs nothing).
constexpr int kNoOperand = -3;        // CpuLayer::other: the operation has one input
constexpr int kConstantOperand = -4;  // CpuLayer::other: `constant`, placed in the constants window
struct CpuLayer : LayerBase {
  uint32_t op = 0;          // cpu::Op
  uint32_t params[3] = {};  // cpu::Op's parameters
  TensorShape input_view, other_view, output_view;
  TensorShape output;       // the output tensor as its readers see it (output_view's element count)
  int input_frac = 0, other_frac = 0, output_frac = 0;
  int other = kNoOperand;   // the second operand: an earlier layer, kNetworkInput or kConstantOperand
  std::vector<int8_t> constant;  // kConstantOperand: other_view's elements
};

using Layer = std::variant<ConvLayer, FcLayer, PoolLayer, EltwiseLayer, ConcatLayer, ViewLayer, CopyLayer, CpuLayer>;

struct Network {
  // The network input. May stay empty when the first layer is a CONV (its in_c/in_h/in_w) or an FC
  // (n_in x 1 x 1); required when it is a POOL or ELTWISE.
  TensorShape input;
  std::vector<Layer> layers;

  // Appends a layer; returns its index (what an eltwise's `other` names).
  int add(Layer layer) {
    layers.push_back(std::move(layer));
    return static_cast<int>(layers.size()) - 1;
  }
};

const std::string& layer_name(const Layer& layer);
const char* layer_kind_name(const Layer& layer);

// The CPU stage of `l` as platform/cpu_ops runs it: the operation, its parameters and its tensors'
// views and formats (int8); the windows and offsets are left 0 for the caller (the builder's memory
// plan; the reference model runs it on its own buffers).
package::StageRecord cpu_stage_of(const CpuLayer& l);

}  // namespace dlvp::builder
