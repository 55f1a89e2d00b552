// Depthwise convolution sums: per channel, the padded map split into stride phases (int16), then
// for every tap one multiply-add of a contiguous phase row into each output row. A channel's sum
// has at most 15 x 15 terms of 128 x 128: exact in int32.
#include "ip/cnn/depthwise_kernel.h"

#include "ip/cnn/parallel_kernel.h"

#include <algorithm>

namespace dlvp::cnn::kernels {
namespace {

constexpr uint64_t kMaxSumBytes = uint64_t{64} << 20;       // as the dense kernel: bounds the scratch
constexpr uint64_t kParallelMacs = uint64_t{1} << 20;       // below this one thread is faster

uint32_t window_count(uint64_t padded, uint32_t window, uint32_t stride) {
  return static_cast<uint32_t>((padded - window) / stride + 1);
}

}  // namespace

void DepthwiseKernel::prepare(const isa::Conv& c) {
  conv_ = c;
  const uint64_t padded_h = uint64_t{c.in_h} + c.pad_top + c.pad_bottom;
  const uint64_t padded_w = uint64_t{c.in_w} + c.pad_left + c.pad_right;
  out_h_ = window_count(padded_h, c.kernel_h, c.stride_h);
  out_w_ = window_count(padded_w, c.kernel_w, c.stride_w);
  multiplier_ = c.out_c / isa::conv_groups(c);
  pixels_ = uint64_t{out_h_} * out_w_;
  phase_rows_ = (padded_h + c.stride_h - 1) / c.stride_h;
  phase_cols_ = (padded_w + c.stride_w - 1) / c.stride_w;
  channel_chunk_ = static_cast<uint32_t>(std::clamp<uint64_t>(kMaxSumBytes / (4 * pixels_), 1, c.out_c));
}

// phases[py][px][row][col] = map[row * stride_h + py - pad_top][col * stride_w + px - pad_left],
// 0 outside the map; then out[oy][ox] = sum over taps of w x phases[ky % sh][kx % sw][oy + ky / sh][ox + kx / sw].
void DepthwiseKernel::channel_sums(const int8_t* map, const int8_t* taps, int32_t* out,
                                   std::vector<int16_t>& phases) const {
  const isa::Conv& c = conv_;
  const uint64_t plane = phase_rows_ * phase_cols_;
  phases.assign(plane * c.stride_h * c.stride_w, 0);
  for (uint32_t y = 0; y < c.in_h; ++y) {
    const uint64_t py = (uint64_t{y} + c.pad_top) % c.stride_h, row = (uint64_t{y} + c.pad_top) / c.stride_h;
    const int8_t* src = map + uint64_t{y} * c.in_w;
    for (uint32_t px = 0; px < c.stride_w; ++px) {
      // Input columns x with (x + pad_left) mod stride_w = px, from column (x + pad_left) / stride_w on.
      const uint32_t x0 = (px + c.stride_w - c.pad_left % c.stride_w) % c.stride_w;
      if (x0 >= c.in_w) continue;
      int16_t* dst = phases.data() + (py * c.stride_w + px) * plane + row * phase_cols_ + (x0 + c.pad_left) / c.stride_w;
      const uint32_t n = (c.in_w - x0 + c.stride_w - 1) / c.stride_w;
      const int8_t* from = src + x0;
      for (uint32_t i = 0; i < n; ++i) dst[i] = from[uint64_t{i} * c.stride_w];
    }
  }
  std::fill(out, out + pixels_, 0);
  for (uint32_t ky = 0; ky < c.kernel_h; ++ky)
    for (uint32_t kx = 0; kx < c.kernel_w; ++kx) {
      const int32_t w = taps[ky * c.kernel_w + kx];
      if (w == 0) continue;
      const int16_t* phase = phases.data() + (uint64_t{ky % c.stride_h} * c.stride_w + kx % c.stride_w) * plane +
                             (ky / c.stride_h) * phase_cols_ + kx / c.stride_w;
      for (uint32_t oy = 0; oy < out_h_; ++oy) {
        const int16_t* in = phase + oy * phase_cols_;
        int32_t* sum = out + uint64_t{oy} * out_w_;
        for (uint32_t ox = 0; ox < out_w_; ++ox) sum[ox] += w * in[ox];
      }
    }
}

void DepthwiseKernel::compute(const int8_t* input, const int8_t* weights, uint32_t oc_begin, uint32_t oc_end) {
  const isa::Conv& c = conv_;
  const uint32_t channels = oc_end - oc_begin;
  if (sums_.size() < channels * pixels_) sums_.resize(channels * pixels_);
  const uint64_t taps = uint64_t{c.kernel_h} * c.kernel_w;
  const uint64_t map = uint64_t{c.in_h} * c.in_w;
  const uint64_t macs = channels * pixels_ * taps;
  const uint32_t parts = macs >= kParallelMacs ? std::min(kernel_threads(), channels) : 1;
  parallel_for(parts, [&](uint32_t part) {
    thread_local std::vector<int16_t> phases;
    const uint32_t first = oc_begin + static_cast<uint32_t>(uint64_t{channels} * part / parts);
    const uint32_t last = oc_begin + static_cast<uint32_t>(uint64_t{channels} * (part + 1) / parts);
    for (uint32_t oc = first; oc < last; ++oc)
      channel_sums(input + (oc / multiplier_) * map, weights + oc * taps, sums_.data() + (oc - oc_begin) * pixels_,
                   phases);
  });
}

}  // namespace dlvp::cnn::kernels
