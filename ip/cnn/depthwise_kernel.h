// The sums of products of a depthwise CONV (version 3, one input channel per group: output
// channel oc reads input channel oc / (out_c / groups)) without the dense kernel's channel quads
// and 8-channel row blocks, which would leave 31 of 32 lanes empty. Each channel's input is split
// into stride phases with its padding, so every kernel tap is a contiguous row that the compiler
// vectorizes. Only sum(input x weight) is computed here; cnn_arith.cpp finishes the outputs.
#pragma once
#include "ip/cnn/conv_kernel.h"
#include "ip/ifu/isa.h"

#include <cstdint>
#include <vector>

namespace dlvp::cnn::kernels {

// Usage: compute() for consecutive ranges of at most channel_chunk() output channels of a
// checked depthwise CONV, reading sums() (channel 0 = oc_begin) before the next call.
class DepthwiseKernel {
 public:
  void prepare(const isa::Conv& conv);
  uint32_t channel_chunk() const { return channel_chunk_; }
  void compute(const int8_t* input, const int8_t* weights, uint32_t oc_begin, uint32_t oc_end);
  SumView<int32_t> sums() const { return {sums_.data(), pixels_, out_w_}; }

 private:
  void channel_sums(const int8_t* map, const int8_t* taps, int32_t* out, std::vector<int16_t>& phases) const;

  isa::Conv conv_{};
  uint32_t out_h_ = 0, out_w_ = 0, multiplier_ = 1;  // multiplier: output channels per input channel
  uint64_t pixels_ = 0;
  uint64_t phase_rows_ = 0, phase_cols_ = 0;  // one stride phase of the padded map
  uint32_t channel_chunk_ = 1;
  std::vector<int32_t> sums_;  // [channels][out_h][out_w]
};

}  // namespace dlvp::cnn::kernels
