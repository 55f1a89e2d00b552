#include "model_zoo.h"

#include <random>

namespace dlvp::zoo {

std::vector<int8_t> random_tensor(uint64_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int8_t> v(bytes);
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
  return v;
}

builder::Network vgg16_conv(uint32_t seed) {
  struct Stage {
    uint32_t convs, channels;
  };
  const Stage stages[] = {{2, 64}, {2, 128}, {3, 256}, {3, 512}, {3, 512}};
  std::mt19937 rng(seed);
  builder::Network net;
  uint32_t in_c = 3, size = 224;
  int stage_index = 1;
  for (const Stage& stage : stages) {
    for (uint32_t i = 1; i <= stage.convs; ++i) {
      builder::ConvLayer l;
      l.name = "conv" + std::to_string(stage_index) + "_" + std::to_string(i);
      l.in_c = in_c, l.in_h = size, l.in_w = size, l.out_c = stage.channels;
      l.kernel_h = l.kernel_w = 3;
      l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
      l.relu = true;
      if (i == stage.convs) l.pool_size = l.pool_stride = 2;
      // Small weights and a shift that keeps activations spread over the int8 range.
      l.weights.resize(size_t(l.out_c) * in_c * 9);
      for (auto& w : l.weights) w = static_cast<int8_t>(static_cast<int>(rng() % 16) - 8);
      l.bias.assign(l.out_c, 0);
      for (auto& b : l.bias) b = static_cast<int32_t>(rng() % 2001) - 1000;
      l.output_shift = in_c >= 256 ? 9 : 8;
      net.add(l);
      in_c = stage.channels;
    }
    size /= 2;
    ++stage_index;
  }
  return net;
}

}  // namespace dlvp::zoo
