// The sums of products of CONV and FC instructions through the int8 kernels (int8_kernels.h):
// the layout transforms, weight packing, splitting of long reductions and threading around them.
// Only sum(input x weight) is computed here; the accumulator start, saturation and output stage
// are cnn_arith.cpp's.
#pragma once
#include "ip/cnn/int8_kernels.h"
#include "ip/ifu/isa.h"

#include <cstdint>
#include <vector>

namespace dlvp::cnn::kernels {

// sum(oc, oy, ox) = data[oc * channel_stride + oy * row_stride + ox].
template <typename T>
struct SumView {
  const T* data = nullptr;
  uint64_t channel_stride = 0;
  uint64_t row_stride = 0;
};

// Reusable scratch for the convolution sums of one caller thread.
class ConvKernel {
 public:
  // Computes the sums of a checked CONV instruction whose input [in_c][in_h][in_w] and weights
  // [out_c][in_c][kernel_h][kernel_w] start at the given pointers, with variant `isa`. The views
  // stay valid until the next call. With in_c x kernel_h x kernel_w > kMaxExactTerms the sums
  // are 64-bit (wide()), else 32-bit.
  void compute(const isa::Conv& conv, const int8_t* input, const int8_t* weights, KernelIsa isa);
  bool wide() const { return wide_; }
  SumView<int32_t> narrow_sums() const { return {c_.data(), c_row_stride_, pixel_pitch_}; }
  SumView<int64_t> wide_sums() const { return {wide_sums_.data(), c_row_stride_, pixel_pitch_}; }

 private:
  struct Geometry;
  void transform_input(const isa::Conv& conv, const int8_t* input, const Geometry& g);
  void compute_taps(const isa::Conv& conv, const Geometry& g);
  void pack_weights(const int8_t* weights, const Geometry& g, uint32_t group_begin, uint32_t group_end);
  void run_chunk(const Geometry& g, uint32_t group_begin, uint32_t group_end, KernelIsa isa);

  std::vector<uint8_t> act_;         // unsigned quads [in_c/4][stride phases][rows][cols][4]
  std::vector<uint32_t> taps_;       // quad offset of every reduction group
  std::vector<int8_t> zero_row_;     // stands in for the channels beyond in_c
  std::vector<int8_t> packed_;       // int8_kernels' blocked weight layout (one chunk of groups)
  std::vector<int32_t> row_init_;
  std::vector<int32_t> c_;           // [rows][c_row_stride] (pixels at pitch pixel_pitch_)
  std::vector<int64_t> wide_sums_;
  uint64_t c_row_stride_ = 0, pixel_pitch_ = 0;
  bool wide_ = false;
};

// out[o] = sum_i w[o][i] x in[i] of an FC instruction (n_out x n_in), exact in int64.
void fc_sums(const int8_t* input, const int8_t* weights, uint32_t n_in, uint32_t n_out, KernelIsa isa,
             std::vector<int64_t>& out);

// The plain direct-convolution loops (no layout change, one MAC at a time): the speed yardstick
// of the benchmark, and a second opinion in tests. sums[oc][oy][ox] = sum(input x weight).
void direct_conv_sums(const isa::Conv& conv, const int8_t* input, const int8_t* weights, std::vector<int64_t>& sums);

}  // namespace dlvp::cnn::kernels
