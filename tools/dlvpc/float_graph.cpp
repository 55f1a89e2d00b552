#include "tools/dlvpc/float_graph.h"

#include "tools/dlvpc/cpu_stage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace dlvp::dlvpc {

const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kConv: return "conv";
    case OpKind::kFc: return "fc";
    case OpKind::kPool: return "pool";
    case OpKind::kAdd: return "add";
    case OpKind::kMul: return "mul";
    case OpKind::kView: return "view";
    case OpKind::kCopy: return "copy";
    case OpKind::kCpu: return "cpu";
    default: return "concat";
  }
}

uint64_t FloatOp::macs() const {
  if (kind == OpKind::kConv) return uint64_t{output.c} * conv_h() * conv_w() * group_in_c() * kernel_h * kernel_w;
  if (kind == OpKind::kFc) return input.elements() * output.c;
  return 0;
}

uint64_t FloatGraph::macs() const {
  uint64_t total = 0;
  for (const FloatOp& op : ops) total += op.macs();
  return total;
}

uint64_t FloatGraph::parameters() const {
  uint64_t total = 0;
  for (const FloatOp& op : ops) total += op.weights.size() + op.bias.size();
  return total;
}

namespace {

// Splits [0, n) over two threads when the work is worth it (the host has two cores).
template <typename Body>
void parallel_for(uint32_t n, uint64_t work, Body body) {
  if (work < (1u << 22) || n < 2) {
    body(0u, n);
    return;
  }
  const uint32_t half = n / 2;
  std::thread other([&] { body(half, n); });
  body(0u, half);
  other.join();
}

// Output columns [first, last) whose input column ow * stride + kw - pad lies inside [0, in_w).
void valid_columns(uint32_t out_w, uint32_t in_w, uint32_t stride, int offset, uint32_t& first, uint32_t& last) {
  first = 0;
  while (first < out_w && static_cast<int64_t>(first) * stride + offset < 0) ++first;
  last = out_w;
  while (last > first && static_cast<int64_t>(last - 1) * stride + offset >= static_cast<int64_t>(in_w)) --last;
}

// Direct convolution, bias, then ReLU; [out_c][conv_h][conv_w]. Each channel's sums are kept in
// double: over the thousands of taps of a deep model's layers (Inception v3's 2048 x 3 x 3) float
// sums in this order drift from ONNX's output by more than the conformance runner's float32
// tolerance.
std::vector<float> convolve(const FloatOp& op, const std::vector<float>& x) {
  const uint32_t oh = op.conv_h(), ow = op.conv_w(), ic = op.group_in_c(), ih = op.input.h, iw = op.input.w;
  const uint32_t group_out = op.output.c / op.groups;
  std::vector<float> y(uint64_t{op.output.c} * oh * ow);
  parallel_for(op.output.c, op.macs(), [&](uint32_t oc_first, uint32_t oc_last) {
    std::vector<double> sums(uint64_t{oh} * ow);
    for (uint32_t oc = oc_first; oc < oc_last; ++oc) {
      double* out = sums.data();
      std::fill(out, out + uint64_t{oh} * ow, op.bias.empty() ? 0.0 : double{op.bias[oc]});
      for (uint32_t c = 0; c < ic; ++c)
        for (uint32_t kh = 0; kh < op.kernel_h; ++kh)
          for (uint32_t kw = 0; kw < op.kernel_w; ++kw) {
            const float w = op.weights[((uint64_t{oc} * ic + c) * op.kernel_h + kh) * op.kernel_w + kw];
            const int col_offset = static_cast<int>(kw) - static_cast<int>(op.pad_left);
            uint32_t first, last;
            valid_columns(ow, iw, op.stride_w, col_offset, first, last);
            for (uint32_t r = 0; r < oh; ++r) {
              const int64_t row = int64_t{r} * op.stride_h + kh - op.pad_top;
              if (row < 0 || row >= ih) continue;
              const float* in = x.data() + (uint64_t{oc / group_out * ic + c} * ih + row) * iw + col_offset;
              double* o = out + uint64_t{r} * ow;
              if (op.stride_w == 1)
                for (uint32_t q = first; q < last; ++q) o[q] += double{w} * in[q];
              else
                for (uint32_t q = first; q < last; ++q) o[q] += double{w} * in[uint64_t{q} * op.stride_w];
            }
          }
      std::copy(sums.begin(), sums.end(), y.begin() + static_cast<int64_t>(uint64_t{oc} * oh * ow));
    }
  });
  return y;
}

// Max or average pooling over [c][h][w] (padding never wins a max, is not counted in an average).
std::vector<float> pool(const std::vector<float>& x, const TensorShape& in, uint32_t size, uint32_t stride,
                        uint32_t pad_top, uint32_t pad_left, uint32_t pad_bottom, uint32_t pad_right, bool average) {
  const uint32_t oh = builder::sweep_length(in.h, pad_top, pad_bottom, size, stride);
  const uint32_t ow = builder::sweep_length(in.w, pad_left, pad_right, size, stride);
  std::vector<float> y(uint64_t{in.c} * oh * ow);
  for (uint32_t c = 0; c < in.c; ++c)
    for (uint32_t r = 0; r < oh; ++r)
      for (uint32_t q = 0; q < ow; ++q) {
        float best = -std::numeric_limits<float>::infinity(), sum = 0;
        uint32_t count = 0;
        for (uint32_t i = 0; i < size; ++i)
          for (uint32_t j = 0; j < size; ++j) {
            const int64_t row = int64_t{r} * stride + i - pad_top, col = int64_t{q} * stride + j - pad_left;
            if (row < 0 || col < 0 || row >= in.h || col >= in.w) continue;
            const float v = x[(uint64_t{c} * in.h + row) * in.w + col];
            best = std::max(best, v);
            sum += v;
            ++count;
          }
        y[(uint64_t{c} * oh + r) * ow + q] = average ? sum / static_cast<float>(count) : best;
      }
  return y;
}

void relu(std::vector<float>& v) {
  for (float& x : v) x = std::max(x, 0.0f);
}

std::vector<float> fully_connected(const FloatOp& op, const std::vector<float>& x) {
  const uint64_t n_in = x.size();
  std::vector<float> y(op.output.c);
  parallel_for(op.output.c, op.macs(), [&](uint32_t first, uint32_t last) {
    for (uint32_t o = first; o < last; ++o) {
      const float* w = op.weights.data() + o * n_in;
      float sum = 0;
      for (uint64_t i = 0; i < n_in; ++i) sum += w[i] * x[i];
      y[o] = sum + (op.bias.empty() ? 0.0f : op.bias[o]);
    }
  });
  return y;
}

}  // namespace

void activate(const FloatOp& op, std::vector<float>& v) {
  if (op.activation.none()) return;
  for (float& x : v) x = static_cast<float>(op.activation(x));
}

std::vector<float> finish_conv(const FloatOp& op, std::vector<float> sums) {
  if (op.relu) relu(sums);
  activate(op, sums);
  if (op.pool_size)
    return pool(sums, {op.output.c, op.conv_h(), op.conv_w()}, op.pool_size, op.pool_stride, 0, 0, 0, 0, false);
  return sums;
}

std::vector<float> run_op(const FloatOp& op, const std::vector<const std::vector<float>*>& in) {
  std::vector<float> y;
  switch (op.kind) {
    case OpKind::kConv:
      return finish_conv(op, convolve(op, *in[0]));
    case OpKind::kFc:
      y = fully_connected(op, *in[0]);
      break;
    case OpKind::kPool:
      y = pool(*in[0], op.input, op.pool_size, op.pool_stride, op.pad_top, op.pad_left, op.pad_bottom, op.pad_right,
               op.average);
      break;
    case OpKind::kAdd: {
      y = *in[0];
      const uint64_t run = op.channel_broadcast ? uint64_t{op.input.h} * op.input.w : 1;
      for (size_t i = 0; i < y.size(); ++i) y[i] += (*in[1])[i / run];
      if (op.mean)
        for (float& v : y) v *= 0.5f;
      break;
    }
    case OpKind::kConcat:
      for (const std::vector<float>* slice : in) y.insert(y.end(), slice->begin(), slice->end());
      return y;
    case OpKind::kMul: {
      y = *in[0];
      const uint64_t run = op.channel_broadcast ? uint64_t{op.input.h} * op.input.w : 1;
      for (size_t i = 0; i < y.size(); ++i) y[i] *= (*in[1])[i / run];
      break;
    }
    case OpKind::kView: {
      const size_t plane = size_t{op.input.h} * op.input.w;
      return {in[0]->begin() + op.channel_begin * plane, in[0]->begin() + (op.channel_begin + op.output.c) * plane};
    }
    case OpKind::kCopy:
      return *in[0];
    case OpKind::kCpu:
      return run_cpu_float(op, in);
  }
  if (op.relu) relu(y);
  activate(op, y);
  return y;
}

std::vector<float> centered_input(const FloatGraph& graph, const std::vector<float>& onnx_input) {
  std::vector<float> x = onnx_input;
  if (graph.input_zero_point != 0)
    for (float& v : x) v -= static_cast<float>(graph.input_zero_point);
  return x;
}

std::vector<std::vector<float>> run_float(const FloatGraph& graph, const std::vector<float>& onnx_input) {
  const std::vector<float> input = centered_input(graph, onnx_input);
  std::vector<std::vector<float>> outs;
  outs.reserve(graph.ops.size());
  for (const FloatOp& op : graph.ops) {
    std::vector<const std::vector<float>*> in;
    for (const int source : op.inputs) in.push_back(source == kGraphInput ? &input : &outs[source]);
    outs.push_back(run_op(op, in));
  }
  return outs;
}

std::vector<float> softmax(const std::vector<float>& logits) {
  std::vector<float> p(logits.size());
  if (logits.empty()) return p;
  const float top = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(logits[i] - top);
  for (float& v : p) v = static_cast<float>(v / sum);
  return p;
}

}  // namespace dlvp::dlvpc
