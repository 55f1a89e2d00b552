// oneDNN's int8 convolution as the speed yardstick of the benchmarks: the same layer shapes
// computed by a production CPU library on this machine (s8 input and weights, s32 output).
#pragma once
#include <cstdint>
#include <vector>

namespace dlvp::bench {

struct ConvShape {
  uint32_t in_c, out_c, height, width;  // input feature map
  uint32_t kernel, stride, pad;
};

class OneDnnConv {
 public:
  // Prepares the primitive (oneDNN chooses its layouts) and random data (fixed seed).
  explicit OneDnnConv(const ConvShape& shape);
  ~OneDnnConv();
  OneDnnConv(const OneDnnConv&) = delete;
  OneDnnConv& operator=(const OneDnnConv&) = delete;

  // Runs the convolution once; returns the wall seconds of that run.
  double run();
  // The s32 result in plain [out_c][out_h][out_w] order for input/weights given in plain
  // [c][h][w] and [out_c][in_c][k][k] order (used to cross-check exactness).
  std::vector<int32_t> compute(const std::vector<int8_t>& input, const std::vector<int8_t>& weights);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace dlvp::bench
