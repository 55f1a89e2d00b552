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

// The convolution sums of CONV instructions; keeps its scratch between calls (one per thread).
// Usage: prepare() once per instruction, then compute() for consecutive ranges of at most
// channel_chunk() output channels (bounding the scratch memory for any instruction), reading the
// sums of each range before the next call.
class ConvKernel {
 public:
  // Takes a checked CONV instruction whose input [in_c][in_h][in_w] starts at `input`: rewrites
  // the input into the kernels' layout, with variant `isa`.
  void prepare(const isa::Conv& conv, const int8_t* input, KernelIsa isa);
  uint32_t channel_chunk() const { return channel_chunk_; }
  // Sums of output channels [oc_begin, oc_end) from weights [out_c][in_c][kernel_h][kernel_w];
  // oc_begin is a multiple of channel_chunk(). In the views, channel 0 is oc_begin. With
  // in_c x kernel_h x kernel_w > kMaxExactTerms the sums are 64-bit (wide()), else 32-bit.
  void compute(const int8_t* weights, uint32_t oc_begin, uint32_t oc_end);
  bool wide() const { return wide_; }
  SumView<int32_t> narrow_sums() const { return {c_.data(), c_row_stride_, g_.cols}; }
  SumView<int64_t> wide_sums() const { return {wide_sums_.data(), c_row_stride_, g_.cols}; }

 private:
  struct Geometry {
    uint32_t in_c = 0, in_h = 0, in_w = 0, out_c = 0, out_h = 0, out_w = 0;
    uint32_t kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0, pad_top = 0, pad_left = 0;
    uint32_t quads = 0;          // input channels / 4, rounded up
    uint32_t taps = 0;           // kernel_h x kernel_w
    uint32_t groups = 0;         // quads x taps: the reduction length in quads
    uint64_t rows = 0, cols = 0;  // a stride phase plane: ceil(padded height / stride_h) x ceil(padded width / stride_w)
    uint64_t plane = 0;          // rows x cols quads
    uint64_t quad_block = 0;     // stride_h x stride_w planes: one quad of channels
    uint64_t pixels_padded = 0;  // out_h x cols, rounded up to kPixelGrain
  };
  static Geometry geometry(const isa::Conv& c);
  void transform_input(const int8_t* input, uint32_t threads);
  void transform_quad(const int8_t* input, uint32_t q);
  void compute_taps();
  void pack_weights(const int8_t* weights, uint32_t oc_begin, uint32_t oc_end, uint32_t group_begin,
                    uint32_t group_end);
  void run_chunk(uint32_t row_blocks, uint32_t group_begin, uint32_t group_end, uint64_t macs);

  Geometry g_;
  KernelIsa isa_ = KernelIsa::kScalar;
  uint32_t channel_chunk_ = 0;
  std::vector<uint8_t> act_;         // unsigned quads [in_c/4][stride phases][rows][cols][4]
  std::vector<uint32_t> taps_;       // quad offset of every reduction group
  std::vector<int8_t> packed_;       // int8_kernels' blocked weight layout (one chunk)
  std::vector<int32_t> row_init_;
  std::vector<int8_t> zero_row_;     // stands in for the channels beyond in_c
  std::vector<int32_t> c_;           // [channels][c_row_stride_] (pixels at pitch cols)
  std::vector<int64_t> wide_sums_;
  uint64_t c_row_stride_ = 0;
  bool wide_ = false;
};

// out[o] = sum_i w[o][i] x in[i] of an FC instruction (n_out x n_in), exact in int64.
void fc_sums(const int8_t* input, const int8_t* weights, uint32_t n_in, uint32_t n_out, KernelIsa isa,
             std::vector<int64_t>& out);

// The plain direct-convolution loops (no layout change, one MAC at a time): the speed yardstick
// of the benchmark, and a second opinion in tests. sums[oc][oy][ox] = sum(input x weight).
void direct_conv_sums(const isa::Conv& conv, const int8_t* input, const int8_t* weights, std::vector<int64_t>& sums);

}  // namespace dlvp::cnn::kernels
